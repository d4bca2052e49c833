//! What a sealed record carries to its write, and the checks before sealing.

use rand::RngCore;
use rand::rngs::OsRng;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::base::RecordRef;
use crate::crypto::record;
use crate::error::Error;

type Result<T> = std::result::Result<T, Error>;

/// The largest record casevault writes (serialized, before padding).
const MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;

/// A record sealed and ready to write, with the digest its write target will carry.
pub(crate) struct Sealed {
    pub(super) reference: RecordRef,
    pub(super) ciphertext: Vec<u8>,
    pub(super) sha256: String,
    /// For a note, what it adds to the search index, when the sealing knew it (a
    /// note re-sealed under new keys is read again for it).
    pub(super) index: Option<super::index::Entry>,
}

/// Refuses a record over the largest size casevault writes.
pub(super) fn check_size(reference: &RecordRef, len: usize) -> Result<()> {
    if len > MAX_RECORD_BYTES {
        return Err(Error::InvalidInput(format!(
            "this {} would take {} MiB; a record holds at most {} MiB (split a long note into several)",
            reference.kind.as_str(),
            len.div_ceil(1024 * 1024),
            MAX_RECORD_BYTES / (1024 * 1024)
        )));
    }
    Ok(())
}

/// A fresh random identifier (eight hexadecimal digits: [`crate::base::is_vault_id`]),
/// not yet checked for use.
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 4];
    OsRng.fill_bytes(&mut bytes);
    data_encoding::HEXLOWER.encode(&bytes)
}

/// [`record::to_json`], its error as casevault reports it.
pub(super) fn to_json<T: Serialize>(value: &T) -> Result<Zeroizing<Vec<u8>>> {
    record::to_json(value).map_err(|e| Error::InvalidInput(format!("cannot serialize: {e}")))
}
