//! Reading a record's age file from memory in one pass.
//!
//! `age::Decryptor` reads from a stream: it parses the header again after each line
//! it reads, allocates a 64 KiB chunk buffer, and hands the plaintext over through two
//! more copies. A record is a whole age file already in memory, most of them under
//! 4 KiB, where that work cost more than the decryption (a 2 KiB note took 10 µs to
//! open against 2.8 µs for its AEAD alone). This reader makes the same checks as age,
//! in the same order, on the bytes in place:
//!
//! - the header: `age-encryption.org/v1`, one or more stanzas parsed by age's own
//!   stanza parser (`age_core::format::read::legacy_age_stanza`), a `scrypt` stanza
//!   only alone, then `---` and the MAC in canonical base64;
//! - the stanzas offered to the identity in order, the first it claims deciding (as
//!   `age::Identity::unwrap_stanzas` does);
//! - the header MAC, HMAC-SHA256 under HKDF(file key, "header"), compared in
//!   constant time;
//! - the payload, STREAM of ChaCha20-Poly1305 under HKDF(nonce, file key, "payload"):
//!   64 KiB chunks, every chunk but the last flagged not-last, the last flagged last,
//!   nothing after it, and an empty last chunk only in an empty file.
//!
//! Anything else fails, without saying why. The tests compare it with
//! `age::Decryptor` on files age wrote, altered byte by byte, cut and extended.

use age::Identity;
use age_core::format::read::legacy_age_stanza;
use age_core::format::{FileKey, Stanza};
use age_core::primitives::hkdf;
use base64::Engine;
use base64::prelude::BASE64_STANDARD_NO_PAD;
use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Tag};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use zeroize::Zeroizing;

const MAGIC: &[u8] = b"age-encryption.org/v1\n";
const MAC_TAG: &[u8] = b"---";
/// The MAC's base64 encoding (32 bytes, unpadded).
const MAC_B64_LEN: usize = 43;
const NONCE_LEN: usize = 16;
const CHUNK: usize = 64 * 1024;
const TAG_LEN: usize = 16;
const SCRYPT_TAG: &str = "scrypt";

/// Decrypts the age file `file` with `identity`, offering it only the stanzas tagged
/// `tag` (the identity ignores the others: age's record and X25519 identities claim
/// only stanzas of their own tag). `None` when anything fails.
pub(super) fn open(identity: &dyn Identity, tag: &str, file: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut rest = file.strip_prefix(MAGIC)?;
    let (mut stanzas, mut any_scrypt, mut file_key) = (0usize, false, None);
    while let Ok((after, stanza)) = legacy_age_stanza(rest) {
        rest = after;
        stanzas += 1;
        any_scrypt |= stanza.tag == SCRYPT_TAG;
        // The first stanza the identity claims decides, as in age.
        if file_key.is_none() && stanza.tag == tag {
            file_key = identity.unwrap_stanza(&Stanza::from(stanza));
        }
    }
    if stanzas == 0 || (any_scrypt && stanzas > 1) {
        return None;
    }
    // The MAC covers the header up to and including `---`.
    let macced = file.len() - rest.len() + MAC_TAG.len();
    let rest = rest.strip_prefix(MAC_TAG)?.strip_prefix(b" ")?;
    let (mac_b64, rest) = rest.split_at_checked(MAC_B64_LEN)?;
    let rest = rest.strip_prefix(b"\n")?;
    // Canonical base64 of exactly 32 bytes, decoded as age does.
    let mut mac = [0u8; 33];
    let mac_len = BASE64_STANDARD_NO_PAD
        .decode_slice(mac_b64, &mut mac)
        .ok()?;
    if mac_len != 32 {
        return None;
    }
    let (nonce, payload) = rest.split_at_checked(NONCE_LEN)?;

    let file_key: FileKey = file_key?.ok()?;
    let file_key = file_key.expose_secret();
    let header_key = Zeroizing::new(hkdf(&[], b"header", file_key));
    let mut hmac = <Hmac<Sha256> as Mac>::new_from_slice(&header_key[..])
        .expect("HMAC takes a key of any length");
    hmac.update(&file[..macced]);
    hmac.verify_slice(&mac[..32]).ok()?;

    let payload_key = Zeroizing::new(hkdf(nonce, b"payload", file_key));
    decrypt_payload(&payload_key, payload)
}

