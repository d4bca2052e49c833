//! Keyslots: the vault's root secret wrapped under a passphrase or a recovery code.
//!
//! A keyslot is a standard age file whose only stanza is casevault's Argon2id
//! passphrase stanza, built like age's `scrypt` stanza:
//!
//! ```text
//! -> casevault-argon2id <salt, base64> <memory KiB> <iterations> <lanes>
//! <ChaCha20-Poly1305 under Argon2id(secret, label || salt), zero nonce, of the file key>
//! ```
//!
//! The payload is the 32-byte root secret.
//!
//! # Security
//!
//! The parameters in a stored keyslot are attacker input. They are checked against
//! [`KdfParams::MIN_MEMORY_KIB`] and friends before any Argon2id work is done, so a
//! tampered keyslot can neither downgrade the KDF nor make an unlock run for hours.
//!
//! # Passphrases
//!
//! A passphrase is wrapped and unwrapped in its [`normalize_passphrase`] form (Unicode
//! NFC, no byte-order mark, no trailing line ending), so that `é` typed as one code
//! point or as `e` and a combining accent, or read from a file saved by Notepad, opens
//! the same keyslot. Keyslots sealed before normalization were made from the
//! passphrase as given: [`open`] tries that form second, only when it differs (a
//! second Argon2id only for input that is not already normal), and says which form
//! opened it so that the caller can rewrap the keyslot.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::iter;

use age_core::format::{FILE_KEY_BYTES, FileKey, Stanza};
use age_core::primitives::{aead_decrypt, aead_encrypt};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::prelude::BASE64_STANDARD_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretString};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::keys::RootSecret;

const TAG: &str = "casevault-argon2id";
const SALT_LABEL: &[u8] = b"casevault.org/v1/keyslot/argon2id";
const SALT_LEN: usize = 16;
const WRAPPED_KEY_LEN: usize = FILE_KEY_BYTES + 16;

/// Argon2id cost parameters of a keyslot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory, in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes (degree of parallelism).
    pub lanes: u32,
}

impl Default for KdfParams {
    /// RFC 9106's second recommended option: 64 MiB, 3 passes, 4 lanes.
    fn default() -> Self {
        KdfParams {
            memory_kib: 64 * 1024,
            iterations: 3,
            lanes: 4,
        }
    }
}

impl KdfParams {
    /// The least memory a keyslot may ask for: the default, so that no keyslot is weaker.
    pub const MIN_MEMORY_KIB: u32 = 64 * 1024;
    /// The most memory a keyslot may ask for (4 GiB).
    pub const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
    /// The fewest passes a keyslot may ask for.
    pub const MIN_ITERATIONS: u32 = 3;
    /// The most passes a keyslot may ask for.
    pub const MAX_ITERATIONS: u32 = 32;
    /// The fewest lanes a keyslot may ask for.
    pub const MIN_LANES: u32 = 1;
    /// The most lanes a keyslot may ask for.
    pub const MAX_LANES: u32 = 64;
    /// The most total work (memory in KiB times passes) a keyslot may ask for: 16 GiB
    /// of memory traffic, about a minute on a laptop.
    pub const MAX_WORK_KIB: u64 = 16 * 1024 * 1024;

    /// Checks that every parameter is within the bounds casevault accepts.
    pub fn check(&self) -> Result<(), KeyslotError> {
        let bound = |name: &'static str, value: u32, min: u32, max: u32| {
            if value < min || value > max {
                Err(KeyslotError::ParamOutOfBounds {
                    name,
                    value: u64::from(value),
                    min: u64::from(min),
                    max: u64::from(max),
                })
            } else {
                Ok(())
            }
        };
        bound(
            "memory (KiB)",
            self.memory_kib,
            Self::MIN_MEMORY_KIB,
            Self::MAX_MEMORY_KIB,
        )?;
        bound(
            "iterations",
            self.iterations,
            Self::MIN_ITERATIONS,
            Self::MAX_ITERATIONS,
        )?;
        bound("lanes", self.lanes, Self::MIN_LANES, Self::MAX_LANES)?;
        let work = u64::from(self.memory_kib) * u64::from(self.iterations);
        if work > Self::MAX_WORK_KIB {
            return Err(KeyslotError::ParamOutOfBounds {
                name: "work (memory KiB x iterations)",
                value: work,
                min: u64::from(Self::MIN_MEMORY_KIB) * u64::from(Self::MIN_ITERATIONS),
                max: Self::MAX_WORK_KIB,
            });
        }
        Ok(())
    }
}

