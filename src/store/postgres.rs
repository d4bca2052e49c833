//! The PostgreSQL backend: a practice's vault in a database on a server many machines
//! share (feature `server`). Every SQL statement casevault sends a server lives here.
//!
//! The server holds the same opaque bytes a vault file does, in tables of the same
//! names. Write transactions are serialized across machines by one row lock (the
//! `casevault_lock` row, taken `FOR UPDATE` first thing, waiting up to
//! [`BUSY_TIMEOUT`]), under READ COMMITTED: once a transaction holds the lock, every
//! statement sees everything committed before it, so two operations never chain audit
//! events from the same tip, and no race is lost. A connection lost before the commit
//! leaves nothing (the server rolls the transaction back); committed is durable when
//! the server says so (`synchronous_commit`, the server's default).
//!
//! Text columns use the "C" collation, so keys sort by their bytes as in a vault file.
//!
//! Invariant: the server learns what a thief of a vault file learns, nothing more; it
//! is trusted with availability only (pins, in `vault/pin.rs`, catch a server that
//! rolls back or forks the trail).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, IsolationLevel, Row, Statement};

use super::location::ServerAddress;
use super::{
    AuditRow, BUSY_TIMEOUT, Backend, GrantRow, Location, RecordRow, StoreError, Transaction,
};
use crate::base::{RecordKind, RecordRef};

/// The schema version this build writes (the `casevault_schema` row). Version 2:
/// every note written is added to the search index, so a casevault that reads only
/// version 1 refuses the vault as newer. A vault of version 1 is read and written as
/// it is (the same tables); its searches read every note until an owner runs
/// `casevault index rebuild`.
pub(crate) const SCHEMA_VERSION: i32 = 2;

/// Marks the database as a casevault vault.
const APPLICATION: &str = "casevault";

/// How long casevault waits for a server to answer a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA: &str = r#"
CREATE TABLE casevault_schema (application text NOT NULL, version integer NOT NULL);
CREATE TABLE casevault_lock (one boolean PRIMARY KEY CHECK (one));
INSERT INTO casevault_lock VALUES (true);
CREATE TABLE meta (name text COLLATE "C" PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE keyslots (name text COLLATE "C" PRIMARY KEY, keyslot bytea NOT NULL);
CREATE TABLE records (
    kind text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    ciphertext bytea NOT NULL,
    PRIMARY KEY (kind, id, version)
);
CREATE TABLE audit (
    seq bigint PRIMARY KEY,
    mac bytea NOT NULL,
    details bytea NOT NULL,
    signer text COLLATE "C",
    signature bytea,
    writes bytea
);
CREATE TABLE failed_unlocks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at text NOT NULL,
    keyslot text NOT NULL
);
CREATE TABLE grants (
    member text COLLATE "C" NOT NULL,
    compartment text COLLATE "C" NOT NULL,
    form text COLLATE "C" NOT NULL,
    wrapped bytea NOT NULL,
    PRIMARY KEY (member, compartment)
);
CREATE INDEX grants_by_compartment ON grants (compartment);
"#;

type Result<T> = std::result::Result<T, StoreError>;

/// How many tables the database holds outside PostgreSQL's own schemas, whoever owns
/// them (the catalog lists every table; `information_schema` only those this role may
/// use).
const OTHER_TABLES: &str = "SELECT count(*) FROM pg_catalog.pg_class c
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\\_%'";

/// A vault in a PostgreSQL database.
pub(crate) struct PgStore {
    client: RefCell<Client>,
    location: Location,
    /// Statements prepared on this connection, by their text: one round trip each
    /// time instead of two.
    statements: RefCell<HashMap<String, Statement>>,
}

