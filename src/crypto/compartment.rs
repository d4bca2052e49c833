//! Compartments' data keys: made at random, named by an identifier only the practice
//! can compute, wrapped to each entitled member, and used to seal the parts of a note
//! that belong to one category.
//!
//! Invariant: a data key is never stored unwrapped; an identifier says nothing of the
//! client or category to whoever lacks the practice's naming key.

use std::io::{Read, Write};
use std::iter;
use std::str::FromStr;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::base::{RecordKind, RecordRef};
use crate::crypto::record::{self, IntegrityError};

/// A compartment's data key.
pub(crate) type DataKey = SecretBox<[u8; 32]>;

/// A new random data key (also the practice's naming key).
pub(crate) fn generate() -> DataKey {
    SecretBox::init_with_mut(|key: &mut [u8; 32]| OsRng.fill_bytes(key))
}

/// A data key from its bytes.
pub(crate) fn from_bytes(bytes: &[u8]) -> Option<DataKey> {
    let bytes: &[u8; 32] = bytes.try_into().ok()?;
    Some(SecretBox::init_with_mut(|key: &mut [u8; 32]| {
        key.copy_from_slice(bytes)
    }))
}

/// The identifier of compartment `label` in key epoch `epoch`: an HMAC under the
/// practice's naming key, so that the file does not say which client or category a
/// key, a grant or a record belongs to.
pub(crate) fn identifier(naming: &DataKey, label: &str, epoch: u32) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(naming.expose_secret())
        .expect("HMAC takes a key of any length");
    mac.update(b"casevault.org/v2/compartment");
    mac.update(&(label.len() as u64).to_be_bytes());
    mac.update(label.as_bytes());
    mac.update(&epoch.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    format!("c{}", data_encoding::HEXLOWER.encode(&digest[..16]))
}

/// The reference a grant's wrapping is bound to: the compartment it opens.
fn grant_reference(compartment: &str) -> RecordRef {
    RecordRef::new(RecordKind::Grant, compartment, 1)
}

/// The first bytes of a grant signed by the member who made it ([`sign_grant`]).
const SIGNED_GRANT: &[u8; 4] = b"CVG1";

/// A grant to another member as stored: `CVG1`, the granter's name (its length as a
/// `u16`, big-endian, then UTF-8), their Ed25519 signature of [`grant_message`], then
/// the age file [`wrap_to`] made. Anyone may encrypt to a member's public key (the
/// server too); only a member of the practice can sign, so a member takes in only
/// keys another member gave them.
pub(crate) fn sign_grant(
    signing: &ed25519_dalek::SigningKey,
    granter: &str,
    member: &str,
    compartment: &str,
    wrapped: &[u8],
) -> Vec<u8> {
    use ed25519_dalek::Signer;
    let signature = signing.sign(&grant_message(member, compartment, wrapped));
    let name = granter.as_bytes();
    let mut out = Vec::with_capacity(4 + 2 + name.len() + 64 + wrapped.len());
    out.extend_from_slice(SIGNED_GRANT);
    out.extend_from_slice(&u16::try_from(name.len()).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&signature.to_bytes());
    out.extend_from_slice(wrapped);
    out
}

/// What a grant's signature covers: to whom, which compartment, the wrapped key.
fn grant_message(member: &str, compartment: &str, wrapped: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    let mut h = Sha256::new();
    for part in [
        b"casevault.org/v2/grant".as_slice(),
        member.as_bytes(),
        compartment.as_bytes(),
        wrapped,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}

/// A grant to this member, read from its stored form ([`sign_grant`]).
pub(crate) struct SignedGrant<'a> {
    /// Who signed it.
    pub(crate) granter: &'a str,
    signature: ed25519_dalek::Signature,
    /// The age file holding the key.
    pub(crate) wrapped: &'a [u8],
}

impl<'a> SignedGrant<'a> {
    /// Reads a stored grant; `None` for one that is not signed (or not well formed).
    pub(crate) fn read(bytes: &'a [u8]) -> Option<SignedGrant<'a>> {
        let rest = bytes.strip_prefix(SIGNED_GRANT)?;
        let (len, rest) = rest.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*len));
        let (name, rest) = (rest.get(..len)?, rest.get(len..)?);
        let (signature, wrapped) = rest.split_first_chunk::<64>()?;
        Some(SignedGrant {
            granter: std::str::from_utf8(name).ok()?,
            signature: ed25519_dalek::Signature::from_bytes(signature),
            wrapped,
        })
    }

    /// Whether the granter's key signed this grant of `compartment` to `member`.
    pub(crate) fn verifies(
        &self,
        key: &ed25519_dalek::VerifyingKey,
        member: &str,
        compartment: &str,
    ) -> bool {
        key.verify_strict(
            &grant_message(member, compartment, self.wrapped),
            &self.signature,
        )
        .is_ok()
    }
}