/// Why a keyslot could not be sealed or opened. Variants may be added.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyslotError {
    /// The passphrase or recovery code does not open this keyslot.
    #[error("the passphrase or recovery code is wrong")]
    WrongSecret,
    /// A stored or requested Argon2id parameter is outside the accepted range.
    #[error("Argon2id {name} is {value}, outside the accepted range {min}..={max}")]
    ParamOutOfBounds {
        /// Which parameter.
        name: &'static str,
        /// Its value.
        value: u64,
        /// The smallest accepted value.
        min: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// A stored Argon2id parameter is not a number in canonical form.
    #[error(
        "Argon2id {name} is not a plain decimal number (no sign, no leading zero) in the accepted range {min}..={max}"
    )]
    ParamNotANumber {
        /// Which parameter.
        name: &'static str,
        /// The smallest accepted value.
        min: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// The keyslot is not a well-formed casevault keyslot.
    #[error("the keyslot is malformed: {0}")]
    Malformed(&'static str),
}

/// Derives the stanza's wrapping key from the secret.
fn derive_key(
    secret: &[u8],
    salt: &[u8; SALT_LEN],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, KeyslotError> {
    params.check()?;
    let argon_params = Params::new(params.memory_kib, params.iterations, params.lanes, Some(32))
        .map_err(|_| KeyslotError::Malformed("Argon2id refused the parameters"))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut full_salt = [0u8; SALT_LABEL.len() + SALT_LEN];
    full_salt[..SALT_LABEL.len()].copy_from_slice(SALT_LABEL);
    full_salt[SALT_LABEL.len()..].copy_from_slice(salt);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(secret, &full_salt, key.as_mut())
        .map_err(|_| KeyslotError::Malformed("Argon2id failed with these parameters"))?;
    Ok(key)
}

struct KeyslotRecipient<'a> {
    secret: &'a SecretString,
    params: KdfParams,
}

impl age::Recipient for KeyslotRecipient<'_> {
    fn wrap_file_key(
        &self,
        file_key: &FileKey,
    ) -> Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
        let mut salt = [0u8; SALT_LEN];
        OsRng.fill_bytes(&mut salt);
        // Parameters were checked by `seal` before encryption started.
        let key = derive_key(self.secret.expose_secret().as_bytes(), &salt, self.params)
            .map_err(|_| age::EncryptError::MissingRecipients)?;
        let body = aead_encrypt(&key, file_key.expose_secret());
        Ok((
            vec![Stanza {
                tag: TAG.to_owned(),
                args: vec![
                    BASE64_STANDARD_NO_PAD.encode(salt),
                    self.params.memory_kib.to_string(),
                    self.params.iterations.to_string(),
                    self.params.lanes.to_string(),
                ],
                body,
            }],
            HashSet::new(),
        ))
    }
}

/// Unwraps keyslot stanzas, keeping the precise reason of a failure, which age's
/// `DecryptError` cannot carry.
struct KeyslotIdentity<'a> {
    secret: &'a SecretString,
    failure: RefCell<Option<KeyslotError>>,
}

impl KeyslotIdentity<'_> {
    fn fail(&self, error: KeyslotError) -> Option<Result<FileKey, age::DecryptError>> {
        *self.failure.borrow_mut() = Some(error);
        Some(Err(age::DecryptError::KeyDecryptionFailed))
    }
}

