//! Records: one age file per client profile, note version or audit event.
//!
//! Each record is an age file with one stanza, casevault's own symmetric stanza:
//!
//! ```text
//! -> casevault-record <salt, base64>
//! <ChaCha20-Poly1305, zero nonce, of the file key under
//!  HKDF-SHA256(salt, "casevault.org/v1/record" || kind || id || version, records key)>
//! ```
//!
//! The reference (kind, id, version) is part of the wrapping key, so a ciphertext
//! moved to another row, or to another version of the same record, does not decrypt.
//! Plaintext is padded to a size bucket before encryption so that sizes leak little.
//!
//! Invariant: this module knows nothing of SQL; it turns plaintext into ciphertext
//! and back, and nothing else.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::iter;

use age_core::format::{FILE_KEY_BYTES, FileKey, Stanza};
use age_core::primitives::{aead_decrypt, aead_encrypt, hkdf};
use base64::Engine;
use base64::prelude::BASE64_STANDARD_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretBox};
use zeroize::{Zeroize, Zeroizing};

use super::age_file;
use crate::base::RecordRef;

const TAG: &str = "casevault-record";
const LABEL: &[u8] = b"casevault.org/v1/record";
const SALT_LEN: usize = 16;

/// The HKDF info a record's wrapping key is derived with: its reference, length-prefixed.
fn label(reference: &RecordRef) -> Vec<u8> {
    let mut label = LABEL.to_vec();
    for part in [
        reference.kind.as_str().as_bytes(),
        reference.id.as_bytes(),
        &reference.version.to_be_bytes(),
    ] {
        // Length-prefixed, so no two references share a label.
        label.extend_from_slice(&(part.len() as u32).to_be_bytes());
        label.extend_from_slice(part);
    }
    label
}

/// A record failed to decrypt or verify. Deliberately says nothing about why (no
/// oracle): the ciphertext was altered, moved, or belongs to another vault.
#[derive(Debug, thiserror::Error)]
#[error("{reference} failed its integrity check")]
pub struct IntegrityError {
    /// The record that failed.
    pub reference: RecordRef,
}

struct RecordStanza<'a> {
    key: &'a SecretBox<[u8; 32]>,
    reference: &'a RecordRef,
    /// The compartment the key belongs to, named in the stanza so that a reader knows
    /// which of its keys to try; `None` for the single-key stanza of a vault made
    /// before practices (and of a member's own records).
    compartment: Option<&'a str>,
}

impl RecordStanza<'_> {
    fn wrapping_key(&self, salt: &[u8]) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(hkdf(salt, &label(self.reference), self.key.expose_secret()))
    }
}

impl age::Recipient for RecordStanza<'_> {
    fn wrap_file_key(
        &self,
        file_key: &FileKey,
    ) -> Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
        let mut salt = [0u8; SALT_LEN];
        OsRng.fill_bytes(&mut salt);
        let body = aead_encrypt(&self.wrapping_key(&salt), file_key.expose_secret());
        let mut args = vec![BASE64_STANDARD_NO_PAD.encode(salt)];
        args.extend(self.compartment.map(str::to_owned));
        Ok((
            vec![Stanza {
                tag: TAG.to_owned(),
                args,
                body,
            }],
            HashSet::new(),
        ))
    }
}

impl age::Identity for RecordStanza<'_> {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        if stanza.tag != TAG {
            return None;
        }
        let salt = match (&stanza.args[..], self.compartment) {
            ([salt], None) => salt,
            ([salt, compartment], Some(mine)) if compartment == mine => salt,
            // Another compartment's stanza: another key of the reader's may open it.
            ([_, _], Some(_)) => return None,
            _ => return Some(Err(age::DecryptError::InvalidHeader)),
        };
        let salt = match BASE64_STANDARD_NO_PAD.decode(salt) {
            Ok(salt) if salt.len() == SALT_LEN => salt,
            _ => return Some(Err(age::DecryptError::InvalidHeader)),
        };
        let key = self.wrapping_key(&salt);
        Some(FileKey::try_init_with_mut(|file_key| {
            let mut plain = aead_decrypt(&key, FILE_KEY_BYTES, &stanza.body)
                .map_err(|_| age::DecryptError::DecryptionFailed)?;
            file_key.copy_from_slice(&plain);
            plain.zeroize();
            Ok(())
        }))
    }
}

/// The size a plaintext of `len` bytes is padded to (length prefix included):
/// powers of two from 512 bytes to 64 KiB, then multiples of 64 KiB.
pub(crate) fn padded_len(len: usize) -> usize {
    const STEP: usize = 64 * 1024;
    let needed = len + 4;
    if needed <= STEP {
        needed.next_power_of_two().max(512)
    } else {
        needed.div_ceil(STEP) * STEP
    }
}

