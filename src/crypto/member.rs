//! A member's keys: the secret their keyslots wrap, the personal key derived from it,
//! and the key pairs it unlocks (X25519 to receive compartment keys, Ed25519 to sign
//! what they do).
//!
//! Invariant: secret keys live in zeroizing types; only the public halves are ever
//! written in the clear (in the roster).

use std::str::FromStr;

use ed25519_dalek::{SigningKey, VerifyingKey};
use hkdf::Hkdf;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::crypto::keys::RootSecret;

/// HKDF label of a member's personal key (a member secret is a [`RootSecret`]; a vault
/// made before practices has its root secret become its first member's).
const PERSONAL_LABEL: &[u8] = b"casevault.org/v2/member/personal";

/// The symmetric key only its member holds: seals their private keys, their own
/// grants, and their copy of the events they append.
pub(crate) fn personal_key(secret: &RootSecret) -> SecretBox<[u8; 32]> {
    SecretBox::init_with_mut(|key: &mut [u8; 32]| {
        Hkdf::<Sha256>::new(None, secret.expose())
            .expand(PERSONAL_LABEL, key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
    })
}

/// A member's key pairs.
pub(crate) struct MemberKeys {
    /// Receives compartment keys wrapped to the member (age X25519).
    pub(crate) identity: age::x25519::Identity,
    /// Signs the audit events the member appends.
    pub(crate) signing: SigningKey,
}

/// How a member's private keys are stored (sealed under their personal key).
#[derive(Serialize, Deserialize)]
struct StoredKeys {
    x25519: String,
    ed25519: String,
}

impl MemberKeys {
    pub(crate) fn generate() -> Self {
        MemberKeys {
            identity: age::x25519::Identity::generate(),
            signing: SigningKey::generate(&mut OsRng),
        }
    }

    /// The age recipient (`age1…`) others wrap keys to.
    pub(crate) fn recipient(&self) -> String {
        self.identity.to_public().to_string()
    }

    pub(crate) fn verifying(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The private keys as their record holds them (wiped on drop).
    pub(crate) fn to_json(&self) -> Zeroizing<Vec<u8>> {
        let x25519 = self.identity.to_string();
        let ed25519 = Zeroizing::new(data_encoding::HEXLOWER.encode(self.signing.as_bytes()));
        let stored = StoredKeys {
            x25519: x25519.expose_secret().to_owned(),
            ed25519: ed25519.as_str().to_owned(),
        };
        let json = crate::crypto::record::to_json(&stored).expect("two strings serialize");
        let StoredKeys {
            mut x25519,
            mut ed25519,
        } = stored;
        zeroize::Zeroize::zeroize(&mut x25519);
        zeroize::Zeroize::zeroize(&mut ed25519);
        json
    }

    /// Reads the private keys back; `None` when the record is not a member's keys.
    pub(crate) fn from_json(json: &[u8]) -> Option<Self> {
        let stored: StoredKeys = serde_json::from_slice(json).ok()?;
        let x25519 = SecretString::from(stored.x25519);
        let ed25519 = SecretString::from(stored.ed25519);
        let identity = age::x25519::Identity::from_str(x25519.expose_secret()).ok()?;
        let bytes = Zeroizing::new(
            data_encoding::HEXLOWER
                .decode(ed25519.expose_secret().as_bytes())
                .ok()?,
        );
        let bytes: &[u8; 32] = bytes.as_slice().try_into().ok()?;
        Some(MemberKeys {
            identity,
            signing: SigningKey::from_bytes(bytes),
        })
    }
}

/// Reads a roster's hex public signing key.
pub(crate) fn parse_verifying(hex: &str) -> Option<VerifyingKey> {
    let bytes = data_encoding::HEXLOWER.decode(hex.as_bytes()).ok()?;
    VerifyingKey::from_bytes(bytes.as_slice().try_into().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_keys_round_trip() {
        let keys = MemberKeys::generate();
        let back = MemberKeys::from_json(&keys.to_json()).unwrap();
        assert_eq!(back.recipient(), keys.recipient());
        assert_eq!(back.verifying(), keys.verifying());
        let hex = data_encoding::HEXLOWER.encode(keys.verifying().as_bytes());
        assert_eq!(parse_verifying(&hex), Some(keys.verifying()));
        assert!(MemberKeys::from_json(b"{}").is_none());
    }
}