/// Wraps `key` to a member's age recipient (`age1…`): what a grant holds until its
/// member takes it in.
pub(crate) fn wrap_to(recipient: &str, key: &DataKey) -> Option<Vec<u8>> {
    let recipient = age::x25519::Recipient::from_str(recipient).ok()?;
    let encryptor =
        age::Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient)).ok()?;
    let mut out = Vec::with_capacity(256);
    let mut writer = encryptor.wrap_output(&mut out).ok()?;
    writer.write_all(key.expose_secret()).ok()?;
    writer.finish().ok()?;
    Some(out)
}

/// Unwraps a key wrapped to `identity` ([`wrap_to`]).
pub(crate) fn unwrap_from(
    identity: &age::x25519::Identity,
    compartment: &str,
    wrapped: &[u8],
) -> Result<DataKey, IntegrityError> {
    let fail = || IntegrityError {
        reference: grant_reference(compartment),
    };
    let decryptor = age::Decryptor::new_buffered(wrapped).map_err(|_| fail())?;
    let mut reader = decryptor
        .decrypt(iter::once(identity as &dyn age::Identity))
        .map_err(|_| fail())?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(32));
    reader.read_to_end(&mut bytes).map_err(|_| fail())?;
    from_bytes(&bytes).ok_or_else(fail)
}

/// Wraps `key` under the member's personal key: a grant once taken in, which costs an
/// AEAD to open instead of a Diffie-Hellman.
pub(crate) fn wrap_own(personal: &DataKey, compartment: &str, key: &DataKey) -> Vec<u8> {
    record::seal(personal, &grant_reference(compartment), key.expose_secret())
}

/// Unwraps a key wrapped under the member's personal key ([`wrap_own`]).
pub(crate) fn unwrap_own(
    personal: &DataKey,
    compartment: &str,
    wrapped: &[u8],
) -> Result<DataKey, IntegrityError> {
    let reference = grant_reference(compartment);
    let bytes = record::open(personal, &reference, wrapped)?;
    from_bytes(&bytes).ok_or(IntegrityError { reference })
}

/// The smallest padded size of a part's text: a part with no text and one with a
/// short text (its heading and up to about a hundred bytes) look alike.
const MIN_PART: usize = 128;

/// Seals one part of a record (a note's text of one category) under a compartment's
/// key: XChaCha20-Poly1305 with a random nonce, the part's place (`binding`: the
/// record, place and compartment) as associated data. `label` (the category, which
/// whoever reads the record knows anyway: every category has a part) is stored as it
/// is; `text` is padded to a power of two of at least 128 bytes, so that the size says
/// nothing of a short text or of none. Returns nonce || ciphertext.
pub(crate) fn seal_part(key: &DataKey, binding: &[u8], label: &[u8], text: &[u8]) -> Vec<u8> {
    let label_len = u32::try_from(label.len()).expect("a category name is short");
    let text_len = u32::try_from(text.len()).expect("a part is smaller than 4 GiB");
    let padded_text = (text.len() + 4).next_power_of_two().max(MIN_PART);
    let mut padded = Zeroizing::new(Vec::with_capacity(4 + label.len() + padded_text));
    padded.extend_from_slice(&label_len.to_le_bytes());
    padded.extend_from_slice(label);
    padded.extend_from_slice(&text_len.to_le_bytes());
    padded.extend_from_slice(text);
    padded.resize(4 + label.len() + padded_text, 0);
    seal_padded(key, binding, &padded)
}

/// XChaCha20-Poly1305 under `key` with a random nonce, `binding` as associated data:
/// nonce || ciphertext. What a part and an index block share.
fn seal_padded(key: &DataKey, binding: &[u8], padded: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let cipher = XChaCha20Poly1305::new(key.expose_secret().into());
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: padded,
                aad: binding,
            },
        )
        .expect("XChaCha20-Poly1305 seals any length casevault writes");
    let mut out = Vec::with_capacity(24 + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

/// Opens what [`seal_padded`] sealed; `None` when it does not verify.
fn open_padded(key: &DataKey, binding: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < 24 + 16 {
        return None;
    }
    let (nonce, body) = sealed.split_at(24);
    let cipher = XChaCha20Poly1305::new(key.expose_secret().into());
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: body,
                aad: binding,
            },
        )
        .ok()
        .map(Zeroizing::new)
}

/// A part opened: its label and its text.
pub(crate) struct OpenedPart {
    pub(crate) label: String,
    pub(crate) text: Zeroizing<Vec<u8>>,
}

/// Opens a part sealed by [`seal_part`]; `None` when it does not verify (altered,
/// moved, or another key's) or is malformed.
pub(crate) fn open_part(key: &DataKey, binding: &[u8], sealed: &[u8]) -> Option<OpenedPart> {
    let padded = open_padded(key, binding, sealed)?;
    let label_len = u32::from_le_bytes(padded.get(..4)?.try_into().ok()?) as usize;
    let label = std::str::from_utf8(padded.get(4..4 + label_len)?)
        .ok()?
        .to_owned();
    let at = 4 + label_len;
    let text_len = u32::from_le_bytes(padded.get(at..at + 4)?.try_into().ok()?) as usize;
    let text = padded.get(at + 4..at + 4 + text_len)?;
    Some(OpenedPart {
        label,
        text: Zeroizing::new(text.to_vec()),
    })
}