impl PgStore {
    /// Creates the vault's tables in `address`'s database, which must hold no table.
    pub(crate) fn create(address: &ServerAddress) -> Result<PgStore> {
        let mut store = Self::connect(address)?;
        let location = store.location.clone();
        let client = store.client.get_mut();
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::Serializable)
            .start()
            .map_err(|e| server_error(e, address))?;
        let tables: i64 = tx
            .query_one(OTHER_TABLES, &[])
            .and_then(|r| r.try_get(0))
            .map_err(|e| server_error(e, address))?;
        if tables > 0 {
            let ours: bool = tx
                .query_one("SELECT to_regclass('casevault_schema') IS NOT NULL", &[])
                .and_then(|r| r.try_get(0))
                .map_err(|e| server_error(e, address))?;
            return Err(if ours {
                StoreError::AlreadyExists(location)
            } else {
                StoreError::NotAVault(location)
            });
        }
        tx.batch_execute(SCHEMA)
            .and_then(|()| {
                tx.execute(
                    "INSERT INTO casevault_schema (application, version) VALUES ($1, $2)",
                    &[&APPLICATION, &SCHEMA_VERSION],
                )
            })
            .map_err(|e| server_error(e, address))?;
        tx.commit().map_err(|e| server_error(e, address))?;
        Ok(store)
    }

    /// Opens the vault in `address`'s database.
    pub(crate) fn open(address: &ServerAddress) -> Result<PgStore> {
        let mut store = Self::connect(address)?;
        let location = store.location.clone();
        let client = store.client.get_mut();
        let present: bool = client
            .query_one("SELECT to_regclass('casevault_schema') IS NOT NULL", &[])
            .and_then(|r| r.try_get(0))
            .map_err(|e| server_error(e, address))?;
        if !present {
            let tables: i64 = client
                .query_one(OTHER_TABLES, &[])
                .and_then(|r| r.try_get(0))
                .map_err(|e| server_error(e, address))?;
            return Err(if tables == 0 {
                StoreError::Missing(location)
            } else {
                StoreError::NotAVault(location)
            });
        }
        let rows = client
            .query("SELECT application, version FROM casevault_schema", &[])
            .map_err(|e| server_error(e, address))?;
        let [row] = rows.as_slice() else {
            return Err(StoreError::NotAVault(location));
        };
        let application: String = row.try_get(0).map_err(|e| server_error(e, address))?;
        let version: i32 = row.try_get(1).map_err(|e| server_error(e, address))?;
        if application != APPLICATION || version < 1 {
            return Err(StoreError::NotAVault(location));
        }
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found: i64::from(version),
                supported: i64::from(SCHEMA_VERSION),
            });
        }
        Ok(store)
    }

    fn connect(address: &ServerAddress) -> Result<PgStore> {
        super::location::check_address(address).map_err(|e| StoreError::Server(e.to_string()))?;
        let mut config = postgres::Config::from_str(address.as_str())
            .map_err(|e| StoreError::Server(format!("the address cannot be read: {e}")))?;
        config.application_name("casevault");
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        if super::location::is_remote(&config) {
            // A network between here and the server: never in the clear, and never
            // "prefer" (which an attacker on the path downgrades to the clear).
            match config.get_ssl_mode() {
                postgres::config::SslMode::Disable => {
                    return Err(StoreError::Server(
                        "sslmode=disable is refused for a server across a network: casevault talks to a remote server over TLS only".into(),
                    ));
                }
                _ => {
                    config.ssl_mode(postgres::config::SslMode::Require);
                }
            }
        }
        if let Some(password) = pgpass::find(&config) {
            config.password(password.as_bytes());
        }
        let client = config
            .connect(tls()?)
            .map_err(|e| connect_error(e, address))?;
        Ok(PgStore {
            client: RefCell::new(client),
            location: Location::Server(address.clone()),
            statements: RefCell::new(HashMap::new()),
        })
    }

    fn address(&self) -> &ServerAddress {
        match &self.location {
            Location::Server(address) => address,
            Location::File(_) => unreachable!("a PgStore's location is a server"),
        }
    }
}

