//! Storage: every SQL statement casevault runs lives in this module.
//!
//! Invariant: the store knows nothing of keys or plaintext. It holds opaque bytes
//! (keyslots, record ciphertexts, audit rows) and gives them back; a server backend
//! storing the same bytes could replace it behind the same methods.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::base::{RecordKind, RecordRef};

/// The schema version this build reads and writes (`PRAGMA user_version`).
pub(crate) const SCHEMA_VERSION: i64 = 2;

/// How long a command waits for another one's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Marks the file as a casevault vault (`PRAGMA application_id`, "cvlt").
const APPLICATION_ID: i64 = 0x6376_6c74;

const MIGRATIONS: &[&str] = &[
    // 0 -> 1
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
     CREATE TABLE keyslots (name TEXT PRIMARY KEY, keyslot BLOB NOT NULL) WITHOUT ROWID;
     CREATE TABLE records (
         kind TEXT NOT NULL,
         id TEXT NOT NULL,
         version INTEGER NOT NULL,
         ciphertext BLOB NOT NULL,
         PRIMARY KEY (kind, id, version)
     ) WITHOUT ROWID;
     CREATE TABLE audit (seq INTEGER PRIMARY KEY, mac BLOB NOT NULL, details BLOB NOT NULL);
     CREATE TABLE failed_unlocks (
         id INTEGER PRIMARY KEY,
         at TEXT NOT NULL,
         keyslot TEXT NOT NULL
     );",
    // 1 -> 2: no table changes. From 2 on, a note's record may hold its body alone
    // (sections are derived when read), which a casevault that reads only 1 cannot
    // parse: the version makes it refuse the vault as newer rather than report every
    // such note as damaged.
    "-- note records may hold the body alone",
];

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// There is no vault at the path.
    #[error("no vault at {0}")]
    Missing(PathBuf),
    /// A file already exists where a new vault or backup was to be created.
    #[error("{0} already exists")]
    AlreadyExists(PathBuf),
    /// The file is not a casevault vault.
    #[error("{0} is not a casevault vault")]
    NotAVault(PathBuf),
    /// The vault was written by a newer casevault.
    #[error(
        "the vault's schema is version {found}, newer than the {supported} this casevault reads"
    )]
    NewerSchema {
        /// The vault's schema version.
        found: i64,
        /// The newest version this build reads.
        supported: i64,
    },
    /// A value read from the vault is malformed.
    #[error("the vault is damaged: {0}")]
    Corrupt(String),
    /// Another process held the vault's write lock for longer than casevault waits.
    #[error(
        "the vault is busy: another casevault command kept it locked for more than {} seconds",
        BUSY_TIMEOUT.as_secs()
    )]
    Busy,
    /// The vault file or its directory cannot be written.
    #[error("the vault cannot be written: the file or its directory is read-only")]
    ReadOnly,
    /// The disk (or the user's quota) is full.
    #[error("the disk is full; nothing was saved")]
    DiskFull,
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// The file system reported an error.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::Error as E;
        match error {
            // casevault writes every column with one type; another type, or a value out
            // of range, means the file was edited outside casevault.
            E::InvalidColumnType(_, column, found) => {
                StoreError::Corrupt(format!("column {column} holds a value of type {found}"))
            }
            E::IntegralValueOutOfRange(_, value) => {
                StoreError::Corrupt(format!("a stored number ({value}) is out of range"))
            }
            E::FromSqlConversionFailure(_, _, cause) => StoreError::Corrupt(cause.to_string()),
            E::SqliteFailure(e, message) => match e.code {
                rusqlite::ErrorCode::DatabaseCorrupt => {
                    StoreError::Corrupt("SQLite reports the file is malformed".into())
                }
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                    StoreError::Busy
                }
                rusqlite::ErrorCode::ReadOnly => StoreError::ReadOnly,
                rusqlite::ErrorCode::DiskFull => StoreError::DiskFull,
                _ => StoreError::Sqlite(E::SqliteFailure(e, message)),
            },
            other => StoreError::Sqlite(other),
        }
    }
}

impl StoreError {
    /// Names the vault file in a corruption SQLite found while opening it.
    fn in_file(self, path: &Path) -> StoreError {
        match self {
            StoreError::Corrupt(what) => StoreError::Corrupt(format!("{}: {what}", path.display())),
            other => other,
        }
    }

