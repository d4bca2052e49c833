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