/// TLS by rustls, with the system's trusted roots (and `PGSSLROOTCERT`'s, when set,
/// for a practice's own certificate authority).
fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(file) = std::env::var_os("PGSSLROOTCERT") {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let path = Path::new(&file);
        let certs = CertificateDer::pem_file_iter(path).map_err(|e| {
            StoreError::Server(format!(
                "the certificate file PGSSLROOTCERT names ({}) cannot be read: {e}",
                path.display()
            ))
        })?;
        for cert in certs {
            let cert = cert.map_err(|e| {
                StoreError::Server(format!("{}: not a PEM certificate: {e}", path.display()))
            })?;
            roots.add(cert).map_err(|e| {
                StoreError::Server(format!("{}: certificate refused: {e}", path.display()))
            })?;
        }
    }
    // ring, not aws-lc-rs (a C build with cmake): ring has no post-quantum key
    // exchange, which rustls now flags. What crosses this link is already sealed
    // end to end (records, grants, signed events); TLS guards the role's password
    // and which rows are asked for.
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Server(format!("TLS cannot be set up: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// A failed connection, told apart: the server not reached, the role refused, the
/// database missing.
fn connect_error(error: postgres::Error, address: &ServerAddress) -> StoreError {
    let server = address.to_string();
    if let Some(db) = error.as_db_error() {
        let code = db.code();
        if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            return StoreError::AuthRefused { server };
        }
        if *code == SqlState::INVALID_CATALOG_NAME {
            return StoreError::NoDatabase { server };
        }
        return server_error(error, address);
    }
    let text = error.to_string();
    if text.contains("password missing") {
        return StoreError::AuthRefused { server };
    }
    StoreError::Unreachable {
        server,
        detail: describe(&error),
    }
}

/// What went wrong, in the driver's words without the addresses it adds: the
/// innermost cause (an I/O error's text, a TLS error's).
fn describe(error: &postgres::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    if text.is_empty() {
        error.to_string()
    } else {
        text
    }
}

/// An error from a statement, mapped to the store's: a lock not granted in time is
/// [`StoreError::Busy`], a lost connection [`StoreError::ConnectionLost`].
fn server_error(error: postgres::Error, address: &ServerAddress) -> StoreError {
    if let Some(db) = error.as_db_error() {
        let code = db.code();
        return if *code == SqlState::LOCK_NOT_AVAILABLE || *code == SqlState::QUERY_CANCELED {
            StoreError::Busy
        } else if *code == SqlState::DISK_FULL {
            StoreError::DiskFull
        } else if *code == SqlState::READ_ONLY_SQL_TRANSACTION {
            StoreError::ReadOnly
        } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            StoreError::Privilege(db.message().to_owned())
        } else if code.code().starts_with("57") || code.code().starts_with("08") {
            StoreError::ConnectionLost {
                server: address.to_string(),
            }
        } else {
            StoreError::Server(format!("{} ({})", db.message(), code.code()))
        };
    }
    if error.is_closed() || error_has_io(&error) {
        return StoreError::ConnectionLost {
            server: address.to_string(),
        };
    }
    StoreError::Server(describe(&error))
}

fn error_has_io(error: &postgres::Error) -> bool {
    let mut cause: Option<&dyn std::error::Error> = Some(error);
    while let Some(c) = cause {
        if c.is::<std::io::Error>() {
            return true;
        }
        cause = c.source();
    }
    false
}

impl Backend for PgStore {
    fn location(&self) -> &Location {
        &self.location
    }

    fn keyslot(&self, name: &str) -> Result<Vec<u8>> {
        let row = self
            .client
            .borrow_mut()
            .query_opt("SELECT keyslot FROM keyslots WHERE name = $1", &[&name])
            .map_err(|e| server_error(e, self.address()))?;
        match row {
            Some(row) => get(&row, 0, self.address()),
            None => Err(StoreError::Corrupt(format!(
                "the {name} keyslot is missing"
            ))),
        }
    }

