//! A vault is a practice: its members, and a vault made by the release before
//! practices becoming a practice of one.

mod common;

use common::TestVault;

/// The fixture's passphrase (tests/fixtures/README.md).
const FIXTURE_PASSPHRASE: &str = "fixture passphrase 0.1";

/// A copy of the vault made by the release before practices, in its own directory.
fn fixture_copy() -> TestVault {
    let vault = TestVault::empty();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/single-user-5d72b80.casevault");
    std::fs::copy(&fixture, &vault.path).expect("copy the fixture");
    vault
}

fn run(vault: &TestVault, args: &[&str]) -> std::process::Output {
    vault
        .cmd_with_passphrase(FIXTURE_PASSPHRASE)
        .args(args)
        .output()
        .expect("run casevault")
}

fn stdout(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

#[test]
fn a_new_vault_is_a_practice_of_one_owner() {
    let (vault, _) = TestVault::init();
    let listed = vault.ok(&["member", "list"]);
    assert!(listed.starts_with("* owner  owner  added "), "{listed}");
    assert_eq!(listed.lines().count(), 1, "{listed}");
    let json = vault.json(&["member", "list"]);
    assert_eq!(json["epoch"], 1);
    let member = &json["members"][0];
    assert_eq!(member["name"], "owner");
    assert_eq!(member["role"], "owner");
    assert!(member["x25519"].as_str().unwrap().starts_with("age1"));
    assert_eq!(member["ed25519"].as_str().unwrap().len(), 64);
    assert!(member["removed"].is_null());
}

#[test]
fn a_vault_from_the_release_before_practices_becomes_a_practice_of_one() {
    let vault = fixture_copy();
    // Its notes read as they did, through the member its passphrase now opens.
    let note = stdout(&run(&vault, &["note", "show", "a10dc38a"]));
    for text in [
        "Slept better this week.",
        "No current ideation.",
        "Drinks twice a week.",
        "Transference noted.",
        "Called to reschedule.",
    ] {
        assert!(note.contains(text), "{text} missing from {note}");
    }
    let listed = stdout(&run(&vault, &["member", "list"]));
    assert!(listed.starts_with("* owner  owner  added "), "{listed}");
    // The trail verifies across the change: the events written before it and after.
    let verified = stdout(&run(&vault, &["audit", "verify"]));
    assert!(verified.starts_with("audit trail intact"), "{verified}");
    let log = stdout(&run(&vault, &["audit", "log", "--json"]));
    let events: serde_json::Value = serde_json::from_str(&log).expect("JSON");
    let actions: Vec<&str> = events
        .as_array()
        .expect("a list of events")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "practice.found").count(),
        1,
        "{actions:?}"
    );
    assert_eq!(actions.first(), Some(&"vault.init"), "{actions:?}");
    // Once only: a second unlock finds the roster.
    stdout(&run(&vault, &["member", "list"]));
    let log = stdout(&run(&vault, &["audit", "log", "--json"]));
    assert_eq!(log.matches("practice.found").count(), 1);
    // The recovery code still opens it (the member's keyslots are the vault's).
    let out = vault
        .cmd()
        .env(
            "CASEVAULT_RECOVERY_CODE",
            "ri5n zxtm 7cth afjh xwxe cjra bese d77z",
        )
        .env("CASEVAULT_NEW_PASSPHRASE", "a brand new passphrase 2026")
        .arg("recover")
        .output()
        .expect("run casevault");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let note = vault
        .cmd_with_passphrase("a brand new passphrase 2026")
        .args(["note", "show", "e83b2823"])
        .output()
        .expect("run casevault");
    assert!(String::from_utf8_lossy(&note.stdout).contains("Weekly for eight weeks."));
}

#[test]
fn a_wrong_passphrase_on_the_old_vault_changes_nothing() {
    let vault = fixture_copy();
    let before = std::fs::read(&vault.path).unwrap();
    let out = vault
        .cmd_with_passphrase("not the passphrase")
        .args(["member", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    // Only the failed-unlock marker may be written, never a roster.
    let db = rusqlite::Connection::open(&vault.path).unwrap();
    let rosters: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM records WHERE kind = 'roster'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rosters, 0);
    assert!(!before.is_empty());
}
