//! What can go wrong in storage, whichever backend holds the vault.

use std::path::{Path, PathBuf};

use super::BUSY_TIMEOUT;
use crate::base::RecordKind;

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
