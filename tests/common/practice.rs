//! What the practice tests share: the members' passphrases and keyslots, what a
//! member's passphrase unwraps, and the vault file's record rows read directly.

#![allow(dead_code)]

use std::path::Path;

use casevault::internals::{
    RecordKind, RecordRef, note_parts, open_part_with, open_record_with, unwrap_all,
};
use casevault::{Date, Session, Vault};
use secrecy::SecretString;

/// Every compartment key a member's passphrase unwraps: (compartment id, key).
pub type Keys = Vec<(String, [u8; 32])>;

pub const OWNER: &str = "dr-owner";

/// A new practice in a temporary directory, its owner unlocked: (directory, vault
/// file, the owner's session).
pub fn new_vault() -> (tempfile::TempDir, std::path::PathBuf, Session) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("practice.vault");
    let (session, _code) = Vault::create_practice(
        &path,
        &passphrase(OWNER),
        casevault::KdfParams::default(),
        OWNER,
        OWNER,
    )
    .expect("create the practice");
    (dir, path, session)
}

/// Adds `name` with `role` and their test passphrase.
pub fn add_member(owner: &mut Session, name: &str, role: &str) {
    owner
        .add_member(
            name,
            role,
            &passphrase(name),
            casevault::KdfParams::default(),
        )
        .unwrap_or_else(|e| panic!("add {name} as {role}: {e}"));
}

pub fn passphrase(member: &str) -> SecretString {
    SecretString::from(format!("the passphrase of {member}, long enough"))
}

pub fn date(s: &str) -> Date {
    s.parse().expect("a date")
}

pub fn keyslot_of(member: &str) -> String {
    if member == OWNER {
        "passphrase".to_owned()
    } else {
        format!("member/{member}/passphrase")
    }
}

/// Everything `member`'s passphrase unwraps.
pub fn keys_of(path: &Path, member: &str) -> Keys {
    let keys = unwrap_all(path, member, &keyslot_of(member), &passphrase(member))
        .unwrap_or_else(|e| panic!("unwrap {member}'s keys: {e}"));
    assert!(!keys.is_empty(), "{member} unwraps no key at all");
    keys
}

pub fn unlock(path: &Path, member: &str) -> Session {
    Vault::open(path)
        .expect("open the vault")
        .unlock_member(&passphrase(member), member, Some(member))
        .unwrap_or_else(|e| panic!("unlock as {member}: {e}"))
}

/// One row of the `records` table.
pub struct Row {
    pub reference: RecordRef,
    pub ciphertext: Vec<u8>,
}

pub fn rows(path: &Path) -> Vec<Row> {
    let db = rusqlite::Connection::open(path).expect("open the file with SQLite");
    let mut statement = db
        .prepare("SELECT kind, id, version, ciphertext FROM records ORDER BY kind, id, version")
        .expect("prepare");
    statement
        .query_map([], |row| {
            let kind: String = row.get(0)?;
            let id: String = row.get(1)?;
            let version: u32 = row.get(2)?;
            Ok(Row {
                reference: RecordRef::new(
                    RecordKind::parse(&kind).unwrap_or_else(|| panic!("unknown kind {kind}")),
                    id,
                    version,
                ),
                ciphertext: row.get(3)?,
            })
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("read the rows")
}

/// The plaintext of `row` if any of `keys` opens it (each key tried with its own
/// compartment identifier).
pub fn open_row(keys: &Keys, row: &Row) -> Option<Vec<u8>> {
    keys.iter()
        .find_map(|(id, key)| open_record_with(id, key, &row.reference, &row.ciphertext))
}

/// Every plaintext `keys` open in the vault file at `path`, each named by its record:
/// each record, and each part of each note (tried with every key).
pub fn everything_opened(path: &Path, keys: &Keys) -> Vec<String> {
    let mut out = Vec::new();
    for row in rows(path) {
        let Some(plain) = open_row(keys, &row) else {
            continue;
        };
        if row.reference.kind == RecordKind::Note {
            for (place, compartment, sealed) in note_parts(&plain) {
                for (_, key) in keys {
                    if let Some((category, text)) =
                        open_part_with(key, &row.reference, &place, &compartment, &sealed)
                    {
                        out.push(format!("{}/{category}: {text}", row.reference));
                    }
                }
            }
        }
        out.push(format!(
            "{}: {}",
            row.reference,
            String::from_utf8_lossy(&plain)
        ));
    }
    out
}

/// The passphrase of the vault made by the release before practices
/// (tests/fixtures/README.md).
pub const FIXTURE_PASSPHRASE: &str = "fixture passphrase 0.1";

/// A copy of that vault in a directory of its own (never opened in place).
pub fn fixture_copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("fixture.casevault");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/single-user-5d72b80.casevault"),
        &path,
    )
    .expect("copy the fixture");
    (dir, path)
}

