//! Argon2id parameters stored in a keyslot are attacker input. Too weak (a downgrade)
//! or too costly (a denial of service: terabytes of memory, billions of passes) must
//! be refused with exit 5 and a message naming the parameter and its accepted range,
//! before any Argon2id work starts. That these tests return at all, promptly and with
//! the right message, is the evidence: the absurd values would need terabytes.

mod common;

use common::TestVault;
use rusqlite::Connection;

const INTEGRITY: i32 = 5;
const STANZA: &[u8] = b"\n-> casevault-argon2id ";

fn keyslot(db: &Connection, slot: &str) -> Vec<u8> {
    db.query_row(
        "SELECT keyslot FROM keyslots WHERE name = ?1",
        [slot],
        |r| r.get(0),
    )
    .unwrap_or_else(|e| panic!("the {slot} keyslot: {e}"))
}

fn set_keyslot(db: &Connection, slot: &str, bytes: &[u8]) {
    let n = db
        .execute(
            "UPDATE keyslots SET keyslot = ?2 WHERE name = ?1",
            rusqlite::params![slot, bytes],
        )
        .unwrap();
    assert_eq!(n, 1);
}

/// The stanza line's arguments: salt, memory KiB, iterations, lanes.
fn stanza_args(keyslot: &[u8]) -> Vec<String> {
    let start = keyslot
        .windows(STANZA.len())
        .position(|w| w == STANZA)
        .expect("a casevault-argon2id stanza")
        + STANZA.len();
    let end = start + keyslot[start..].iter().position(|&b| b == b'\n').unwrap();
    String::from_utf8(keyslot[start..end].to_vec())
        .unwrap()
        .split(' ')
        .map(str::to_owned)
        .collect()
}

/// The keyslot with its stanza line's memory, iterations and lanes replaced.
fn with_params(keyslot: &[u8], memory: &str, iterations: &str, lanes: &str) -> Vec<u8> {
    let start = keyslot
        .windows(STANZA.len())
        .position(|w| w == STANZA)
        .unwrap()
        + STANZA.len();
    let end = start + keyslot[start..].iter().position(|&b| b == b'\n').unwrap();
    let salt = &stanza_args(keyslot)[0];
    let line = format!("{salt} {memory} {iterations} {lanes}");
    [&keyslot[..start], line.as_bytes(), &keyslot[end..]].concat()
}