/// Encrypts `plaintext` as the record `reference`.
pub fn seal(key: &SecretBox<[u8; 32]>, reference: &RecordRef, plaintext: &[u8]) -> Vec<u8> {
    let stanza = RecordStanza {
        key,
        reference,
        compartment: None,
    };
    seal_with(&[stanza], plaintext)
}

/// Encrypts `plaintext` as the record `reference`, readable with the key of any of
/// `compartments` (identifier, key): one stanza each, naming its compartment.
pub(crate) fn seal_to(
    compartments: &[(&str, &SecretBox<[u8; 32]>)],
    reference: &RecordRef,
    plaintext: &[u8],
) -> Vec<u8> {
    let stanzas: Vec<RecordStanza<'_>> = compartments
        .iter()
        .map(|(id, key)| RecordStanza {
            key,
            reference,
            compartment: Some(id),
        })
        .collect();
    seal_with(&stanzas, plaintext)
}

/// [`seal_to`], also readable by each of `recipients` (age X25519): an audit event a
/// member who does not review the trail appends, sealed for those who do.
pub(crate) fn seal_to_with(
    compartments: &[(&str, &SecretBox<[u8; 32]>)],
    recipients: &[age::x25519::Recipient],
    reference: &RecordRef,
    plaintext: &[u8],
) -> Vec<u8> {
    let stanzas: Vec<RecordStanza<'_>> = compartments
        .iter()
        .map(|(id, key)| RecordStanza {
            key,
            reference,
            compartment: Some(id),
        })
        .collect();
    let all: Vec<&dyn age::Recipient> = stanzas
        .iter()
        .map(|s| s as &dyn age::Recipient)
        .chain(recipients.iter().map(|r| r as &dyn age::Recipient))
        .collect();
    seal_recipients(all, plaintext)
}