    fn record_failed_unlock(&mut self, keyslot: &str, at: &str) -> Result<()> {
        let address = self.address().clone();
        self.client
            .get_mut()
            .execute(
                "INSERT INTO failed_unlocks (at, keyslot) VALUES ($1, $2)",
                &[&at, &keyslot],
            )
            .map_err(|e| server_error(e, &address))?;
        Ok(())
    }

    fn backup_to(&mut self, out: &Path) -> Result<()> {
        super::transfer::backup_into_file(self, out)
    }

    fn discard(mut self: Box<Self>) -> Result<()> {
        let address = self.address().clone();
        let client = self.client.get_mut();
        let mut tx = client
            .transaction()
            .map_err(|e| server_error(e, &address))?;
        let events: i64 = tx
            .query_one("SELECT count(*) FROM audit", &[])
            .and_then(|r| r.try_get(0))
            .map_err(|e| server_error(e, &address))?;
        if events > 0 {
            return Ok(());
        }
        tx.batch_execute(
            "DROP TABLE grants, failed_unlocks, audit, records, keyslots, meta,
                        casevault_lock, casevault_schema",
        )
        .map_err(|e| server_error(e, &address))?;
        tx.commit().map_err(|e| server_error(e, &address))
    }

    fn begin(&mut self) -> Result<Box<dyn Transaction + '_>> {
        let address = match &self.location {
            Location::Server(address) => address,
            Location::File(_) => unreachable!("a PgStore's location is a server"),
        };
        let client = self.client.get_mut();
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()
            .map_err(|e| server_error(e, address))?;
        // One writer at a time, across every machine: the lock row, waited for up to
        // BUSY_TIMEOUT (then Busy, nothing done).
        tx.batch_execute(&format!(
            "SET LOCAL lock_timeout = '{}s'",
            BUSY_TIMEOUT.as_secs()
        ))
        .and_then(|()| {
            tx.query_one("SELECT one FROM casevault_lock FOR UPDATE", &[])
                .map(drop)
        })
        .map_err(|e| server_error(e, address))?;
        Ok(Box::new(PgTx {
            tx: RefCell::new(Some(tx)),
            address,
            statements: &self.statements,
        }))
    }
}

/// An open write transaction on a server vault, holding the write lock.
struct PgTx<'c> {
    tx: RefCell<Option<postgres::Transaction<'c>>>,
    address: &'c ServerAddress,
    statements: &'c RefCell<HashMap<String, Statement>>,
}

fn get<'a, T: postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
    address: &ServerAddress,
) -> Result<T> {
    row.try_get(index).map_err(|e| {
        if e.as_db_error().is_none() && !e.is_closed() {
            StoreError::Corrupt(format!(
                "a stored value has the wrong type: {}",
                describe(&e)
            ))
        } else {
            server_error(e, address)
        }
    })
}

fn version_of(value: i64) -> Result<u32> {
    u32::try_from(value)
        .map_err(|_| StoreError::Corrupt(format!("a stored version ({value}) is out of range")))
}

fn seq_of(value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| {
        StoreError::Corrupt(format!(
            "an audit row has a negative sequence number ({value})"
        ))
    })
}

fn kind_of(name: &str) -> Result<RecordKind> {
    RecordKind::parse(name).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "a record row has the unknown kind {:?}",
            name.escape_debug().take(40).collect::<String>()
        ))
    })
}

