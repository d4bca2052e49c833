//! Storage: every SQL statement casevault runs lives in this module.
//!
//! Invariant: the store knows nothing of keys or plaintext. It holds opaque bytes
//! (keyslots, record ciphertexts, audit rows) and gives them back; a server backend
//! storing the same bytes could replace it behind the same methods.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::{
    AuditRow, BUSY_TIMEOUT, Backend, GrantRow, Location, RecordRow, StoreError, Transaction,
};
use crate::base::{RecordKind, RecordRef};

/// The schema version this build reads and writes (`PRAGMA user_version`).
pub(crate) const SCHEMA_VERSION: i64 = 4;

/// Marks the file as a casevault vault (`PRAGMA application_id`, "cvlt").
const APPLICATION_ID: i64 = 0x6376_6c74;

const MIGRATIONS: &[&str] = &[
    // 0 -> 1. `records` is a rowid table, its key an index beside it: a record is
    // kilobytes, and in a WITHOUT ROWID table every step of a lookup or insert through
    // the key reads a whole row, overflow pages and all (SQLite compares keys on the
    // whole payload when it overflows). Vaults made before hold `records` WITHOUT
    // ROWID ([`EARLIER_RECORDS`]); every statement here reads and writes both alike.
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
     CREATE TABLE keyslots (name TEXT PRIMARY KEY, keyslot BLOB NOT NULL) WITHOUT ROWID;
     CREATE TABLE records (
         kind TEXT NOT NULL,
         id TEXT NOT NULL,
         version INTEGER NOT NULL,
         ciphertext BLOB NOT NULL,
         PRIMARY KEY (kind, id, version)
     );
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
    // 2 -> 3: practices. Each compartment's data key wrapped to each member entitled
    // to it; each audit event signed by the member who acted, with its write list
    // readable by every member.
    "CREATE TABLE grants (
         member TEXT NOT NULL,
         compartment TEXT NOT NULL,
         form TEXT NOT NULL,
         wrapped BLOB NOT NULL,
         PRIMARY KEY (member, compartment)
     ) WITHOUT ROWID;
     CREATE INDEX grants_by_compartment ON grants (compartment);
     ALTER TABLE audit ADD COLUMN signer TEXT;
     ALTER TABLE audit ADD COLUMN signature BLOB;
     ALTER TABLE audit ADD COLUMN writes BLOB;",
    // 3 -> 4: no table changes. From 4 on, every note written is added to the search
    // index (named values `index/...`); a casevault that does not would leave notes
    // out of it, so the version makes it refuse the vault as newer.
    "-- notes are added to the search index as they are written",
];

/// `records` as vaults made before the rowid table were created with it (same
/// columns, same key): such files still open, read and write, unchanged.
#[cfg(test)]
const EARLIER_RECORDS: &str = "CREATE TABLE records (
     kind TEXT NOT NULL,
     id TEXT NOT NULL,
     version INTEGER NOT NULL,
     ciphertext BLOB NOT NULL,
     PRIMARY KEY (kind, id, version)
 ) WITHOUT ROWID;";

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

type Result<T> = std::result::Result<T, StoreError>;

/// A vault in one SQLite file.
pub(crate) struct SqliteStore {
    conn: Connection,
    location: Location,
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
            std::io::ErrorKind::AlreadyExists => StoreError::AlreadyExists(path.into()),
            _ => StoreError::Io {
                path: path.to_owned(),
                source,
            },
        })
}

impl SqliteStore {
    /// Creates a new, empty vault file at `path` (mode 0600).
    pub(crate) fn create(path: &Path) -> Result<SqliteStore> {
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
        Ok(SqliteStore {
            conn,
            location: Location::File(path.to_owned()),
        })
    }

