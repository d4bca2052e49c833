//! Replays the fuzz seeds (`fuzz/seeds/<target>/`) and every input a fuzzer ever
//! crashed on (`fuzz/regressions/<target>/`) through the same entry points the fuzz
//! targets call (`fuzz/src/lib.rs`, included below), under plain `cargo test`.
//!
//! Nothing may panic. A regression `NAME` may come with `NAME.expected`: the error its
//! input must now be refused with (or `ok` if it must be accepted).

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod entries;

use std::fs;
use std::path::{Path, PathBuf};

use entries::{ImportHarness, KeyslotHarness, Outcome};

/// The inputs of `target`: its seeds and regressions, by path.
fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for kind in ["seeds", "regressions"] {
        let Ok(dir) = fs::read_dir(root.join(kind).join(target)) else {
            continue;
        };
        for entry in dir {
            let path = entry.expect("a directory entry").path();
            if path.is_file() && path.extension().is_none_or(|x| x != "expected") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Runs every input of `target` through `entry`, checking expectations.
fn replay(target: &str, mut entry: impl FnMut(&[u8]) -> Outcome) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no seeds for {target}");
    for path in files {
        let data = fs::read(&path).expect("a readable input");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| entry(&data)))
            .unwrap_or_else(|_| panic!("{} panicked", path.display()));
        let mut expected = path.clone().into_os_string();
        expected.push(".expected");
        if let Ok(expected) = fs::read_to_string(&expected) {
            let got = match &outcome {
                Ok(()) => "ok".to_owned(),
                Err(e) => e.clone(),
            };
            assert_eq!(got, expected.trim_end(), "{}", path.display());
        }
    }
}

#[test]
fn note_markup() {
    replay("note_markup", entries::note_markup);
}

#[test]
fn policy() {
    replay("policy", entries::policy);
}

#[test]
fn record() {
    replay("record", entries::record);
}

#[test]
fn keyslot() {
    let mut harness = KeyslotHarness::new();
    replay("keyslot", |data| harness.run(data));
}

#[test]
fn import_file() {
    let mut harness = ImportHarness::new();
    replay("import_file", |data| harness.run(data));
}

/// Writes the binary seeds (a keyslot and records), which cannot be typed by hand:
/// `cargo test --test fuzz_regressions -- --ignored write_binary_seeds`.
#[test]
#[ignore = "regenerates fuzz/seeds; run by hand"]
fn write_binary_seeds() {
    use casevault::internals::seal_record;
    use casevault::{KdfParams, RecordKind, RecordRef, Vault};
    use secrecy::{SecretBox, SecretString};

    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let key = SecretBox::new(Box::new([7u8; 32]));
    let reference = RecordRef::new(RecordKind::Note, "a1b2c3d4", 2);
    for (name, text) in [("sealed", &b"session text"[..]), ("sealed-empty", b"")] {
        let mut input = vec![0u8];
        input.extend(seal_record(&key, &reference, text));
        fs::write(seeds.join("record").join(name), input).unwrap();
    }
    let other = RecordRef::new(RecordKind::Client, "a1b2c3d4", 2);
    let mut input = vec![0u8];
    input.extend(seal_record(&key, &other, b"moved record"));
    fs::write(seeds.join("record/sealed-other-reference"), input).unwrap();

    // A keyslot of another vault under the harness passphrase: it opens, but the vault
    // it unlocks is not this one.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.casevault");
    let passphrase = SecretString::from(entries::PASSPHRASE);
    drop(Vault::create(&path, &passphrase, KdfParams::default(), "seed").unwrap());
    let db = rusqlite::Connection::open(&path).unwrap();
    let slot: Vec<u8> = db
        .query_row(
            "SELECT keyslot FROM keyslots WHERE name = 'passphrase'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let dir = seeds.join("keyslot");
    fs::write(dir.join("other-vault"), &slot).unwrap();
    let text = String::from_utf8_lossy(&slot).into_owned();
    let line = text
        .lines()
        .find(|l| l.starts_with("-> casevault-argon2id "))
        .unwrap()
        .to_owned();
    let salt = line.split(' ').nth(2).unwrap();
    for (name, params) in [
        ("memory-too-much", "4294967295 3 4"),
        ("memory-too-little", "8 3 4"),
        ("work-too-much", "4194304 32 4"),
        ("iterations-leading-zero", "65536 03 4"),
        ("lanes-zero", "65536 3 0"),
        ("too-few-args", "65536 3"),
    ] {
        let bad = slot_with(
            &slot,
            &line,
            &format!("-> casevault-argon2id {salt} {params}"),
        );
        fs::write(dir.join(name), bad).unwrap();
    }
    let bad = slot_with(&slot, &line, "-> casevault-argon2id AAAA 65536 3 4");
    fs::write(dir.join("short-salt"), bad).unwrap();
    let bad = slot_with(&slot, &line, "-> X25519 AAAA");
    fs::write(dir.join("other-stanza"), bad).unwrap();
}

/// `slot` with its stanza line `line` replaced by `with`.
fn slot_with(slot: &[u8], line: &str, with: &str) -> Vec<u8> {
    let start = slot
        .windows(line.len())
        .position(|w| w == line.as_bytes())
        .unwrap();
    [&slot[..start], with.as_bytes(), &slot[start + line.len()..]].concat()
}