/// age's STREAM: the payload in chunks of 64 KiB plus a tag, each under a nonce of an
/// 11-byte big-endian counter and a last-chunk flag.
fn decrypt_payload(key: &[u8; 32], payload: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let aead = ChaCha20Poly1305::new(key.into());
    let chunks = payload.len().div_ceil(CHUNK + TAG_LEN);
    if chunks == 0 {
        // No chunk at all: truncated (even an empty file has its last chunk).
        return None;
    }
    let mut plain = Zeroizing::new(Vec::with_capacity(payload.len()));
    for (counter, chunk) in payload.chunks(CHUNK + TAG_LEN).enumerate() {
        let last = counter + 1 == chunks;
        let (body, tag) = chunk.split_at_checked(chunk.len().checked_sub(TAG_LEN)?)?;
        if last && body.is_empty() && counter > 0 {
            // An empty last chunk is allowed only as the whole of an empty file.
            return None;
        }
        let mut nonce = [0u8; 12];
        nonce[..11].copy_from_slice(&(counter as u128).to_be_bytes()[5..]);
        nonce[11] = u8::from(last);
        let start = plain.len();
        plain.extend_from_slice(body);
        aead.decrypt_in_place_detached(
            chacha20poly1305::Nonce::from_slice(&nonce),
            b"",
            &mut plain[start..],
            Tag::from_slice(tag),
        )
        .ok()?;
    }
    Some(plain)
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::iter;

    use super::*;

    /// `file` decrypted by age's own reader.
    fn by_age(identity: &dyn Identity, file: &[u8]) -> Option<Vec<u8>> {
        let decryptor = age::Decryptor::new_buffered(file).ok()?;
        let mut reader = decryptor.decrypt(iter::once(identity)).ok()?;
        let mut out = Vec::new();
        reader.read_to_end(&mut out).ok()?;
        Some(out)
    }

    fn encrypt(recipient: &age::x25519::Recipient, plain: &[u8]) -> Vec<u8> {
        let encryptor =
            age::Encryptor::with_recipients(iter::once(recipient as &dyn age::Recipient)).unwrap();
        let mut out = Vec::new();
        let mut writer = encryptor.wrap_output(&mut out).unwrap();
        writer.write_all(plain).unwrap();
        writer.finish().unwrap();
        out
    }

    fn agree(identity: &age::x25519::Identity, file: &[u8]) -> Option<Vec<u8>> {
        let ours = open(identity, "X25519", file).map(|p| p.to_vec());
        assert_eq!(ours, by_age(identity, file), "differs from age");
        ours
    }

    #[test]
    fn agrees_with_age_on_sizes_around_chunks() {
        let identity = age::x25519::Identity::generate();
        let recipient = identity.to_public();
        for len in [
            0,
            1,
            511,
            CHUNK - 1,
            CHUNK,
            CHUNK + 1,
            2 * CHUNK,
            2 * CHUNK + 7,
        ] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let file = encrypt(&recipient, &plain);
            assert_eq!(
                agree(&identity, &file).as_deref(),
                Some(&plain[..]),
                "{len}"
            );
        }
    }

    #[test]
    fn agrees_with_age_on_altered_files() {
        let identity = age::x25519::Identity::generate();
        let recipient = identity.to_public();
        let file = encrypt(&recipient, b"session text");
        for i in 0..file.len() {
            for bit in [0x01, 0x20, 0x80] {
                let mut bad = file.clone();
                bad[i] ^= bit;
                assert_eq!(agree(&identity, &bad), None, "byte {i} ^ {bit:#x}");
            }
        }
        for cut in 0..file.len() {
            assert_eq!(agree(&identity, &file[..cut]), None, "cut at {cut}");
        }
        let mut longer = file.clone();
        longer.extend_from_slice(&[0; 17]);
        assert_eq!(agree(&identity, &longer), None);
    }

    #[test]
    fn chunks_cannot_be_dropped_or_reordered() {
        let identity = age::x25519::Identity::generate();
        let recipient = identity.to_public();
        let plain = vec![7u8; 2 * CHUNK + 100];
        let file = encrypt(&recipient, &plain);
        let header = file.len() - (plain.len() + 3 * TAG_LEN);
        let one = CHUNK + TAG_LEN;
        let (first, second, last) = (
            &file[header..header + one],
            &file[header + one..header + 2 * one],
            &file[header + 2 * one..],
        );
        let head = &file[..header];
        for body in [
            [head, first, last].concat(),
            [head, second, first, last].concat(),
            [head, first, second].concat(),
            [head, first, second, last, last].concat(),
        ] {
            assert_eq!(agree(&identity, &body), None);
        }
    }
}