    /// Creates a new vault at `path` as vaults were made before `records` became a
    /// rowid table ([`EARLIER_RECORDS`]), then opens it as any vault is opened.
    #[cfg(test)]
    pub(crate) fn create_with_earlier_records(path: &Path) -> Result<SqliteStore> {
        create_private_file(path)?;
        let conn = Connection::open(path)?;
        let first = MIGRATIONS[0].replacen(
            &MIGRATIONS[0][MIGRATIONS[0].find("CREATE TABLE records").expect("records")
                ..MIGRATIONS[0].find("CREATE TABLE audit").expect("audit")],
            &format!("{EARLIER_RECORDS}\n     "),
            1,
        );
        assert!(first.contains("WITHOUT ROWID;\n     CREATE TABLE audit"));
        conn.execute_batch(&first)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        conn.pragma_update(None, "user_version", 1)?;
        drop(conn);
        SqliteStore::open(path)
    }

    /// Opens the vault at `path`, migrating an older schema in one transaction.
    pub(crate) fn open(path: &Path) -> Result<SqliteStore> {
        if !path.is_file() {
            return Err(StoreError::Missing(path.into()));
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
                _ => StoreError::NotAVault(path.into()),
            })?;
        if app_id != APPLICATION_ID {
            return Err(StoreError::NotAVault(path.into()));
        }
        configure(&conn)
            .and_then(|()| migrate(&mut conn, path))
            .map_err(|e| e.in_file(path))?;
        Ok(SqliteStore {
            conn,
            location: Location::File(path.to_owned()),
        })
    }
}

impl Backend for SqliteStore {
    fn location(&self) -> &Location {
        &self.location
    }

    fn begin(&mut self) -> Result<Box<dyn Transaction + '_>> {
        // Immediate: the write lock is taken now, so two operations never chain
        // audit events from the same tip.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Box::new(SqliteTx(tx)))
    }

    fn discard(mut self: Box<Self>) -> Result<()> {
        let events = self.begin()?.last_audit()?;
        if events.is_some() {
            return Ok(());
        }
        let Location::File(path) = self.location.clone() else {
            return Ok(());
        };
        drop(self);
        std::fs::remove_file(&path).map_err(|source| StoreError::Io { path, source })
    }

    /// Reads a keyslot outside any transaction (before the vault is unlocked).
    fn keyslot(&self, name: &str) -> Result<Vec<u8>> {
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
    fn record_failed_unlock(&mut self, keyslot: &str, at: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO failed_unlocks (at, keyslot) VALUES (?1, ?2)",
            params![at, keyslot],
        )?;
        Ok(())
    }

    /// Writes a consistent copy of the vault to `out` (which must not exist), mode
    /// 0600, atomically: the copy appears under its name only once complete.
    fn backup_to(&mut self, out: &Path) -> Result<()> {
        let (dir, io) = super::beside(out)?;
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
        return Err(StoreError::NotAVault(path.into()));
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

/// An open write transaction on a SQLite vault.
struct SqliteTx<'c>(rusqlite::Transaction<'c>);

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

