//! Sealing records under the vault's keys, and opening them again.

use rand::RngCore;
use rand::rngs::OsRng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::audit::{self};
use crate::base::{RecordKind, RecordRef};
use crate::crypto::keys::VaultKeys;
use crate::crypto::record;
use crate::error::Error;
use crate::model::note::Note;
use crate::store::RecordRow;

type Result<T> = std::result::Result<T, Error>;

/// The largest record casevault writes (serialized, before padding).
const MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;

/// A record sealed ahead of the transaction that writes it (on any thread), with the
/// digest its write target will carry.
pub(crate) struct Sealed {
    pub(super) reference: RecordRef,
    pub(super) ciphertext: Vec<u8>,
    pub(super) sha256: String,
}

/// Seals records outside a transaction, so a batch can seal on every core before its
/// one write transaction (import). Holds the keys only by reference.
#[derive(Clone, Copy)]
pub(crate) struct Sealer<'a> {
    pub(super) keys: &'a VaultKeys,
}

impl Sealer<'_> {
    /// Serializes `value` and seals it as `reference`; refuses a record over the
    /// largest size casevault writes.
    pub(crate) fn seal<T: Serialize>(&self, reference: RecordRef, value: &T) -> Result<Sealed> {
        let plain = to_json(value)?;
        if plain.len() > MAX_RECORD_BYTES {
            return Err(Error::InvalidInput(format!(
                "this {} would take {} MiB; a record holds at most {} MiB (split a long note into several)",
                reference.kind.as_str(),
                plain.len().div_ceil(1024 * 1024),
                MAX_RECORD_BYTES / (1024 * 1024)
            )));
        }
        let ciphertext = record::seal(&self.keys.records, &reference, &plain);
        let sha256 = audit::sha256_hex(&ciphertext);
        Ok(Sealed {
            reference,
            ciphertext,
            sha256,
        })
    }

    /// [`Sealer::seal`] of a note version as its record holds it.
    pub(crate) fn seal_note(&self, note: &Note) -> Result<Sealed> {
        let reference = RecordRef::new(RecordKind::Note, &note.id, note.version);
        self.seal(reference, &note.record())
    }
}

/// A fresh random identifier (eight hexadecimal digits), not yet checked for use.
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 4];
    OsRng.fill_bytes(&mut bytes);
    data_encoding::HEXLOWER.encode(&bytes)
}

/// [`record::to_json`], its error as casevault reports it.
pub(super) fn to_json<T: Serialize>(value: &T) -> Result<Zeroizing<Vec<u8>>> {
    record::to_json(value).map_err(|e| Error::InvalidInput(format!("cannot serialize: {e}")))
}

/// Decrypts one record and parses its JSON.
pub(super) fn open_json<T: DeserializeOwned>(keys: &VaultKeys, row: &RecordRow) -> Result<T> {
    open_sealed(keys, &row.reference, &row.ciphertext)
}

pub(super) fn open_sealed<T: DeserializeOwned>(
    keys: &VaultKeys,
    reference: &RecordRef,
    ciphertext: &[u8],
) -> Result<T> {
    let plain = record::open(&keys.records, reference, ciphertext)?;
    serde_json::from_slice(&plain).map_err(|_| Error::MalformedRecord {
        record: reference.to_string(),
    })
}