    /// Names the record involved in a corruption.
    fn about(self, kind: RecordKind, id: &str) -> StoreError {
        match self {
            StoreError::Corrupt(what) => {
                StoreError::Corrupt(format!("{} {id}: {what}", kind.as_str()))
            }
            other => other,
        }
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// A raw row of the audit table.
pub(crate) struct AuditRow {
    pub(crate) seq: u64,
    pub(crate) mac: Vec<u8>,
    pub(crate) details: Vec<u8>,
}

/// A raw row of the records table.
pub(crate) struct RecordRow {
    pub(crate) reference: RecordRef,
    pub(crate) ciphertext: Vec<u8>,
}

/// An open vault file.
pub(crate) struct Store {
    conn: Connection,
    path: PathBuf,
}

fn configure(conn: &Connection) -> Result<()> {
    // Pragmas outside any transaction. secure_delete overwrites freed pages, so no
    // earlier ciphertext lingers; FULL synchronous makes every commit durable.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // An 8 MiB page cache (the default is 2 MiB): an import's batch re-reads the
    // pages it has just written instead of asking the kernel for them again. Well
    // within the memory a scan may use.
    conn.pragma_update(None, "cache_size", -8 * 1024)?;
    Ok(())
}

/// Creates `path` empty with mode 0600, failing if it exists.
pub(crate) fn create_private_file(path: &Path) -> Result<()> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => StoreError::AlreadyExists(path.to_owned()),
            _ => StoreError::Io {
                path: path.to_owned(),
                source,
            },
        })
}

impl Store {
    /// Creates a new, empty vault file at `path` (mode 0600).
    pub(crate) fn create(path: &Path) -> Result<Store> {
        create_private_file(path)?;
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.commit()?;
        migrate(&mut conn, path)?;
        Ok(Store {
            conn,
            path: path.to_owned(),
        })
    }

    /// Opens the vault at `path`, migrating an older schema in one transaction.
    pub(crate) fn open(path: &Path) -> Result<Store> {
        if !path.is_file() {
            return Err(StoreError::Missing(path.to_owned()));
        }
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Wait for another command's lock from the first read on.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let app_id: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| match e.sqlite_error_code() {
                Some(
                    rusqlite::ErrorCode::DatabaseCorrupt
                    | rusqlite::ErrorCode::DatabaseBusy
                    | rusqlite::ErrorCode::DatabaseLocked,
                ) => StoreError::from(e).in_file(path),
                _ => StoreError::NotAVault(path.to_owned()),
            })?;
        if app_id != APPLICATION_ID {
            return Err(StoreError::NotAVault(path.to_owned()));
        }
        configure(&conn)
            .and_then(|()| migrate(&mut conn, path))
            .map_err(|e| e.in_file(path))?;
        Ok(Store {
            conn,
            path: path.to_owned(),
        })
    }

    /// The vault file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one immediate (write-locked) transaction, committed only if `f`
    /// succeeds.
    pub(crate) fn transaction<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let tx = Tx(tx);
        let value = f(&tx)?;
        tx.0.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// Reads a keyslot outside any transaction (before the vault is unlocked).
    pub(crate) fn keyslot(&self, name: &str) -> Result<Vec<u8>> {
        self.conn
            .query_row(
                "SELECT keyslot FROM keyslots WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::Corrupt(format!("the {name} keyslot is missing")))
    }

    /// Records a failed unlock: the only write made without a key.
    pub(crate) fn record_failed_unlock(&mut self, keyslot: &str, at: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO failed_unlocks (at, keyslot) VALUES (?1, ?2)",
            params![at, keyslot],
        )?;
        Ok(())
    }

    /// Writes a consistent copy of the vault to `out` (which must not exist), mode
    /// 0600, atomically: the copy appears under its name only once complete.
    pub(crate) fn backup_to(&self, out: &Path) -> Result<()> {
        if out.exists() {
            return Err(StoreError::AlreadyExists(out.to_owned()));
        }
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        // The kind only: the error's own text names casevault's temporary file.
        let io = |source: std::io::Error| StoreError::Io {
            path: out.to_owned(),
            source: source.kind().into(),
        };
        // A private, empty file in the same directory: VACUUM INTO fills it and keeps
        // its mode, and the rename below is atomic.
        let partial = tempfile::Builder::new()
            .prefix(".casevault-backup-")
            .tempfile_in(&dir)
            .map_err(io)?;
        let partial_path = partial.path().to_owned();
        self.conn
            .execute("VACUUM INTO ?1", [partial_path.to_string_lossy()])?;
        partial.as_file().sync_all().map_err(io)?;
        partial.persist_noclobber(out).map_err(|e| io(e.error))?;
        if let Ok(d) = std::fs::File::open(&dir) {
            // Make the rename durable; failure here leaves a complete file anyway.
            let _ = d.sync_all();
        }
        Ok(())
    }
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version < 0 {
        return Err(StoreError::NotAVault(path.to_owned()));
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    for migration in &MIGRATIONS[version as usize..] {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// An open write transaction.
pub(crate) struct Tx<'c>(rusqlite::Transaction<'c>);

fn kind_of(name: &str) -> rusqlite::Result<RecordKind> {
    RecordKind::parse(name).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!(
                "a record row has the unknown kind {:?}",
                name.escape_debug().take(40).collect::<String>()
            )
            .into(),
        )
    })
}