impl Transaction for SqliteTx<'_> {
    fn commit(self: Box<Self>) -> Result<()> {
        Ok(self.0.commit()?)
    }

    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .0
            .prepare_cached("SELECT value FROM meta WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    fn set_meta(&self, name: &str, value: &[u8]) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO meta (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![name, value])?;
        Ok(())
    }

    fn all_meta(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let mut stmt = self
            .0
            .prepare("SELECT name, value FROM meta ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn delete_meta_tree(&self, name: &str) -> Result<u64> {
        let (start, end) = super::prefix_range(&format!("{name}/"));
        let n = self
            .0
            .prepare_cached(
                "DELETE FROM meta WHERE name = ?1 OR (name >= ?2 AND (?3 IS NULL OR name < ?3))",
            )?
            .execute(params![name, start, end])?;
        Ok(n as u64)
    }

    fn set_keyslot(&self, name: &str, keyslot: &[u8]) -> Result<()> {
        self.0.execute(
            "INSERT INTO keyslots (name, keyslot) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET keyslot = excluded.keyslot",
            params![name, keyslot],
        )?;
        Ok(())
    }

    fn insert_record(&self, reference: &RecordRef, ciphertext: &[u8]) -> Result<()> {
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

    fn record_exists(&self, kind: RecordKind, id: &str) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached("SELECT 1 FROM records WHERE kind = ?1 AND id = ?2 LIMIT 1")?
            .query_row(params![kind.as_str(), id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// How many records (not versions) of `kind` there are.
    fn count_records(&self, kind: RecordKind) -> Result<u64> {
        let n: i64 = self.0.query_row(
            "SELECT COUNT(DISTINCT id) FROM records WHERE kind = ?1",
            [kind.as_str()],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// One version of one record.
    fn record(&self, reference: &RecordRef) -> Result<Option<RecordRow>> {
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
    fn latest_record(&self, kind: RecordKind, id: &str) -> Result<Option<RecordRow>> {
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

    /// The newest version of the records of `kind` whose id sorts after `after`, in id
    /// order, at most `limit` of them: a page, so that a scan need not hold every
    /// ciphertext at once.
    fn latest_records_page(
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

    fn records_after(
        &self,
        after: Option<&RecordRef>,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<RecordRow>> {
        let row = |r: &rusqlite::Row<'_>| {
            Ok(RecordRow {
                reference: RecordRef::new(
                    kind_of(&r.get::<_, String>(0)?)?,
                    r.get::<_, String>(1)?,
                    r.get(2)?,
                ),
                ciphertext: r.get(3)?,
            })
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        match after {
            None => {
                let mut stmt = self.0.prepare_cached(
                    "SELECT kind, id, version, ciphertext FROM records
                     ORDER BY kind, id, version LIMIT ?1",
                )?;
                let rows = stmt.query_map([limit], row)?;
                Ok(super::up_to(rows, max_bytes, |r| r.ciphertext.len())?)
            }
            Some(after) => {
                // Row values follow the primary key's order, so each page is an index seek.
                let mut stmt = self.0.prepare_cached(
                    "SELECT kind, id, version, ciphertext FROM records
                     WHERE (kind, id, version) > (?1, ?2, ?3)
                     ORDER BY kind, id, version LIMIT ?4",
                )?;
                let rows = stmt.query_map(
                    params![after.kind.as_str(), after.id, after.version, limit],
                    row,
                )?;
                Ok(super::up_to(rows, max_bytes, |r| r.ciphertext.len())?)
            }
        }
    }

    /// Every keyslot, by name.
    fn keyslots(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let mut stmt = self
            .0
            .prepare("SELECT name, keyslot FROM keyslots ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn append_audit(&self, row: &AuditRow) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO audit (seq, mac, details, signer, signature, writes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                row.seq as i64,
                row.mac,
                row.details,
                row.signer,
                row.signature,
                row.writes
            ])?;
        Ok(())
    }

    fn last_audit(&self) -> Result<Option<AuditRow>> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT seq, mac, details, signer, signature, writes FROM audit
                 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row([], audit_row)
            .optional()?)
    }

    fn count_audit_upto(&self, seq: u64) -> Result<u64> {
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        let n: i64 = self
            .0
            .prepare_cached("SELECT count(*) FROM audit WHERE seq BETWEEN 1 AND ?1")?
            .query_row([seq], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn audit_rows_after(
        &self,
        after_seq: Option<u64>,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<AuditRow>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        match after_seq {
            None => {
                let mut stmt = self.0.prepare_cached(
                    "SELECT seq, mac, details, signer, signature, writes FROM audit
                         ORDER BY seq LIMIT ?1",
                )?;
                let rows = stmt.query_map([limit], audit_row)?;
                Ok(super::up_to(rows, max_bytes, |r| r.details.len())?)
            }
            Some(after) => {
                let after = i64::try_from(after).unwrap_or(i64::MAX);
                let mut stmt = self.0.prepare_cached(
                    "SELECT seq, mac, details, signer, signature, writes FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                )?;
                let rows = stmt.query_map([after, limit], audit_row)?;
                Ok(super::up_to(rows, max_bytes, |r| r.details.len())?)
            }
        }
    }

    fn set_grant(&self, grant: &GrantRow) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO grants (member, compartment, form, wrapped) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (member, compartment)
                 DO UPDATE SET form = excluded.form, wrapped = excluded.wrapped",
            )?
            .execute(params![
                grant.member,
                grant.compartment,
                grant.form,
                grant.wrapped
            ])?;
        Ok(())
    }

    fn grant(&self, member: &str, compartment: &str) -> Result<Option<GrantRow>> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT form, wrapped FROM grants WHERE member = ?1 AND compartment = ?2",
            )?
            .query_row(params![member, compartment], |r| {
                Ok(GrantRow {
                    member: member.to_owned(),
                    compartment: compartment.to_owned(),
                    form: r.get(0)?,
                    wrapped: r.get(1)?,
                })
            })
            .optional()?)
    }

    fn grants_of(&self, member: &str, form: &str) -> Result<Vec<GrantRow>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT compartment, wrapped FROM grants WHERE member = ?1 AND form = ?2",
        )?;
        let rows = stmt.query_map(params![member, form], |r| {
            Ok(GrantRow {
                member: member.to_owned(),
                compartment: r.get(0)?,
                form: form.to_owned(),
                wrapped: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn grant_exists(&self, compartment: &str) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached("SELECT 1 FROM grants WHERE compartment = ?1 LIMIT 1")?
            .query_row([compartment], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn all_grants(&self) -> Result<Vec<GrantRow>> {
        let mut stmt = self.0.prepare(
            "SELECT member, compartment, form, wrapped FROM grants ORDER BY member, compartment",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(GrantRow {
                member: r.get(0)?,
                compartment: r.get(1)?,
                form: r.get(2)?,
                wrapped: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn delete_grants(&self, member: &str, compartment: Option<&str>) -> Result<u64> {
        let n = match compartment {
            Some(c) => self.0.execute(
                "DELETE FROM grants WHERE member = ?1 AND compartment = ?2",
                params![member, c],
            )?,
            None => self
                .0
                .execute("DELETE FROM grants WHERE member = ?1", [member])?,
        };
        Ok(n as u64)
    }

    fn destroy_compartment(&self, compartment: &str) -> Result<u64> {
        let n = self
            .0
            .execute("DELETE FROM grants WHERE compartment = ?1", [compartment])?;
        Ok(n as u64)
    }

    fn destroy_record(&self, kind: RecordKind, id: &str) -> Result<u32> {
        // secure_delete (set when the file is opened) zeroes the freed pages.
        let n = self.0.execute(
            "DELETE FROM records WHERE kind = ?1 AND id = ?2",
            params![kind.as_str(), id],
        )?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn replace_record(&self, reference: &RecordRef, ciphertext: &[u8]) -> Result<()> {
        let changed = self
            .0
            .prepare_cached(
                "UPDATE records SET ciphertext = ?4 WHERE kind = ?1 AND id = ?2 AND version = ?3",
            )?
            .execute(params![
                reference.kind.as_str(),
                reference.id,
                reference.version,
                ciphertext
            ])?;
        super::replaced_one(changed as u64, reference)
    }

    fn failed_unlocks(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .0
            .prepare("SELECT at, keyslot FROM failed_unlocks ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn add_failed_unlock(&self, at: &str, keyslot: &str) -> Result<()> {
        self.0.execute(
            "INSERT INTO failed_unlocks (at, keyslot) VALUES (?1, ?2)",
            params![at, keyslot],
        )?;
        Ok(())
    }

    /// Removes and returns every recorded failed unlock, oldest first.
    fn take_failed_unlocks(&self) -> Result<Vec<(String, String)>> {
        let rows = self.failed_unlocks()?;
        if !rows.is_empty() {
            // Only then: an empty table is left as it is, so an unlock that has nothing
            // to fold writes no page (SQLite rewrites the table's page on every DELETE).
            self.0.execute("DELETE FROM failed_unlocks", [])?;
        }
        Ok(rows)
    }
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
        signer: r.get(3)?,
        signature: r.get(4)?,
        writes: r.get(5)?,
    })
}