/// The smallest a sealed block's padded plaintext is, and the size past which it is
/// padded to a multiple of itself rather than to a power of two.
const MIN_BLOCK: usize = 512;
const BLOCK_STEP: usize = 64 * 1024;

/// Seals a block of a compartment's search index under its key: XChaCha20-Poly1305
/// with a random nonce, `binding` (the compartment and the block's name) as associated
/// data; the plaintext padded to a power of two of at least 512 bytes, or `min` if
/// more (a multiple of 64 KiB past that), so that a block's size says little of how
/// much text it covers. Returns nonce || ciphertext.
pub(crate) fn seal_block(key: &DataKey, binding: &[u8], plain: &[u8], min: usize) -> Vec<u8> {
    let len = u32::try_from(plain.len()).expect("an index block is smaller than 4 GiB");
    let need = (plain.len() + 4).max(min);
    let padded_len = if need <= BLOCK_STEP {
        need.next_power_of_two().max(MIN_BLOCK)
    } else {
        need.div_ceil(BLOCK_STEP) * BLOCK_STEP
    };
    let mut padded = Zeroizing::new(Vec::with_capacity(padded_len));
    padded.extend_from_slice(&len.to_le_bytes());
    padded.extend_from_slice(plain);
    padded.resize(padded_len, 0);
    seal_padded(key, binding, &padded)
}

/// Opens a block sealed by [`seal_block`]; `None` when it does not verify (altered,
/// moved, or another key's) or is malformed.
pub(crate) fn open_block(
    key: &DataKey,
    binding: &[u8],
    sealed: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let mut padded = open_padded(key, binding, sealed)?;
    let len = u32::from_le_bytes(padded.get(..4)?.try_into().ok()?) as usize;
    if 4 + len > padded.len() {
        return None;
    }
    padded.truncate(4 + len);
    padded.drain(..4);
    Some(padded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_and_are_bound() {
        let key = generate();
        let sealed = seal_part(&key, b"note a 1 risk c1", b"risk", b"no ideation");
        let opened = open_part(&key, b"note a 1 risk c1", &sealed).unwrap();
        assert_eq!(opened.label, "risk");
        assert_eq!(&opened.text[..], b"no ideation");
        assert!(open_part(&key, b"note a 1 progress c1", &sealed).is_none());
        assert!(open_part(&generate(), b"note a 1 risk c1", &sealed).is_none());
        // No text, and a heading with a short text, have the same size.
        let empty = seal_part(&key, b"x", b"substance-use", b"[]");
        let short = br###"[[3,"## substance-use\nDrinks twice a week, more at weekends.\n"]]"###;
        assert_eq!(
            empty.len(),
            seal_part(&key, b"x", b"substance-use", short).len()
        );
    }

    #[test]
    fn index_blocks_round_trip_padded_and_bound() {
        let key = generate();
        let sealed = seal_block(&key, b"c1 b1", b"postings", 0);
        assert_eq!(
            &open_block(&key, b"c1 b1", &sealed).unwrap()[..],
            b"postings"
        );
        assert!(open_block(&key, b"c1 b2", &sealed).is_none());
        assert!(open_block(&generate(), b"c1 b1", &sealed).is_none());
        // Sizes: at least 512 bytes, powers of two, then steps of 64 KiB.
        assert_eq!(sealed.len(), 24 + 512 + 16);
        assert_eq!(seal_block(&key, b"x", &[7; 600], 0).len(), 24 + 1024 + 16);
        assert_eq!(
            seal_block(&key, b"x", &[7; 70_000], 0).len(),
            24 + 128 * 1024 + 16
        );
        let big = seal_block(&key, b"x", &[7; 200_000], 0);
        assert_eq!(seal_block(&key, b"x", b"", 2048).len(), 24 + 2048 + 16);
        assert_eq!(big.len(), 24 + 256 * 1024 + 16);
        assert_eq!(open_block(&key, b"x", &big).unwrap().len(), 200_000);
    }

    #[test]
    fn grants_round_trip() {
        let key = generate();
        let identity = age::x25519::Identity::generate();
        let recipient = identity.to_public().to_string();
        let wrapped = wrap_to(&recipient, &key).unwrap();
        let back = unwrap_from(&identity, "c1", &wrapped).unwrap();
        assert_eq!(back.expose_secret(), key.expose_secret());
        let personal = generate();
        let own = wrap_own(&personal, "c1", &key);
        assert_eq!(
            unwrap_own(&personal, "c1", &own).unwrap().expose_secret(),
            key.expose_secret()
        );
        assert!(
            unwrap_own(&personal, "c2", &own).is_err(),
            "bound to its compartment"
        );
    }

    #[test]
    fn identifiers_depend_on_every_input() {
        let naming = generate();
        let a = identifier(&naming, "client/a/risk", 1);
        assert_ne!(a, identifier(&naming, "client/a/risk", 2));
        assert_ne!(a, identifier(&naming, "client/a/progress", 1));
        assert_ne!(a, identifier(&generate(), "client/a/risk", 1));
    }
}