/// Decrypts the record `reference` with an age X25519 identity.
pub(crate) fn open_x25519(
    identity: &age::x25519::Identity,
    reference: &RecordRef,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, IntegrityError> {
    open_identity(identity, reference, ciphertext)
}

/// The compartments a record's stanzas name, in order: which keys may open it. Read
/// from the age header's text; a record with none (sealed before practices, or a
/// member's own) gives an empty list.
pub(crate) fn compartments_of(ciphertext: &[u8]) -> Vec<&str> {
    let header_end = ciphertext
        .windows(4)
        .position(|w| w == b"\n---")
        .unwrap_or(0);
    let header = std::str::from_utf8(&ciphertext[..header_end]).unwrap_or("");
    header
        .lines()
        .filter_map(|line| line.strip_prefix("-> "))
        .filter_map(|stanza| {
            let mut parts = stanza.split(' ');
            (parts.next() == Some(TAG)).then_some(())?;
            let _salt = parts.next()?;
            let id = parts.next()?;
            parts.next().is_none().then_some(id)
        })
        .collect()
}

/// Decrypts the record `reference` with the key of `compartment`.
pub(crate) fn open_in(
    compartment: &str,
    key: &SecretBox<[u8; 32]>,
    reference: &RecordRef,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, IntegrityError> {
    let stanza = RecordStanza {
        key,
        reference,
        compartment: Some(compartment),
    };
    open_with(stanza, ciphertext)
}

fn seal_with(stanzas: &[RecordStanza<'_>], plaintext: &[u8]) -> Vec<u8> {
    seal_recipients(
        stanzas.iter().map(|s| s as &dyn age::Recipient).collect(),
        plaintext,
    )
}

fn seal_recipients(recipients: Vec<&dyn age::Recipient>, plaintext: &[u8]) -> Vec<u8> {
    let len = u32::try_from(plaintext.len()).expect("a record is smaller than 4 GiB");
    let mut padded = Zeroizing::new(Vec::with_capacity(padded_len(plaintext.len())));
    padded.extend_from_slice(&len.to_le_bytes());
    padded.extend_from_slice(plaintext);
    padded.resize(padded_len(plaintext.len()), 0);

    let encryptor = age::Encryptor::with_recipients(recipients.into_iter())
        .expect("record stanzas and X25519 recipients are a valid recipient set");
    let mut out = Vec::with_capacity(padded.len() + 256);
    let mut writer = encryptor
        .wrap_output(&mut out)
        .expect("writing to memory cannot fail");
    writer
        .write_all(&padded)
        .expect("writing to memory cannot fail");
    writer.finish().expect("writing to memory cannot fail");
    out
}

/// Decrypts the record `reference` and removes its padding.
pub fn open(
    key: &SecretBox<[u8; 32]>,
    reference: &RecordRef,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, IntegrityError> {
    let stanza = RecordStanza {
        key,
        reference,
        compartment: None,
    };
    open_with(stanza, ciphertext)
}

fn open_with(
    stanza: RecordStanza<'_>,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, IntegrityError> {
    let reference = stanza.reference;
    let padded = age_file::open(&stanza, TAG, ciphertext).ok_or_else(|| IntegrityError {
        reference: reference.clone(),
    })?;
    unpad(padded, reference)
}

fn open_identity(
    identity: &dyn age::Identity,
    reference: &RecordRef,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, IntegrityError> {
    let fail = || IntegrityError {
        reference: reference.clone(),
    };
    let decryptor = age::Decryptor::new_buffered(ciphertext).map_err(|_| fail())?;
    let mut reader = decryptor
        .decrypt(iter::once(identity))
        .map_err(|_| fail())?;
    let mut padded = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    reader.read_to_end(&mut padded).map_err(|_| fail())?;
    unpad(padded, reference)
}

/// Removes the length prefix and the padding of a decrypted record.
fn unpad(
    mut padded: Zeroizing<Vec<u8>>,
    reference: &RecordRef,
) -> Result<Zeroizing<Vec<u8>>, IntegrityError> {
    let fail = || IntegrityError {
        reference: reference.clone(),
    };
    let len_bytes: [u8; 4] = padded
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(fail)?;
    let len = u32::from_le_bytes(len_bytes) as usize;
    if padded.len() < 4 + len {
        return Err(fail());
    }
    // In place, rather than a copy: an event can be megabytes. The padding left in the
    // spare capacity is wiped with the rest when the buffer drops.
    padded.copy_within(4..4 + len, 0);
    padded.truncate(len);
    Ok(padded)
}

/// Serializes into a buffer of exactly the right size, so no partial copy of the
/// plaintext is left behind by a reallocation; the buffer is wiped on drop.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Result<Zeroizing<Vec<u8>>> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value)?;
    let mut out = Zeroizing::new(Vec::with_capacity(count.0));
    serde_json::to_writer(&mut *out, value)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::RecordKind;

    fn key() -> SecretBox<[u8; 32]> {
        SecretBox::init_with_mut(|k: &mut [u8; 32]| OsRng.fill_bytes(k))
    }

    #[test]
    fn round_trip() {
        let key = key();
        let r = RecordRef::new(RecordKind::Note, "a1b2c3d4", 2);
        let sealed = seal(&key, &r, b"session text");
        assert_eq!(&open(&key, &r, &sealed).unwrap()[..], b"session text");
    }

    #[test]
    fn bound_to_its_reference() {
        let key = key();
        let r = RecordRef::new(RecordKind::Note, "a1b2c3d4", 2);
        let sealed = seal(&key, &r, b"session text");
        for other in [
            RecordRef::new(RecordKind::Note, "a1b2c3d4", 1),
            RecordRef::new(RecordKind::Note, "a1b2c3d5", 2),
            RecordRef::new(RecordKind::Client, "a1b2c3d4", 2),
        ] {
            assert!(open(&key, &other, &sealed).is_err(), "{other}");
        }
    }

    #[test]
    fn any_flipped_byte_fails() {
        let key = key();
        let r = RecordRef::new(RecordKind::Client, "00ff00ff", 1);
        let sealed = seal(&key, &r, b"Ada Example");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(
                open(&key, &r, &bad).is_err(),
                "byte {i} flipped still opened"
            );
        }
    }

    #[test]
    fn sizes_fall_in_buckets() {
        let key = key();
        let r = RecordRef::new(RecordKind::Note, "x", 1);
        // age's header varies (it greases), so compare the payloads that follow it.
        let payload_len = |sealed: Vec<u8>| {
            let mac_line = sealed.windows(5).position(|w| w == b"\n--- ").unwrap() + 1;
            let end = mac_line + sealed[mac_line..].iter().position(|&b| b == b'\n').unwrap();
            sealed.len() - end - 1
        };
        let small = payload_len(seal(&key, &r, b"a"));
        assert_eq!(small, payload_len(seal(&key, &r, &[b'b'; 500])));
        assert_eq!(small, 16 + 512 + 16, "nonce, one padded chunk, tag");
        assert!(payload_len(seal(&key, &r, &[b'c'; 600])) > small);
        assert_eq!(padded_len(0), 512);
        assert_eq!(padded_len(1000), 1024);
        assert_eq!(padded_len(70_000), 128 * 1024);
    }
}