impl Tx<'_> {
    pub(crate) fn meta(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .0
            .prepare_cached("SELECT value FROM meta WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    pub(crate) fn set_meta(&self, name: &str, value: &[u8]) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO meta (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![name, value])?;
        Ok(())
    }

    pub(crate) fn set_keyslot(&self, name: &str, keyslot: &[u8]) -> Result<()> {
        self.0.execute(
            "INSERT INTO keyslots (name, keyslot) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET keyslot = excluded.keyslot",
            params![name, keyslot],
        )?;
        Ok(())
    }

    pub(crate) fn insert_record(&self, reference: &RecordRef, ciphertext: &[u8]) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO records (kind, id, version, ciphertext) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                reference.kind.as_str(),
                reference.id,
                reference.version,
                ciphertext
            ])?;
        Ok(())
    }

    pub(crate) fn record_exists(&self, kind: RecordKind, id: &str) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached("SELECT 1 FROM records WHERE kind = ?1 AND id = ?2 LIMIT 1")?
            .query_row(params![kind.as_str(), id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// How many records (not versions) of `kind` there are.
    pub(crate) fn count_records(&self, kind: RecordKind) -> Result<u64> {
        let n: i64 = self.0.query_row(
            "SELECT COUNT(DISTINCT id) FROM records WHERE kind = ?1",
            [kind.as_str()],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// One version of one record.
    pub(crate) fn record(&self, reference: &RecordRef) -> Result<Option<RecordRow>> {
        self.0
            .prepare_cached(
                "SELECT ciphertext FROM records WHERE kind = ?1 AND id = ?2 AND version = ?3",
            )?
            .query_row(
                params![reference.kind.as_str(), reference.id, reference.version],
                |r| {
                    Ok(RecordRow {
                        reference: reference.clone(),
                        ciphertext: r.get(0)?,
                    })
                },
            )
            .optional()
            .map_err(|e| StoreError::from(e).about(reference.kind, &reference.id))
    }

    /// The newest version of one record.
    pub(crate) fn latest_record(&self, kind: RecordKind, id: &str) -> Result<Option<RecordRow>> {
        self.0
            .query_row(
                "SELECT version, ciphertext FROM records WHERE kind = ?1 AND id = ?2
                 ORDER BY version DESC LIMIT 1",
                params![kind.as_str(), id],
                |r| {
                    Ok(RecordRow {
                        reference: RecordRef::new(kind, id, r.get(0)?),
                        ciphertext: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(|e| StoreError::from(e).about(kind, id))
    }

    /// The newest version of every record of `kind`.
    pub(crate) fn latest_records(&self, kind: RecordKind) -> Result<Vec<RecordRow>> {
        self.latest_records_page(kind, "", None)
    }

    /// The newest version of the records of `kind` whose id sorts after `after`, in id
    /// order, at most `limit` of them: a page, so that a scan need not hold every
    /// ciphertext at once.
    pub(crate) fn latest_records_page(
        &self,
        kind: RecordKind,
        after: &str,
        limit: Option<usize>,
    ) -> Result<Vec<RecordRow>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT id, MAX(version), ciphertext FROM records
             WHERE kind = ?1 AND id > ?2 GROUP BY id ORDER BY id LIMIT ?3",
        )?;
        let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let rows = stmt.query_map(params![kind.as_str(), after, limit], |r| {
            let id: String = r.get(0)?;
            let version = r.get(1);
            let ciphertext = r.get(2);
            Ok((id, version.and_then(|v| ciphertext.map(|c| (v, c)))))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, fields) = row?;
            let (version, ciphertext) = fields.map_err(|e| StoreError::from(e).about(kind, &id))?;
            out.push(RecordRow {
                reference: RecordRef::new(kind, id, version),
                ciphertext,
            });
        }
        Ok(out)
    }

    /// Every stored record, every version, in (kind, id, version) order, handed to
    /// `f` `chunk` rows at a time: one query, read as `f` goes, so a scan holds one
    /// chunk of ciphertexts, not the vault.
    pub(crate) fn records_chunked<E: From<StoreError>>(
        &self,
        chunk: usize,
        f: impl FnMut(Vec<RecordRow>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut stmt = self
            .0
            .prepare("SELECT kind, id, version, ciphertext FROM records ORDER BY kind, id, version")
            .map_err(StoreError::from)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(RecordRow {
                    reference: RecordRef::new(
                        kind_of(&r.get::<_, String>(0)?)?,
                        r.get::<_, String>(1)?,
                        r.get(2)?,
                    ),
                    ciphertext: r.get(3)?,
                })
            })
            .map_err(StoreError::from)?;
        in_chunks(rows, chunk, |r: &RecordRow| r.ciphertext.len(), f)
    }

    /// Every keyslot, by name.
    pub(crate) fn keyslots(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let mut stmt = self
            .0
            .prepare("SELECT name, keyslot FROM keyslots ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn append_audit(&self, row: &AuditRow) -> Result<()> {
        self.0
            .prepare_cached("INSERT INTO audit (seq, mac, details) VALUES (?1, ?2, ?3)")?
            .execute(params![row.seq as i64, row.mac, row.details])?;
        Ok(())
    }

    pub(crate) fn last_audit(&self) -> Result<Option<AuditRow>> {
        Ok(self
            .0
            .prepare_cached("SELECT seq, mac, details FROM audit ORDER BY seq DESC LIMIT 1")?
            .query_row([], audit_row)
            .optional()?)
    }

    pub(crate) fn audit_rows(&self) -> Result<Vec<AuditRow>> {
        let mut stmt = self
            .0
            .prepare("SELECT seq, mac, details FROM audit ORDER BY seq")?;
        let rows = stmt.query_map([], audit_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every audit row, in order, handed to `f` `chunk` rows at a time, fewer when they
    /// are large (one query, read as `f` goes).
    pub(crate) fn audit_rows_chunked<E: From<StoreError>>(
        &self,
        chunk: usize,
        f: impl FnMut(Vec<AuditRow>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut stmt = self
            .0
            .prepare("SELECT seq, mac, details FROM audit ORDER BY seq")
            .map_err(StoreError::from)?;
        let rows = stmt.query_map([], audit_row).map_err(StoreError::from)?;
        in_chunks(rows, chunk, |r: &AuditRow| r.details.len(), f)
    }

    /// Removes and returns every recorded failed unlock, oldest first.
    pub(crate) fn take_failed_unlocks(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .0
            .prepare("SELECT at, keyslot FROM failed_unlocks ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        if !rows.is_empty() {
            // Only then: an empty table is left as it is, so an unlock that has nothing
            // to fold writes no page (SQLite rewrites the table's page on every DELETE).
            self.0.execute("DELETE FROM failed_unlocks", [])?;
        }
        Ok(rows)
    }
}

/// The most bytes of rows [`in_chunks`] puts in one chunk (past the row that reaches it).
const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// Feeds the rows of a query to `f`, `chunk` at a time, or fewer when they hold more
/// than [`CHUNK_BYTES`] (`size` says how much a row holds): one audit event can list a
/// whole vault's notes, and several such in one chunk would hold tens of megabytes.
fn in_chunks<T, E: From<StoreError>>(
    rows: impl Iterator<Item = rusqlite::Result<T>>,
    chunk: usize,
    size: impl Fn(&T) -> usize,
    mut f: impl FnMut(Vec<T>) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut page = Vec::with_capacity(chunk);
    let mut bytes = 0;
    for row in rows {
        let row = row.map_err(StoreError::from)?;
        bytes += size(&row);
        page.push(row);
        if page.len() == chunk || bytes >= CHUNK_BYTES {
            f(std::mem::replace(&mut page, Vec::with_capacity(chunk)))?;
            bytes = 0;
        }
    }
    if !page.is_empty() {
        f(page)?;
    }
    Ok(())
}

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: u64::try_from(r.get::<_, i64>(0)?).map_err(|_| {
            rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Integer,
                "an audit row has a negative sequence number".into(),
            )
        })?,
        mac: r.get(1)?,
        details: r.get(2)?,
    })
}