fn canonical_u32(arg: &str) -> Option<u32> {
    // Canonical decimal only: no sign, no leading zeros, no whitespace.
    if arg.is_empty() || (arg.len() > 1 && arg.starts_with('0')) {
        return None;
    }
    if !arg.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    arg.parse().ok()
}

impl age::Identity for KeyslotIdentity<'_> {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        if stanza.tag != TAG {
            return None;
        }
        let [salt, memory, iterations, lanes] = &stanza.args[..] else {
            return self.fail(KeyslotError::Malformed("wrong number of stanza arguments"));
        };
        let salt: [u8; SALT_LEN] = match BASE64_STANDARD_NO_PAD.decode(salt) {
            Ok(bytes) => match bytes.try_into() {
                Ok(salt) => salt,
                Err(_) => return self.fail(KeyslotError::Malformed("salt has the wrong length")),
            },
            Err(_) => return self.fail(KeyslotError::Malformed("salt is not base64")),
        };
        let mut numbers = [0u32; 3];
        for (slot, (name, text, min, max)) in numbers.iter_mut().zip([
            (
                "memory (KiB)",
                memory,
                KdfParams::MIN_MEMORY_KIB,
                KdfParams::MAX_MEMORY_KIB,
            ),
            (
                "iterations",
                iterations,
                KdfParams::MIN_ITERATIONS,
                KdfParams::MAX_ITERATIONS,
            ),
            ("lanes", lanes, KdfParams::MIN_LANES, KdfParams::MAX_LANES),
        ]) {
            match canonical_u32(text) {
                Some(value) => *slot = value,
                None => {
                    return self.fail(KeyslotError::ParamNotANumber {
                        name,
                        min: u64::from(min),
                        max: u64::from(max),
                    });
                }
            }
        }
        let [memory_kib, iterations, lanes] = numbers;
        let params = KdfParams {
            memory_kib,
            iterations,
            lanes,
        };
        // Checked before any expensive work: see the module's `# Security`.
        if let Err(e) = params.check() {
            return self.fail(e);
        }
        if stanza.body.len() != WRAPPED_KEY_LEN {
            return self.fail(KeyslotError::Malformed("wrapped key has the wrong length"));
        }
        let key = match derive_key(self.secret.expose_secret().as_bytes(), &salt, params) {
            Ok(key) => key,
            Err(e) => return self.fail(e),
        };
        Some(
            FileKey::try_init_with_mut(|file_key| {
                let mut plain = aead_decrypt(&key, FILE_KEY_BYTES, &stanza.body)
                    .map_err(|_| age::DecryptError::DecryptionFailed)?;
                file_key.copy_from_slice(&plain);
                plain.zeroize();
                Ok(())
            })
            .inspect_err(|_| *self.failure.borrow_mut() = Some(KeyslotError::WrongSecret)),
        )
    }
}

/// The form of a passphrase that keyslots and passphrase-encrypted exports are made
/// from: one leading byte-order mark (U+FEFF) and one trailing line ending (`\r\n`,
/// `\n` or `\r`) dropped, then Unicode Normalization Form C.
///
/// The normal form is built in place in a buffer sized for it (its length is counted
/// first), so no unwiped copy is left by a reallocation; text already in NFC (most
/// text typed on a keyboard) is copied once without going through the normalizer.
/// Recovery codes, being ASCII, are unchanged by it.
pub fn normalize_passphrase(passphrase: &SecretString) -> SecretString {
    let raw = passphrase.expose_secret();
    let text = raw.strip_prefix('\u{FEFF}').unwrap_or(raw);
    let text = match text.strip_suffix('\n') {
        Some(line) => line.strip_suffix('\r').unwrap_or(line),
        None => text.strip_suffix('\r').unwrap_or(text),
    };
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        return SecretString::from(text);
    }
    let len = text.nfc().map(char::len_utf8).sum();
    let mut normal = Zeroizing::new(String::with_capacity(len));
    for c in text.nfc() {
        normal.push(c);
    }
    debug_assert_eq!(normal.len(), normal.capacity());
    // `From<&str>` allocates exactly; `normal` is wiped when dropped.
    SecretString::from(normal.as_str())
}