/// Stores the parameters in the passphrase keyslot, unlocks with the right (and then
/// a wrong) passphrase, checks the refusal, and puts the keyslot back.
fn refused(memory: &str, iterations: &str, lanes: &str, expected: &[&str]) {
    let (v, _) = TestVault::init();
    let db = v.sqlite();
    let original = keyslot(&db, "passphrase");
    assert_eq!(stanza_args(&original)[1..], ["65536", "3", "4"]);
    set_keyslot(
        &db,
        "passphrase",
        &with_params(&original, memory, iterations, lanes),
    );

    // The right passphrase and a wrong one get the same answer: the parameters are
    // refused before the passphrase is ever put through Argon2id (telling a wrong
    // passphrase apart would need that work).
    for passphrase in [common::PASSPHRASE, "an entirely wrong passphrase"] {
        let out = v
            .cmd_with_passphrase(passphrase)
            .args(["client", "list"])
            .assert()
            .code(INTEGRITY);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(
            stderr.contains("the passphrase keyslot cannot be used"),
            "{memory} {iterations} {lanes}: {stderr}"
        );
        for fragment in expected {
            assert!(
                stderr.contains(fragment),
                "{memory} {iterations} {lanes}: expected {fragment:?} in {stderr}"
            );
        }
        assert!(!stderr.contains(passphrase), "the passphrase is not echoed");
    }
    // A refused keyslot is not a failed guess: nothing is recorded as one.
    let failed: i64 = db
        .query_row("SELECT COUNT(*) FROM failed_unlocks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(failed, 0);

    // Restored, the vault opens: the refusal was the parameters and nothing else.
    set_keyslot(&db, "passphrase", &original);
    v.ok(&["client", "list"]);
}

#[test]
fn stored_memory_below_the_minimum_is_refused() {
    refused(
        "8192",
        "3",
        "4",
        &["memory (KiB) is 8192", "accepted range 65536..=4194304"],
    );
}

#[test]
fn stored_iterations_below_the_minimum_are_refused() {
    refused(
        "65536",
        "1",
        "4",
        &["iterations is 1", "accepted range 3..=32"],
    );
}

#[test]
fn stored_absurd_memory_is_refused_without_allocating_it() {
    // 4294967295 KiB is 4 TiB.
    refused(
        "4294967295",
        "3",
        "4",
        &[
            "memory (KiB) is 4294967295",
            "accepted range 65536..=4194304",
        ],
    );
}

#[test]
fn stored_absurd_iterations_are_refused_without_running_them() {
    refused(
        "65536",
        "4294967295",
        "4",
        &["iterations is 4294967295", "accepted range 3..=32"],
    );
}

#[test]
fn stored_lanes_out_of_range_are_refused() {
    refused("65536", "3", "0", &["lanes is 0", "accepted range 1..=64"]);
    refused(
        "65536",
        "3",
        "4294967295",
        &["lanes is 4294967295", "accepted range 1..=64"],
    );
}

#[test]
fn stored_total_work_above_the_maximum_is_refused() {
    // Each parameter in range, together 128 GiB of memory traffic.
    refused(
        "4194304",
        "32",
        "4",
        &["work (memory KiB x iterations)", "16777216"],
    );
}

#[test]
fn stored_non_canonical_memory_is_refused_naming_it() {
    refused("065536", "3", "4", &["memory"]);
}

#[test]
fn stored_non_canonical_iterations_are_refused_naming_them() {
    refused("65536", "03", "4", &["iterations"]);
}

#[test]
fn stored_memory_beyond_u32_is_refused_naming_it() {
    refused("4294967296", "3", "4", &["memory"]);
}

#[test]
fn the_recovery_keyslot_is_bounded_too() {
    let (v, code) = TestVault::init();
    let db = v.sqlite();
    let original = keyslot(&db, "recovery");
    set_keyslot(
        &db,
        "recovery",
        &with_params(&original, "65536", "4294967295", "4"),
    );
    let out = v
        .cmd()
        .env("CASEVAULT_RECOVERY_CODE", &code)
        .env("CASEVAULT_NEW_PASSPHRASE", "a brand new passphrase")
        .arg("recover")
        .assert()
        .code(INTEGRITY);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("the recovery keyslot cannot be used")
            && stderr.contains("iterations is 4294967295")
            && stderr.contains("accepted range 3..=32"),
        "{stderr}"
    );
    assert!(!stderr.contains(&code), "the code is not echoed");
    // The passphrase keyslot is untouched and still opens.
    v.ok(&["client", "list"]);
}

/// `init` with KDF options; returns (exit code, stderr).
fn init_with(args: &[&str]) -> (TestVault, i32, String) {
    let v = TestVault::empty();
    let out = v.cmd().arg("init").args(args).assert();
    let o = out.get_output();
    let code = o.status.code().expect("an exit code");
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    (v, code, stderr)
}

#[test]
fn init_refuses_parameters_out_of_range() {
    for (args, expected) in [
        (
            &["--kdf-memory-mib", "8"][..],
            &["memory (KiB) is 8192", "accepted range 65536..=4194304"][..],
        ),
        // 8 GiB: refused at once, never allocated.
        (
            &["--kdf-memory-mib", "8192"][..],
            &["memory (KiB) is 8388608", "accepted range 65536..=4194304"][..],
        ),
        (
            &["--kdf-iterations", "1"][..],
            &["iterations is 1", "accepted range 3..=32"][..],
        ),
        (
            &["--kdf-iterations", "4294967295"][..],
            &["iterations is 4294967295", "accepted range 3..=32"][..],
        ),
        (
            &["--kdf-memory-mib", "4096", "--kdf-iterations", "32"][..],
            &["work (memory KiB x iterations)"][..],
        ),
        (&["--kdf-lanes", "0"][..], &["lanes is 0"][..]),
    ] {
        let (v, code, stderr) = init_with(args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        for fragment in expected {
            assert!(
                stderr.contains(fragment),
                "{args:?}: expected {fragment:?} in {stderr}"
            );
        }
        assert!(
            !v.path.exists(),
            "{args:?}: a refused init leaves no vault behind"
        );
    }
}

#[test]
fn init_with_128_mib_stores_131072_kib() {
    let (v, code, stderr) = init_with(&["--kdf-memory-mib", "128"]);
    assert_eq!(code, 0, "{stderr}");
    let db = v.sqlite();
    for slot in ["passphrase", "recovery"] {
        let bytes = keyslot(&db, slot);
        assert!(
            bytes.starts_with(b"age-encryption.org/v1\n-> casevault-argon2id "),
            "{slot}"
        );
        let args = stanza_args(&bytes);
        assert_eq!(args.len(), 4, "{slot}: {args:?}");
        assert_eq!(args[1..], ["131072", "3", "4"], "{slot}");
    }
    v.ok(&["client", "list"]);
}
