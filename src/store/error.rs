//! What can go wrong in storage, whichever backend holds the vault.

use std::path::{Path, PathBuf};

use super::{BUSY_TIMEOUT, Location};
use crate::base::RecordKind;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// There is no vault at the location.
    #[error("no vault at {0}")]
    Missing(Location),
    /// A file already exists where a new vault or backup was to be created (or the
    /// database already holds a vault).
    #[error("{0} already exists")]
    AlreadyExists(Location),
    /// The file (or database) is not a casevault vault.
    #[error("{0} is not a casevault vault")]
    NotAVault(Location),
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
    /// The vault's location names a server, and this build has no server backend.
    #[error(
        "this casevault was built without the PostgreSQL backend (the library's feature `server`)"
    )]
    NoServerSupport,
    /// The server could not be reached.
    #[error("cannot reach the server for {server}: {detail}")]
    Unreachable {
        /// The vault's address.
        server: String,
        /// What the connection attempt met (refused, timed out, name unknown, TLS).
        detail: String,
    },
    /// The server refused the database role or its password.
    #[error("the server for {server} refused the database role's authentication")]
    AuthRefused {
        /// The vault's address.
        server: String,
    },
    /// The server has no database of that name.
    #[error("the server for {server} has no such database")]
    NoDatabase {
        /// The vault's address.
        server: String,
    },
    /// The connection to the server was lost before the command's changes were
    /// committed: none of them was kept.
    #[error(
        "the connection to the server for {server} was lost; nothing of this command was saved"
    )]
    ConnectionLost {
        /// The vault's address.
        server: String,
    },
    /// The connection was lost while the server was committing: whether the
    /// command's changes were kept is not known.
    #[error(
        "the connection to the server for {server} was lost while it was saving: the command may or may not have been saved"
    )]
    LostAtCommit {
        /// The vault's address.
        server: String,
    },
    /// The database role lacks a privilege the command needs.
    #[error("the server refused the database role: {0}")]
    Privilege(String),
    /// The server reported an error other than the above.
    #[error("the server reported an error: {0}")]
    Server(String),
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

impl StoreError {
    /// Names the vault file in a corruption SQLite found while opening it.
    pub(crate) fn in_file(self, path: &Path) -> StoreError {
        match self {
            StoreError::Corrupt(what) => StoreError::Corrupt(format!("{}: {what}", path.display())),
            other => other,
        }
    }

    /// Names the record involved in a corruption.
    pub(crate) fn about(self, kind: RecordKind, id: &str) -> StoreError {
        match self {
            StoreError::Corrupt(what) => {
                StoreError::Corrupt(format!("{} {id}: {what}", kind.as_str()))
            }
            other => other,
        }
    }
}
