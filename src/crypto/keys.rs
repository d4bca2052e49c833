//! The vault root secret, the subkeys derived from it, and recovery codes.
//!
//! Invariant: every key lives in a `secrecy`/`zeroize` type from birth to drop and
//! is never formatted, logged or written anywhere but into a keyslot's ciphertext.

use data_encoding::BASE32_NOPAD;
use hkdf::Hkdf;
use rand::RngCore;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::Sha256;
use zeroize::Zeroizing;

/// HKDF labels: one per subkey, never reused for anything else.
const RECORDS_LABEL: &[u8] = b"casevault.org/v1/subkey/records";
const AUDIT_LABEL: &[u8] = b"casevault.org/v1/subkey/audit-mac";

/// The random 32-byte secret every other key derives from.
pub(crate) struct RootSecret(SecretBox<[u8; 32]>);

impl RootSecret {
    pub(crate) fn generate() -> Self {
        RootSecret(SecretBox::init_with_mut(|bytes: &mut [u8; 32]| {
            OsRng.fill_bytes(bytes)
        }))
    }

    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Self {
        RootSecret(SecretBox::init_with_mut(|dst: &mut [u8; 32]| {
            dst.copy_from_slice(bytes)
        }))
    }

    pub(crate) fn expose(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    fn subkey(&self, label: &[u8]) -> SecretBox<[u8; 32]> {
        SecretBox::init_with_mut(|key: &mut [u8; 32]| {
            Hkdf::<Sha256>::new(None, self.expose())
                .expand(label, key)
                .expect("32 bytes is a valid HKDF-SHA256 output length");
        })
    }

    pub(crate) fn subkeys(&self) -> VaultKeys {
        VaultKeys {
            records: self.subkey(RECORDS_LABEL),
            audit: self.subkey(AUDIT_LABEL),
        }
    }
}

/// The subkeys an unlocked session works with.
pub(crate) struct VaultKeys {
    /// Wraps the file key of every record and audit event.
    pub(crate) records: SecretBox<[u8; 32]>,
    /// Keys the audit trail's MAC chain and its sealed head.
    pub(crate) audit: SecretBox<[u8; 32]>,
}

/// A recovery code: 160 random bits, shown once at `init` in groups of four characters.
pub struct RecoveryCode(SecretString);

impl RecoveryCode {
    pub(crate) fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 20]);
        OsRng.fill_bytes(bytes.as_mut());
        let encoded = Zeroizing::new(BASE32_NOPAD.encode(bytes.as_ref()));
        Self::parse(&SecretString::from(encoded.as_str()))
    }

    /// Reads a code as a person typed it: case, spaces and dashes do not matter.
    pub fn parse(typed: &SecretString) -> Self {
        // Built in a wiped buffer sized up front (no reallocation leaves a copy), then
        // copied once at its exact length: a `String` with room to spare would be
        // reallocated, unwiped, on its way into a `SecretString`.
        let typed = typed.expose_secret();
        let mut grouped = Zeroizing::new(String::with_capacity(typed.len() + typed.len() / 4));
        let code = typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase());
        for (i, c) in code.enumerate() {
            if i > 0 && i % 4 == 0 {
                grouped.push('-');
            }
            grouped.push(c);
        }
        RecoveryCode(SecretString::from(grouped.as_str()))
    }

    /// The code in its printed form (`ABCD-EFGH-…`), for showing it to the user once.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub(crate) fn as_secret(&self) -> &SecretString {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subkeys_differ_and_are_deterministic() {
        let root = RootSecret::generate();
        let a = root.subkeys();
        let b = root.subkeys();
        assert_eq!(a.records.expose_secret(), b.records.expose_secret());
        assert_ne!(a.records.expose_secret(), a.audit.expose_secret());
    }

    #[test]
    fn recovery_code_parses_as_typed() {
        let code = RecoveryCode::generate();
        assert_eq!(code.expose().len(), 32 + 7);
        let typed = SecretString::from(code.expose().to_lowercase().replace('-', " "));
        assert_eq!(RecoveryCode::parse(&typed).expose(), code.expose());
    }
}
