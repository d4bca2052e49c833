//! Which backend a location names, and opening or creating the vault there.

use super::{Backend, Location, SqliteStore, StoreError};

type Result<T> = std::result::Result<T, StoreError>;

/// Opens the vault at `location`.
pub(crate) fn open(location: &Location) -> Result<Box<dyn Backend>> {
    match location {
        Location::File(path) => Ok(Box::new(SqliteStore::open(path)?)),
        #[cfg(feature = "server")]
        Location::Server(address) => Ok(Box::new(super::postgres::PgStore::open(address)?)),
        #[cfg(not(feature = "server"))]
        Location::Server(_) => Err(StoreError::NoServerSupport),
    }
}

/// Creates an empty vault at `location`: a new file, or the tables in an empty
/// database.
pub(crate) fn create(location: &Location) -> Result<Box<dyn Backend>> {
    match location {
        Location::File(path) => Ok(Box::new(SqliteStore::create(path)?)),
        #[cfg(feature = "server")]
        Location::Server(address) => Ok(Box::new(super::postgres::PgStore::create(address)?)),
        #[cfg(not(feature = "server"))]
        Location::Server(_) => Err(StoreError::NoServerSupport),
    }
}