/// Which form of the passphrase opened a keyslot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// The [`normalize_passphrase`] form: the keyslot is current.
    Normalized,
    /// The passphrase exactly as given, which differs from its normal form: the keyslot
    /// was sealed before passphrases were normalized and should be rewrapped.
    AsGiven,
}

/// Wraps `root` under `secret` (in its [`normalize_passphrase`] form) into a new
/// keyslot (an age file).
pub(crate) fn seal(
    secret: &SecretString,
    params: KdfParams,
    root: &RootSecret,
) -> Result<Vec<u8>, KeyslotError> {
    params.check()?;
    let secret = &normalize_passphrase(secret);
    let recipient = KeyslotRecipient { secret, params };
    let encryptor = age::Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient))
        .map_err(|_| KeyslotError::Malformed("could not build the keyslot"))?;
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let mut writer = encryptor
        .wrap_output(&mut out)
        .expect("writing to memory cannot fail");
    writer
        .write_all(root.expose())
        .expect("writing to memory cannot fail");
    writer.finish().expect("writing to memory cannot fail");
    Ok(out)
}

/// Reads the KDF parameters a keyslot was sealed with, without opening it.
pub(crate) fn params_of(keyslot: &[u8]) -> Option<KdfParams> {
    let text = String::from_utf8_lossy(&keyslot[..256.min(keyslot.len())]);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("-> casevault-argon2id "))?;
    let args: Vec<&str> = line.split(' ').collect();
    let [_, m, t, p] = args[..] else { return None };
    let params = KdfParams {
        memory_kib: canonical_u32(m)?,
        iterations: canonical_u32(t)?,
        lanes: canonical_u32(p)?,
    };
    params.check().ok().map(|()| params)
}

/// Opens a keyslot with `secret`, returning the root secret it wraps and the form of
/// `secret` that opened it: its normal form first, then, for a keyslot sealed before
/// normalization, `secret` as given if that differs.
pub(crate) fn open(
    secret: &SecretString,
    keyslot: &[u8],
) -> Result<(RootSecret, Form), KeyslotError> {
    let normal = normalize_passphrase(secret);
    match open_with(&normal, keyslot) {
        Err(KeyslotError::WrongSecret) if normal.expose_secret() != secret.expose_secret() => {
            open_with(secret, keyslot).map(|root| (root, Form::AsGiven))
        }
        opened => opened.map(|root| (root, Form::Normalized)),
    }
}