impl PgTx<'_> {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut postgres::Transaction<'_>) -> std::result::Result<T, postgres::Error>,
    ) -> Result<T> {
        let mut guard = self.tx.borrow_mut();
        let tx = guard
            .as_mut()
            .ok_or_else(|| StoreError::Server("the transaction has ended".into()))?;
        f(tx).map_err(|e| server_error(e, self.address))
    }

    /// The statement for `sql`, prepared once per connection.
    fn statement(&self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.with(|tx| tx.prepare(sql))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    fn rows(&self, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        self.with(|tx| tx.query(&statement, params))
    }

    fn row(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Option<Row>> {
        let statement = self.statement(sql)?;
        self.with(|tx| tx.query_opt(&statement, params))
    }

    /// A `count(…)` query's answer.
    fn count(&self, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> Result<u64> {
        let n: i64 = match self.row(sql, params)? {
            Some(r) => get(&r, 0, self.address)?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn execute(&self, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> Result<u64> {
        let statement = self.statement(sql)?;
        self.with(|tx| tx.execute(&statement, params))
    }

    fn record_row(&self, row: &Row, kind: Option<RecordKind>) -> Result<RecordRow> {
        let a = self.address;
        let kind = match kind {
            Some(kind) => kind,
            None => kind_of(&get::<String>(row, 0, a)?)?,
        };
        Ok(RecordRow {
            reference: RecordRef::new(
                kind,
                get::<String>(row, 1, a)?,
                version_of(get(row, 2, a)?)?,
            ),
            ciphertext: get(row, 3, a)?,
        })
    }

    fn audit_row(&self, row: &Row) -> Result<AuditRow> {
        let a = self.address;
        Ok(AuditRow {
            seq: seq_of(get(row, 0, a)?)?,
            mac: get(row, 1, a)?,
            details: get(row, 2, a)?,
            signer: get(row, 3, a)?,
            signature: get(row, 4, a)?,
            writes: get(row, 5, a)?,
        })
    }
}

fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

const AUDIT_COLUMNS: &str = "seq, mac, details, signer, signature, writes";

impl Transaction for PgTx<'_> {
    fn commit(self: Box<Self>) -> Result<()> {
        let address = self.address;
        let tx = self
            .tx
            .into_inner()
            .ok_or_else(|| StoreError::Server("the transaction has ended".into()))?;
        tx.commit().map_err(|e| match server_error(e, address) {
            // Lost while committing: the server may have kept it or not.
            StoreError::ConnectionLost { server } => StoreError::LostAtCommit { server },
            other => other,
        })
    }

    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>> {
        self.row("SELECT value FROM meta WHERE name = $1", &[&name])?
            .map(|r| get(&r, 0, self.address))
            .transpose()
    }

    fn set_meta(&self, name: &str, value: &[u8]) -> Result<()> {
        self.execute(
            "INSERT INTO meta (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[&name, &value],
        )
        .map(drop)
    }

    fn delete_meta_tree(&self, name: &str) -> Result<u64> {
        let (start, end) = super::prefix_range(&format!("{name}/"));
        self.execute(
            "DELETE FROM meta WHERE name = $1 OR (name >= $2 AND ($3::text IS NULL OR name < $3))",
            &[&name, &start, &end],
        )
    }

    fn all_meta(&self) -> Result<Vec<(String, Vec<u8>)>> {
        self.rows("SELECT name, value FROM meta ORDER BY name", &[])?
            .iter()
            .map(|r| Ok((get(r, 0, self.address)?, get(r, 1, self.address)?)))
            .collect()
    }

    fn set_keyslot(&self, name: &str, keyslot: &[u8]) -> Result<()> {
        self.execute(
            "INSERT INTO keyslots (name, keyslot) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET keyslot = excluded.keyslot",
            &[&name, &keyslot],
        )
        .map(drop)
    }

    fn keyslots(&self) -> Result<Vec<(String, Vec<u8>)>> {
        self.rows("SELECT name, keyslot FROM keyslots ORDER BY name", &[])?
            .iter()
            .map(|r| Ok((get(r, 0, self.address)?, get(r, 1, self.address)?)))
            .collect()
    }

    fn insert_record(&self, reference: &RecordRef, ciphertext: &[u8]) -> Result<()> {
        self.execute(
            "INSERT INTO records (kind, id, version, ciphertext) VALUES ($1, $2, $3, $4)",
            &[
                &reference.kind.as_str(),
                &reference.id,
                &i64::from(reference.version),
                &ciphertext,
            ],
        )
        .map(drop)
    }

    fn record_exists(&self, kind: RecordKind, id: &str) -> Result<bool> {
        Ok(self
            .row(
                "SELECT 1 FROM records WHERE kind = $1 AND id = $2 LIMIT 1",
                &[&kind.as_str(), &id],
            )?
            .is_some())
    }

    fn count_records(&self, kind: RecordKind) -> Result<u64> {
        self.count(
            "SELECT count(DISTINCT id) FROM records WHERE kind = $1",
            &[&kind.as_str()],
        )
    }

    fn record(&self, reference: &RecordRef) -> Result<Option<RecordRow>> {
        self.row(
            "SELECT kind, id, version, ciphertext FROM records
             WHERE kind = $1 AND id = $2 AND version = $3",
            &[
                &reference.kind.as_str(),
                &reference.id,
                &i64::from(reference.version),
            ],
        )?
        .map(|r| self.record_row(&r, Some(reference.kind)))
        .transpose()
        .map_err(|e| e.about(reference.kind, &reference.id))
    }

    fn latest_record(&self, kind: RecordKind, id: &str) -> Result<Option<RecordRow>> {
        self.row(
            "SELECT kind, id, version, ciphertext FROM records WHERE kind = $1 AND id = $2
             ORDER BY version DESC LIMIT 1",
            &[&kind.as_str(), &id],
        )?
        .map(|r| self.record_row(&r, Some(kind)))
        .transpose()
        .map_err(|e| e.about(kind, id))
    }

    fn latest_records_page(
        &self,
        kind: RecordKind,
        after: &str,
        limit: Option<usize>,
    ) -> Result<Vec<RecordRow>> {
        let limit = limit.map_or(i64::MAX, limit_of);
        self.rows(
            "SELECT DISTINCT ON (id) kind, id, version, ciphertext FROM records
             WHERE kind = $1 AND id > $2 ORDER BY id, version DESC LIMIT $3",
            &[&kind.as_str(), &after, &limit],
        )?
        .iter()
        .map(|r| self.record_row(r, Some(kind)))
        .collect()
    }

    fn records_after(
        &self,
        after: Option<&RecordRef>,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<RecordRow>> {
        let limit = limit_of(limit);
        let rows = match after {
            None => self.rows(
                "SELECT kind, id, version, ciphertext FROM records
                 ORDER BY kind, id, version LIMIT $1",
                &[&limit],
            )?,
            Some(after) => self.rows(
                "SELECT kind, id, version, ciphertext FROM records
                 WHERE (kind, id, version) > ($1, $2, $3)
                 ORDER BY kind, id, version LIMIT $4",
                &[
                    &after.kind.as_str(),
                    &after.id,
                    &i64::from(after.version),
                    &limit,
                ],
            )?,
        };
        let rows = super::up_to(rows.into_iter().map(Ok::<_, StoreError>), max_bytes, |r| {
            r.try_get::<_, &[u8]>(3).map_or(0, <[u8]>::len)
        });
        rows?.iter().map(|r| self.record_row(r, None)).collect()
    }

    fn append_audit(&self, row: &AuditRow) -> Result<()> {
        let seq = i64::try_from(row.seq)
            .map_err(|_| StoreError::Corrupt("an audit sequence number is out of range".into()))?;
        self.execute(
            "INSERT INTO audit (seq, mac, details, signer, signature, writes)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &seq,
                &row.mac,
                &row.details,
                &row.signer,
                &row.signature,
                &row.writes,
            ],
        )
        .map(drop)
    }

    fn last_audit(&self) -> Result<Option<AuditRow>> {
        self.row(
            &format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY seq DESC LIMIT 1"),
            &[],
        )?
        .map(|r| self.audit_row(&r))
        .transpose()
    }

    fn count_audit_upto(&self, seq: u64) -> Result<u64> {
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        self.count(
            "SELECT count(*) FROM audit WHERE seq BETWEEN 1 AND $1",
            &[&seq],
        )
    }

    fn audit_rows_after(
        &self,
        after_seq: Option<u64>,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<AuditRow>> {
        let limit = limit_of(limit);
        // From the first row, whatever its number: a row numbered below 1 (written
        // outside casevault) is read, and refused as malformed, never skipped.
        let after = after_seq.map_or(i64::MIN, |s| i64::try_from(s).unwrap_or(i64::MAX));
        let rows = self.rows(
            &format!(
                "SELECT {AUDIT_COLUMNS} FROM audit WHERE seq > $1 OR $3 ORDER BY seq LIMIT $2"
            ),
            &[&after, &limit, &after_seq.is_none()],
        )?;
        let rows = super::up_to(rows.into_iter().map(Ok::<_, StoreError>), max_bytes, |r| {
            r.try_get::<_, &[u8]>(2).map_or(0, <[u8]>::len)
        });
        rows?.iter().map(|r| self.audit_row(r)).collect()
    }

    fn set_grant(&self, grant: &GrantRow) -> Result<()> {
        self.execute(
            "INSERT INTO grants (member, compartment, form, wrapped) VALUES ($1, $2, $3, $4)
             ON CONFLICT (member, compartment)
             DO UPDATE SET form = excluded.form, wrapped = excluded.wrapped",
            &[
                &grant.member,
                &grant.compartment,
                &grant.form,
                &grant.wrapped,
            ],
        )
        .map(drop)
    }

    fn grant(&self, member: &str, compartment: &str) -> Result<Option<GrantRow>> {
        self.row(
            "SELECT form, wrapped FROM grants WHERE member = $1 AND compartment = $2",
            &[&member, &compartment],
        )?
        .map(|r| {
            Ok(GrantRow {
                member: member.to_owned(),
                compartment: compartment.to_owned(),
                form: get(&r, 0, self.address)?,
                wrapped: get(&r, 1, self.address)?,
            })
        })
        .transpose()
    }

    fn grant_exists(&self, compartment: &str) -> Result<bool> {
        Ok(self
            .row(
                "SELECT 1 FROM grants WHERE compartment = $1 LIMIT 1",
                &[&compartment],
            )?
            .is_some())
    }

    fn grants_of(&self, member: &str, form: &str) -> Result<Vec<GrantRow>> {
        self.rows(
            "SELECT compartment, wrapped FROM grants WHERE member = $1 AND form = $2
             ORDER BY compartment",
            &[&member, &form],
        )?
        .iter()
        .map(|r| {
            Ok(GrantRow {
                member: member.to_owned(),
                compartment: get(r, 0, self.address)?,
                form: form.to_owned(),
                wrapped: get(r, 1, self.address)?,
            })
        })
        .collect()
    }

    fn all_grants(&self) -> Result<Vec<GrantRow>> {
        self.rows(
            "SELECT member, compartment, form, wrapped FROM grants ORDER BY member, compartment",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(GrantRow {
                member: get(r, 0, self.address)?,
                compartment: get(r, 1, self.address)?,
                form: get(r, 2, self.address)?,
                wrapped: get(r, 3, self.address)?,
            })
        })
        .collect()
    }

    fn delete_grants(&self, member: &str, compartment: Option<&str>) -> Result<u64> {
        match compartment {
            Some(c) => self.execute(
                "DELETE FROM grants WHERE member = $1 AND compartment = $2",
                &[&member, &c],
            ),
            None => self.execute("DELETE FROM grants WHERE member = $1", &[&member]),
        }
    }

    fn destroy_compartment(&self, compartment: &str) -> Result<u64> {
        self.execute("DELETE FROM grants WHERE compartment = $1", &[&compartment])
    }

    fn destroy_record(&self, kind: RecordKind, id: &str) -> Result<u32> {
        // The server reclaims the rows' space at its next vacuum; until then a thief
        // of its disk finds ciphertext whose key is gone (the compartment's grants
        // are deleted in the same transaction).
        let n = self.execute(
            "DELETE FROM records WHERE kind = $1 AND id = $2",
            &[&kind.as_str(), &id],
        )?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn replace_record(&self, reference: &RecordRef, ciphertext: &[u8]) -> Result<()> {
        let changed = self.execute(
            "UPDATE records SET ciphertext = $4 WHERE kind = $1 AND id = $2 AND version = $3",
            &[
                &reference.kind.as_str(),
                &reference.id,
                &i64::from(reference.version),
                &ciphertext,
            ],
        )?;
        super::replaced_one(changed, reference)
    }

    fn failed_unlocks(&self) -> Result<Vec<(String, String)>> {
        self.rows("SELECT at, keyslot FROM failed_unlocks ORDER BY id", &[])?
            .iter()
            .map(|r| Ok((get(r, 0, self.address)?, get(r, 1, self.address)?)))
            .collect()
    }

    fn take_failed_unlocks(&self) -> Result<Vec<(String, String)>> {
        let rows = self.failed_unlocks()?;
        if !rows.is_empty() {
            self.execute("DELETE FROM failed_unlocks", &[])?;
        }
        Ok(rows)
    }

    fn add_failed_unlock(&self, at: &str, keyslot: &str) -> Result<()> {
        self.execute(
            "INSERT INTO failed_unlocks (at, keyslot) VALUES ($1, $2)",
            &[&at, &keyslot],
        )
        .map(drop)
    }
}

/// Passwords from the password file PostgreSQL's own tools read (`PGPASSFILE`, else
/// `~/.pgpass`): lines `host:port:database:user:password`, `*` matching anything,
/// `\` escaping `:` and `\`. Like libpq, a file others can read is ignored.
mod pgpass {
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    use zeroize::Zeroizing;

    pub(super) fn find(config: &postgres::Config) -> Option<Zeroizing<String>> {
        let file = std::env::var_os("PGPASSFILE")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pgpass")))?;
        let meta = std::fs::metadata(&file).ok()?;
        if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
            return None;
        }
        let text = Zeroizing::new(std::fs::read_to_string(&file).ok()?);
        // A Unix socket matches its directory, or (as libpq's default socket does)
        // "localhost".
        let hosts: Vec<String> = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(name)) => vec![name.clone()],
            Some(postgres::config::Host::Unix(dir)) => {
                vec![dir.to_string_lossy().into_owned(), "localhost".to_owned()]
            }
            None => vec!["localhost".to_owned()],
        };
        let port = config
            .get_ports()
            .first()
            .copied()
            .unwrap_or(5432)
            .to_string();
        let database = config.get_dbname().unwrap_or_default();
        let user = config.get_user().unwrap_or_default();
        let field_matches = |field: &str, want: &str| field == "*" || field == want;
        text.lines()
            .filter(|line| !line.starts_with('#'))
            .find_map(|line| {
                let fields = split(line);
                let [h, p, d, u, password] = fields.as_slice() else {
                    return None;
                };
                let matches = hosts.iter().any(|host| field_matches(h, host))
                    && field_matches(p, &port)
                    && field_matches(d, database)
                    && field_matches(u, user);
                matches.then(|| Zeroizing::new(password.to_string()))
            })
    }

    /// A line's fields, unescaped.
    fn split(line: &str) -> Vec<Zeroizing<String>> {
        let mut fields = vec![Zeroizing::new(String::new())];
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let (Some(next), Some(field)) = (chars.next(), fields.last_mut()) {
                        field.push(next);
                    }
                }
                ':' => fields.push(Zeroizing::new(String::new())),
                c => {
                    if let Some(field) = fields.last_mut() {
                        field.push(c);
                    }
                }
            }
        }
        fields
    }
}