/// What a member's keyslot and passphrase lead to, read straight from the file (as an
/// attacker holding a member's passphrase would): the tests that forge rows need it.
pub mod member_keys {
    use std::io::Read;
    use std::iter;

    use age_core::format::{FILE_KEY_BYTES, FileKey, Stanza};
    use age_core::primitives::aead_decrypt;
    use base64::Engine;
    use base64::prelude::BASE64_STANDARD_NO_PAD;
    use casevault::internals::{RecordKind, RecordRef, open_record};
    use secrecy::SecretBox;
    use sha2::Sha256;

    struct Slot<'a>(&'a [u8]);

    impl age::Identity for Slot<'_> {
        fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
            if stanza.tag != "casevault-argon2id" {
                return None;
            }
            let salt = BASE64_STANDARD_NO_PAD.decode(&stanza.args[0]).ok()?;
            let n = |i: usize| stanza.args[i].parse::<u32>().ok();
            let params = argon2::Params::new(n(1)?, n(2)?, n(3)?, Some(32)).ok()?;
            let argon =
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
            let mut full = b"casevault.org/v1/keyslot/argon2id".to_vec();
            full.extend_from_slice(&salt);
            let mut key = [0u8; 32];
            argon.hash_password_into(self.0, &full, &mut key).ok()?;
            Some(FileKey::try_init_with_mut(|fk| {
                let plain = aead_decrypt(&key, FILE_KEY_BYTES, &stanza.body)
                    .map_err(|_| age::DecryptError::DecryptionFailed)?;
                fk.copy_from_slice(&plain);
                Ok(())
            }))
        }
    }

    /// What a member's passphrase and keyslot lead to: their personal key and their
    /// Ed25519 signing key.
    pub struct MemberSecrets {
        pub personal: [u8; 32],
        pub signing: ed25519_dalek::SigningKey,
    }

    pub fn member_secrets(
        keyslot: &[u8],
        member_record: &[u8],
        name: &str,
        pass: &str,
    ) -> MemberSecrets {
        let decryptor = age::Decryptor::new_buffered(keyslot).expect("an age keyslot");
        let slot = Slot(pass.as_bytes());
        let mut reader = decryptor
            .decrypt(iter::once(&slot as &dyn age::Identity))
            .expect("the passphrase opens the keyslot");
        let mut root = Vec::new();
        reader.read_to_end(&mut root).unwrap();
        let mut personal = [0u8; 32];
        hkdf::Hkdf::<Sha256>::new(None, &root)
            .expand(b"casevault.org/v2/member/personal", &mut personal)
            .unwrap();
        let key = SecretBox::new(Box::new(personal));
        let plain = open_record(
            &key,
            &RecordRef::new(RecordKind::Member, name, 1),
            member_record,
        )
        .expect("the member's keys open");
        let json: serde_json::Value = serde_json::from_slice(&plain).unwrap();
        let hex = json["ed25519"].as_str().unwrap();
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        MemberSecrets {
            personal,
            signing: ed25519_dalek::SigningKey::from_bytes(&bytes.try_into().unwrap()),
        }
    }
}