fn open_with(secret: &SecretString, keyslot: &[u8]) -> Result<RootSecret, KeyslotError> {
    let decryptor = age::Decryptor::new_buffered(keyslot)
        .map_err(|_| KeyslotError::Malformed("not an age file"))?;
    let identity = KeyslotIdentity {
        secret,
        failure: RefCell::new(None),
    };
    let mut reader = match decryptor.decrypt(iter::once(&identity as &dyn age::Identity)) {
        Ok(reader) => reader,
        Err(age::DecryptError::NoMatchingKeys) => {
            return Err(KeyslotError::Malformed("no casevault-argon2id stanza"));
        }
        Err(_) => {
            return Err(identity
                .failure
                .into_inner()
                // The stanza unwrapped but the header MAC failed: the keyslot was altered.
                .unwrap_or(KeyslotError::Malformed("header MAC does not verify")));
        }
    };
    let mut root = Zeroizing::new([0u8; 32]);
    reader
        .read_exact(root.as_mut())
        .map_err(|_| KeyslotError::Malformed("payload is not a 32-byte root secret"))?;
    let mut rest = [0u8; 1];
    match reader.read(&mut rest) {
        Ok(0) => Ok(RootSecret::from_bytes(&root)),
        _ => Err(KeyslotError::Malformed(
            "payload is longer than a root secret",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_secret() {
        let root = RootSecret::generate();
        let secret = SecretString::from("a passphrase");
        let slot = seal(&secret, KdfParams::default(), &root).unwrap();
        assert!(slot.starts_with(b"age-encryption.org/v1\n-> casevault-argon2id "));
        let (opened, form) = open(&secret, &slot).unwrap();
        assert_eq!(opened.expose(), root.expose());
        assert_eq!(form, Form::Normalized);
        let wrong = SecretString::from("another passphrase");
        assert!(matches!(
            open(&wrong, &slot),
            Err(KeyslotError::WrongSecret)
        ));
    }

    #[test]
    fn every_form_of_a_passphrase_opens_a_keyslot() {
        let root = RootSecret::generate();
        let decomposed = "cafe\u{301} cre\u{300}me bru\u{302}le\u{301}e";
        let slot = seal(&SecretString::from(decomposed), KdfParams::default(), &root).unwrap();
        for given in [
            "café crème brûlée",
            decomposed,
            "\u{feff}café cre\u{300}me brûlée\r\n",
        ] {
            let (opened, form) = open(&SecretString::from(given), &slot).unwrap();
            assert_eq!(opened.expose(), root.expose());
            assert_eq!(form, Form::Normalized, "{given:?}");
        }
        // A keyslot sealed before normalization, from the decomposed form as given.
        let old = seal_exactly(decomposed, &root);
        let (opened, form) = open(&SecretString::from(decomposed), &old).unwrap();
        assert_eq!(opened.expose(), root.expose());
        assert_eq!(form, Form::AsGiven);
        assert!(matches!(
            open(&SecretString::from("café crème brûlée"), &old),
            Err(KeyslotError::WrongSecret)
        ));
    }

    /// A keyslot sealed from `secret` exactly as given, as before normalization.
    fn seal_exactly(secret: &str, root: &RootSecret) -> Vec<u8> {
        let secret = SecretString::from(secret);
        let recipient = KeyslotRecipient {
            secret: &secret,
            params: KdfParams::default(),
        };
        let encryptor =
            age::Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient)).unwrap();
        let mut out = Vec::new();
        let mut writer = encryptor.wrap_output(&mut out).unwrap();
        writer.write_all(root.expose()).unwrap();
        writer.finish().unwrap();
        out
    }

    #[test]
    fn normalization_is_built_in_place() {
        for text in [
            "plain ascii",
            "cafe\u{301}",
            "\u{feff}x\r\n",
            "\u{344}\u{344}",
        ] {
            let normal = normalize_passphrase(&SecretString::from(text));
            let expected: String = text
                .trim_start_matches('\u{feff}')
                .trim_end_matches(['\r', '\n'])
                .nfc()
                .collect();
            assert_eq!(normal.expose_secret(), expected);
        }
    }

    #[test]
    fn parameters_are_bounded_both_ways() {
        let weak = KdfParams {
            memory_kib: 8 * 1024,
            ..KdfParams::default()
        };
        assert!(matches!(
            weak.check(),
            Err(KeyslotError::ParamOutOfBounds {
                name: "memory (KiB)",
                ..
            })
        ));
        let absurd = KdfParams {
            memory_kib: 4 * 1024 * 1024,
            iterations: 32,
            lanes: 4,
        };
        assert!(matches!(
            absurd.check(),
            Err(KeyslotError::ParamOutOfBounds { name, .. }) if name.starts_with("work")
        ));
        assert!(KdfParams::default().check().is_ok());
    }

    #[test]
    fn non_canonical_numbers_are_refused() {
        assert_eq!(canonical_u32("65536"), Some(65536));
        assert_eq!(canonical_u32("065536"), None);
        assert_eq!(canonical_u32("+3"), None);
        assert_eq!(canonical_u32(""), None);
    }
}
