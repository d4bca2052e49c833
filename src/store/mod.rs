//! Storage: where the vault's opaque bytes live, and the scans that read them a chunk
//! at a time.
//!
//! Invariant: storage knows nothing of keys or plaintext. It holds opaque bytes
//! (keyslots, record ciphertexts, audit rows) and gives them back.

pub(crate) mod scan;
mod sqlite;

pub use sqlite::StoreError;
pub(crate) use sqlite::{AuditRow, RecordRow, Store, Tx};
