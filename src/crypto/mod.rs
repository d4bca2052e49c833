//! Cryptography: the root secret and its subkeys, the keyslots that wrap it under a
//! passphrase or recovery code, the record format every row is sealed in, and the
//! process hygiene that keeps secrets out of core dumps.
//!
//! Invariant: this layer knows nothing of SQL, the audit trail or the vault's
//! records' meaning. It turns plaintext into ciphertext and back, under keys that
//! never leave a zeroizing type.

mod age_file;
pub(crate) mod compartment;
pub(crate) mod hygiene;
pub(crate) mod keys;
pub(crate) mod keyslot;
pub(crate) mod member;
pub(crate) mod record;
pub(crate) mod signature_batch;
