//! An attacker with write access to the vault file, editing it with SQLite: every
//! change to a record, to the audit trail, or to the whole file must be detected
//! (exit 5, integrity failure) and named precisely.
//!
//! Each test tampers with a real vault made by the real `casevault` binary, then
//! checks exit codes, messages and, where it matters, that no plaintext was printed.

mod common;

use common::{Backend, SqlValue, TestDb, TestVault, fails};
use rusqlite::OptionalExtension;

const INTEGRITY: i32 = 5;

/// Runs `casevault ARGS`, expects exit `code`, returns (stdout, stderr).
fn ciphertext(db: &TestDb, kind: &str, id: &str, version: u32) -> Vec<u8> {
    db.bytes(
        "SELECT ciphertext FROM records WHERE kind = ?1 AND id = ?2 AND version = ?3",
        &[kind.into(), id.into(), i64::from(version).into()],
    )
}

fn set_ciphertext(db: &TestDb, kind: &str, id: &str, version: u32, bytes: &[u8]) {
    let n = db.execute(
        "UPDATE records SET ciphertext = ?4 WHERE kind = ?1 AND id = ?2 AND version = ?3",
        &[
            kind.into(),
            id.into(),
            i64::from(version).into(),
            bytes.into(),
        ],
    );
    assert_eq!(n, 1, "exactly one row for {kind} {id} version {version}");
}

fn audit_head(db: &TestDb) -> Vec<u8> {
    db.bytes("SELECT value FROM meta WHERE name = 'audit_head'", &[])
}

fn set_audit_head(db: &TestDb, head: &[u8]) {
    db.execute(
        "UPDATE meta SET value = ?1 WHERE name = 'audit_head'",
        &[head.into()],
    );
}

fn last_seq(db: &TestDb) -> u64 {
    db.int("SELECT MAX(seq) FROM audit", &[]) as u64
}

fn audit_row(db: &TestDb, seq: u64) -> (Vec<u8>, Vec<u8>) {
    let rows = db.rows(
        "SELECT mac, details FROM audit WHERE seq = ?1",
        &[(seq as i64).into()],
    );
    let [row] = rows.as_slice() else {
        panic!("audit row {seq}: {} rows", rows.len());
    };
    (row[0].clone().into_bytes(), row[1].clone().into_bytes())
}

fn set_audit_row(db: &TestDb, seq: u64, mac: &[u8], details: &[u8]) {
    let n = db.execute(
        "UPDATE audit SET mac = ?2, details = ?3 WHERE seq = ?1",
        &[(seq as i64).into(), mac.into(), details.into()],
    );
    assert_eq!(n, 1, "audit row {seq} exists");
}

fn count(db: &TestDb, sql: &str) -> i64 {
    db.int(sql, &[])
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{:?} in the ciphertext", String::from_utf8_lossy(needle)))
}

/// Interesting byte positions in an age file made by casevault: (what, offset).
fn positions(ct: &[u8]) -> Vec<(&'static str, usize)> {
    let stanza = find(ct, b"\n-> casevault-record ") + 1;
    let salt = stanza + "-> casevault-record ".len();
    let body = stanza + find(&ct[stanza..], b"\n") + 1;
    let grease = find(ct, b"-grease");
    let mac_line = find(ct, b"\n--- ") + 1;
    let payload = mac_line + find(&ct[mac_line..], b"\n") + 1;
    assert!(payload + 16 + 512 + 16 <= ct.len(), "one padded chunk");
    vec![
        ("the version line", 5),
        ("the stanza's tag", stanza + 5),
        ("the stanza's salt", salt + 3),
        ("the stanza's wrapped key", body + 3),
        ("the grease stanza", grease + 2),
        ("the header MAC", mac_line + 4 + 3),
        ("the payload nonce", payload + 2),
        ("the payload body", payload + 16 + 200),
        ("the payload's last byte (tag)", ct.len() - 1),
    ]
}

/// What a vault holds, to compare before and after: the file's bytes but SQLite's
/// change counters, or the server database's dump.
fn state(v: &TestVault) -> Vec<u8> {
    match v.backend() {
        Backend::Sqlite => {
            let mut bytes = std::fs::read(&v.path).unwrap();
            bytes[24..28].fill(0);
            bytes[92..96].fill(0);
            bytes
        }
        Backend::Postgres => v.digest().into_bytes(),
    }
}

/// A vault with one client and one note (each one version).
fn vault_with_note() -> (TestVault, String, String) {
    let (v, _) = TestVault::init();
    let client = v.add_client("Ada Example", &["Ben Example"]);
    let note = v.add_note(&client, "2026-03-01", "Slept badly.\n## risk\nnone\n");
    (v, client, note)
}

fn a_flipped_byte_anywhere_in_a_note_is_an_integrity_failure_naming_it() {
    let (v, client, note) = vault_with_note();
    let db = v.db();
    let original = ciphertext(&db, "note", &note, 1);
    for (what, at) in positions(&original) {
        let mut bad = original.clone();
        bad[at] ^= 0x01;
        set_ciphertext(&db, "note", &note, 1, &bad);
        let (stdout, stderr) = fails(&v, &["note", "show", &note], INTEGRITY);
        assert!(
            stderr.contains(&format!("note {note} version 1")) && stderr.contains("integrity"),
            "flip in {what}: the error names the record: {stderr}"
        );
        assert!(
            !stdout.contains("Slept badly"),
            "flip in {what}: nothing printed"
        );
        // And the listing, which decrypts every note, refuses too.
        let (_, stderr) = fails(&v, &["note", "list", "--client", &client], INTEGRITY);
        assert!(
            stderr.contains(&format!("note {note} version 1")),
            "{stderr}"
        );

        // Put the original back: it reads again, so the failure was the flip.
        set_ciphertext(&db, "note", &note, 1, &original);
        let shown = v.ok(&["note", "show", &note]);
        assert!(shown.contains("Slept badly"), "{what}: {shown}");
    }
    // Appending or dropping a byte is no better.
    for bad in [
        [original.as_slice(), b"\0"].concat(),
        original[..original.len() - 1].to_vec(),
        Vec::new(),
    ] {
        set_ciphertext(&db, "note", &note, 1, &bad);
        let (_, stderr) = fails(&v, &["note", "show", &note], INTEGRITY);
        assert!(
            stderr.contains(&format!("note {note} version 1")),
            "{stderr}"
        );
    }
    set_ciphertext(&db, "note", &note, 1, &original);
    v.ok(&["audit", "verify"]);
}

fn a_flipped_byte_anywhere_in_a_client_is_an_integrity_failure_naming_it() {
    let (v, client, _note) = vault_with_note();
    let db = v.db();
    let original = ciphertext(&db, "client", &client, 1);
    for (what, at) in positions(&original) {
        let mut bad = original.clone();
        bad[at] ^= 0x01;
        set_ciphertext(&db, "client", &client, 1, &bad);
        let (stdout, stderr) = fails(&v, &["client", "show", &client], INTEGRITY);
        assert!(
            stderr.contains(&format!("client {client} version 1")) && stderr.contains("integrity"),
            "flip in {what}: the error names the record: {stderr}"
        );
        assert!(
            !stdout.contains("Ada Example"),
            "flip in {what}: nothing printed"
        );
        set_ciphertext(&db, "client", &client, 1, &original);
        let shown = v.ok(&["client", "show", &client]);
        assert!(shown.contains("Ada Example"), "{what}: {shown}");
    }
}

fn a_ciphertext_copied_onto_another_row_does_not_decrypt() {
    let (v, client, note_a) = vault_with_note();
    let note_b = v.add_note(&client, "2026-03-08", "Second session.\n");
    let other_client = v.add_client("Cleo Example", &[]);
    let db = v.db();
    let a = ciphertext(&db, "note", &note_a, 1);
    let b = ciphertext(&db, "note", &note_b, 1);

    // Note A's ciphertext on note B's row, same version number.
    set_ciphertext(&db, "note", &note_b, 1, &a);
    let (stdout, stderr) = fails(&v, &["note", "show", &note_b], INTEGRITY);
    assert!(
        stderr.contains(&format!(
            "note {note_b} version 1 failed its integrity check"
        )),
        "{stderr}"
    );
    assert!(
        !stdout.contains("Slept badly"),
        "A's text is not shown as B"
    );
    let (stdout, _) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(
        stdout.contains(&format!(
            "note {note_b} version 1 is not the ciphertext its last audited write produced"
        )),
        "{stdout}"
    );
    // Note A itself is untouched.
    assert!(v.ok(&["note", "show", &note_a]).contains("Slept badly"));

    // A client's ciphertext on the other client's row.
    let c = ciphertext(&db, "client", &client, 1);
    set_ciphertext(&db, "client", &other_client, 1, &c);
    let (stdout, stderr) = fails(&v, &["client", "show", &other_client], INTEGRITY);
    assert!(
        stderr.contains(&format!("client {other_client} version 1")),
        "{stderr}"
    );
    assert!(!stdout.contains("Ada Example"), "{stdout}");

    // A client's ciphertext on a note row (another kind).
    set_ciphertext(&db, "note", &note_b, 1, &c);
    let (_, stderr) = fails(&v, &["note", "show", &note_b], INTEGRITY);
    assert!(
        stderr.contains(&format!("note {note_b} version 1")),
        "{stderr}"
    );

    // A note row whose key columns are rewritten to another id (moved, not copied).
    set_ciphertext(&db, "note", &note_b, 1, &b);
    db.execute(
        "UPDATE records SET id = 'feedf00d' WHERE kind = 'note' AND id = ?1",
        &[(&note_b).into()],
    );
    let (_, stderr) = fails(&v, &["note", "show", "feedf00d"], INTEGRITY);
    assert!(stderr.contains("note feedf00d version 1"), "{stderr}");
}

fn an_older_version_put_back_is_caught() {
    let (v, client, _) = vault_with_note();
    let note = v.add_note(&client, "2026-03-15", "Version one text.\n");
    v.ok_stdin(&["note", "edit", &note], "Version two text.\n");
    v.ok_stdin(&["note", "edit", &note], "Version three text.\n");
    let db = v.db();
    let v2 = ciphertext(&db, "note", &note, 2);
    let v3 = ciphertext(&db, "note", &note, 3);
    assert!(
        v.ok(&["note", "show", &note])
            .contains("Version three text.")
    );
    v.ok(&["audit", "verify"]);

    // Roll the note back by deleting its newest version row: reading shows version 2,
    // which is a genuine earlier version, but the audit trail knows version 3 was written.
    db.execute(
        "DELETE FROM records WHERE kind = 'note' AND id = ?1 AND version = 3",
        &[(&note).into()],
    );
    let shown = v.ok(&["note", "show", &note]);
    assert!(
        shown.contains(&format!("note {note} version 2")) && shown.contains("Version two text."),
        "{shown}"
    );
    let (stdout, stderr) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(
        stdout.contains(&format!(
            "note {note} version 3 was written but is gone (deleted or rolled back)"
        )),
        "{stdout}"
    );
    assert!(stderr.contains("audit verification found"), "{stderr}");

    // Version 2's bytes put in version 3's row: bound to version 2, does not open as 3.
    db.execute(
        "INSERT INTO records (kind, id, version, ciphertext) VALUES ('note', ?1, 3, ?2)",
        &[(&note).into(), (&v2).into()],
    );
    let (stdout, stderr) = fails(&v, &["note", "show", &note], INTEGRITY);
    assert!(
        stderr.contains(&format!("note {note} version 3 failed its integrity check")),
        "{stderr}"
    );
    assert!(!stdout.contains("Version two text."), "{stdout}");
    let (stdout, _) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(
        stdout.contains(&format!("note {note} version 3 is not the ciphertext")),
        "{stdout}"
    );

    // Version 2's bytes as a new, never-written version 4: refused, and unaudited.
    set_ciphertext(&db, "note", &note, 3, &v3);
    v.ok(&["audit", "verify"]);
    db.execute(
        "INSERT INTO records (kind, id, version, ciphertext) VALUES ('note', ?1, 4, ?2)",
        &[(&note).into(), (&v2).into()],
    );
    let (_, stderr) = fails(&v, &["note", "show", &note], INTEGRITY);
    assert!(
        stderr.contains(&format!("note {note} version 4 failed its integrity check")),
        "{stderr}"
    );
    let (stdout, _) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(
        stdout.contains(&format!(
            "note {note} version 4 was not written by any audited operation"
        )),
        "{stdout}"
    );
}

fn a_record_row_copied_under_a_new_id_is_unaudited() {
    let (v, client, _) = vault_with_note();
    let db = v.db();
    let c = ciphertext(&db, "client", &client, 1);
    db.execute(
        "INSERT INTO records (kind, id, version, ciphertext) VALUES ('client', 'c0ffee00', 1, ?1)",
        &[(&c).into()],
    );
    let (stdout, stderr) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(
        stdout.contains("client c0ffee00 version 1 was not written by any audited operation"),
        "{stdout}"
    );
    assert!(stderr.contains("audit verification found"), "{stderr}");
    let (stdout, stderr) = fails(&v, &["client", "show", "c0ffee00"], INTEGRITY);
    assert!(
        stderr.contains("client c0ffee00 version 1 failed its integrity check"),
        "{stderr}"
    );
    assert!(!stdout.contains("Ada Example"), "{stdout}");
    // Listing decrypts every client, so the planted row stops it rather than being skipped.
    let (stdout, stderr) = fails(&v, &["client", "list"], INTEGRITY);
    assert!(stderr.contains("client c0ffee00 version 1"), "{stderr}");
    assert!(!stdout.contains("Ada Example"), "{stdout}");
}

/// A vault with events 1..=6 (init, client add, note add, note show, client list,
/// client show), no audit verify run yet.
fn vault_with_six_events() -> (TestVault, String, String) {
    let (v, client, note) = vault_with_note();
    v.ok(&["note", "show", &note]);
    v.ok(&["client", "list"]);
    v.ok(&["client", "show", &client]);
    assert_eq!(last_seq(&v.db()), 6);
    (v, client, note)
}

fn an_altered_audit_event_is_named() {
    let (v, _, _) = vault_with_six_events();
    let db = v.db();
    let (mac, details) = audit_row(&db, 3);

    // Details: one byte of the sealed event.
    let mut bad = details.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    set_audit_row(&db, 3, &mac, &bad);
    let (stdout, stderr) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(
        stdout.contains("audit event 3 has been altered, reordered or inserted"),
        "{stdout}"
    );
    assert!(
        stdout.contains("audit event 3 failed its integrity check"),
        "{stdout}"
    );
    assert!(!stdout.contains("audit event 2 "), "{stdout}");
    assert!(stderr.contains("audit verification found"), "{stderr}");
    // The same details re-sealed are impossible without the key; the log refuses too.
    let (_, stderr) = fails(&v, &["audit", "log"], INTEGRITY);
    assert!(stderr.contains("audit-event 3 version 1"), "{stderr}");
    set_audit_row(&db, 3, &mac, &details);
    v.ok(&["audit", "verify"]);

    // The MAC.
    let mut bad = mac.clone();
    bad[0] ^= 0x80;
    set_audit_row(&db, 3, &bad, &details);
    let (stdout, _) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(
        stdout.contains("audit event 3 has been altered, reordered or inserted"),
        "{stdout}"
    );
    assert!(!stdout.contains("audit event 2 "), "{stdout}");
    set_audit_row(&db, 3, &mac, &details);
    v.ok(&["audit", "verify"]);

    // A MAC of the wrong length.
    set_audit_row(&db, 3, &mac[..16], &details);
    let (stdout, _) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(
        stdout.contains("audit event 3 has been altered"),
        "{stdout}"
    );
    set_audit_row(&db, 3, &mac, &details);
    v.ok(&["audit", "verify"]);
}

fn a_deleted_middle_audit_event_is_named() {
    let (v, _, _) = vault_with_six_events();
    let db = v.db();
    db.execute("DELETE FROM audit WHERE seq = 3", &[]);
    let (stdout, stderr) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(stdout.contains("audit event 3 is missing"), "{stdout}");
    assert!(stderr.contains("audit verification found"), "{stderr}");

    // Renumbering the later events to close the gap does not help.
    db.execute("UPDATE audit SET seq = seq - 1 WHERE seq > 3", &[]);
    let (stdout, _) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(
        stdout.contains("audit event 3 has been altered"),
        "{stdout}"
    );
}

fn reordered_audit_events_are_named() {
    let (v, _, _) = vault_with_six_events();
    let db = v.db();
    let (mac3, details3) = audit_row(&db, 3);
    let (mac4, details4) = audit_row(&db, 4);
    set_audit_row(&db, 3, &mac4, &details4);
    set_audit_row(&db, 4, &mac3, &details3);
    let (stdout, stderr) = fails(&v, &["audit", "verify"], INTEGRITY);
    for seq in [3, 4] {
        assert!(
            stdout.contains(&format!(
                "audit event {seq} has been altered, reordered or inserted"
            )),
            "{stdout}"
        );
    }
    assert!(stderr.contains("audit verification found"), "{stderr}");
    // Swapped back, the trail is whole again.
    set_audit_row(&db, 3, &mac3, &details3);
    set_audit_row(&db, 4, &mac4, &details4);
    v.ok(&["audit", "verify"]);
}

fn an_inserted_audit_event_is_named_and_blocks_appending() {
    let (v, client, _) = vault_with_six_events();
    let db = v.db();
    let (mac, details) = audit_row(&db, 6);
    db.execute(
        "INSERT INTO audit (seq, mac, details) VALUES (7, ?1, ?2)",
        &[(&mac).into(), (&details).into()],
    );
    let (stdout, _) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(
        stdout.contains("audit event 7 has been altered, reordered or inserted"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the sealed head of the audit trail does not match its last event (7)"),
        "{stdout}"
    );
    let (stdout, stderr) = fails(&v, &["client", "show", &client], INTEGRITY);
    assert!(
        stderr.contains("does not match its sealed head"),
        "{stderr}"
    );
    assert!(!stdout.contains("Ada Example"), "{stdout}");
}

fn an_intact_vault_verifies_against_its_current_and_earlier_anchors() {
    let (v, client, note) = vault_with_note();
    let early = v.ok(&["audit", "anchor"]);
    assert!(early.starts_with("4-"), "{early}");
    v.ok(&["note", "show", &note]);
    v.ok_stdin(&["note", "edit", &note], "Edited.\n");
    v.ok(&["client", "show", &client]);
    let current = v.ok(&["audit", "anchor"]);
    let out = v.ok(&["audit", "verify", "--anchor", &current]);
    assert!(out.contains("audit trail intact"), "{out}");
    let out = v.ok(&["audit", "verify", "--anchor", &early]);
    assert!(out.contains("audit trail intact"), "{out}");

    // An anchor the trail never had: right position, wrong digest; and one from the future.
    let (seq, hex) = current.split_once('-').unwrap();
    let flipped = if hex.starts_with('0') { "1" } else { "0" };
    let forged = format!("{seq}-{flipped}{}", &hex[1..]);
    let (stdout, _) = fails(&v, &["audit", "verify", "--anchor", &forged], INTEGRITY);
    assert!(
        stdout.contains(&format!("does not extend the anchor at event {seq}")),
        "{stdout}"
    );
    let future = format!("999-{hex}");
    let (stdout, _) = fails(&v, &["audit", "verify", "--anchor", &future], INTEGRITY);
    assert!(
        stdout.contains("does not extend the anchor at event 999"),
        "{stdout}"
    );
    // Not an anchor at all: a usage error, not an integrity failure.
    let (_, stderr) = fails(&v, &["audit", "verify", "--anchor", "banana"], 2);
    assert!(stderr.contains("not an anchor"), "{stderr}");
}

fn truncation_to_an_older_sealed_head_is_caught_by_the_anchor() {
    let (v, client, note) = vault_with_note();
    let db = v.db();
    // The attacker's older copy of the head (a sealed head cannot be forged, only replayed).
    let old_seq = last_seq(&db);
    let old_head = audit_head(&db);

    // More work, including a record write, then the user keeps an anchor outside.
    let later_client = v.add_client("Dan Later", &[]);
    v.ok(&["note", "show", &note]);
    v.ok(&["client", "show", &client]);
    let anchor = v.ok(&["audit", "anchor"]);
    let anchor_seq = anchor.split_once('-').unwrap().0.to_owned();
    v.ok(&["audit", "verify", "--anchor", &anchor]);

    // Truncate: drop the newer events and the record they wrote, restore the old head.
    db.execute(
        "DELETE FROM audit WHERE seq > ?1",
        &[(old_seq as i64).into()],
    );
    db.execute(
        "DELETE FROM records WHERE kind = 'client' AND id = ?1",
        &[(&later_client).into()],
    );
    set_audit_head(&db, &old_head);

    // Internally consistent: without an anchor nothing can tell (this is why anchors exist).
    let out = v.ok(&["audit", "verify"]);
    assert!(out.contains("audit trail intact"), "{out}");
    // The anchor kept outside the vault can.
    let (stdout, stderr) = fails(&v, &["audit", "verify", "--anchor", &anchor], INTEGRITY);
    assert!(
        stdout.contains(&format!(
            "the audit trail does not extend the anchor at event {anchor_seq}: it was truncated or rolled back"
        )),
        "{stdout}"
    );
    assert!(stderr.contains("audit verification found"), "{stderr}");
}

fn truncation_without_the_old_head_fails_verify_and_blocks_every_operation() {
    let (v, client, note) = vault_with_note();
    v.ok(&["note", "show", &note]);
    v.ok(&["client", "list"]);
    let db = v.db();
    let last = last_seq(&db);
    db.execute(
        "DELETE FROM audit WHERE seq > ?1",
        &[((last - 2) as i64).into()],
    );
    let (stdout, stderr) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(
        stdout.contains(&format!(
            "the sealed head of the audit trail does not match its last event ({})",
            last - 2
        )),
        "{stdout}"
    );
    assert!(stderr.contains("audit verification found"), "{stderr}");

    // Nothing that would append an event runs, so nothing is read or written unaudited.
    let records_before = count(&db, "SELECT COUNT(*) FROM records");
    let events_before = count(&db, "SELECT COUNT(*) FROM audit");
    for (args, secret) in [
        (vec!["note", "show", note.as_str()], "Slept badly"),
        (vec!["client", "show", client.as_str()], "Ada Example"),
        (vec!["client", "list"], "Ada Example"),
        (vec!["search", "slept"], "Slept badly"),
        (vec!["audit", "log"], "client.add"),
        (vec!["audit", "anchor"], "-"),
        (vec!["client", "add", "--name", "Eve New"], ""),
    ] {
        let (stdout, stderr) = fails(&v, &args, INTEGRITY);
        assert!(
            stderr.contains("the audit trail does not match its sealed head"),
            "{args:?}: {stderr}"
        );
        if !secret.is_empty() {
            assert!(!stdout.contains(secret), "{args:?} printed {stdout}");
        }
    }
    let out = v
        .cmd()
        .args(["note", "add", "--client", &client, "--date", "2026-03-02"])
        .write_stdin("New note.\n")
        .assert()
        .code(INTEGRITY);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains("the audit trail does not match its sealed head"),
        "{stderr}"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM records"), records_before);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM audit"), events_before);
}

#[test]
fn a_whole_file_rollback_is_caught_by_the_anchor() {
    let (v, client, note) = vault_with_note();
    let copy = v.dir.path().join("older-copy.casevault");
    std::fs::copy(&v.path, &copy).unwrap();

    v.ok_stdin(&["note", "edit", &note], "A later version.\n");
    v.add_client("Fay Later", &[]);
    v.ok(&["client", "show", &client]);
    let anchor = v.ok(&["audit", "anchor"]);
    let anchor_seq = anchor.split_once('-').unwrap().0.to_owned();

    std::fs::copy(&copy, &v.path).unwrap();
    let db = v.sqlite();
    assert!(
        db.query_row(
            "SELECT 1 FROM records WHERE kind = 'note' AND id = ?1 AND version = 2",
            [&note],
            |_| Ok(())
        )
        .optional()
        .unwrap()
        .is_none(),
        "the older copy is really older"
    );
    // The older file is a consistent vault on its own...
    let out = v.ok(&["audit", "verify"]);
    assert!(out.contains("audit trail intact"), "{out}");
    // ...but it does not extend the anchor taken after it.
    let (stdout, _) = fails(&v, &["audit", "verify", "--anchor", &anchor], INTEGRITY);
    assert!(
        stdout.contains(&format!(
            "the audit trail does not extend the anchor at event {anchor_seq}"
        )),
        "{stdout}"
    );
}

fn a_row_of_unknown_kind_is_an_integrity_failure() {
    let (v, _, _) = vault_with_note();
    let db = v.db();
    db.execute(
        "INSERT INTO records (kind, id, version, ciphertext) VALUES ('bogus', 'c0ffee00', 1, ?1)",
        &[SqlValue::blob(&[0])],
    );
    // The schema's kinds are client and note; anything else was put there by hand.
    let (_, stderr) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(stderr.contains("bogus"), "{stderr}");
}

#[test]
fn a_ciphertext_stored_as_text_is_an_integrity_failure() {
    let (v, _, note) = vault_with_note();
    let db = v.sqlite();
    db.execute(
        "UPDATE records SET ciphertext = CAST(ciphertext AS TEXT) WHERE kind = 'note'",
        [],
    )
    .unwrap();
    let (stdout, stderr) = fails(&v, &["note", "show", &note], INTEGRITY);
    assert!(stderr.contains(&format!("note {note}")), "{stderr}");
    assert!(!stdout.contains("Slept badly"), "{stdout}");
    fails(&v, &["audit", "verify"], INTEGRITY);
}

fn forged_failed_unlock_rows_cannot_put_control_characters_on_the_terminal() {
    // failed_unlocks is the one table written without a key, so anyone can add rows.
    let (v, _, _) = vault_with_note();
    let db = v.db();
    db.execute(
        "INSERT INTO failed_unlocks (at, keyslot) VALUES (?1, ?2)",
        &[
            SqlValue::text("\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            SqlValue::text("passphrase\u{1b}[31m"),
        ],
    );
    for args in [&["client", "list"][..], &["audit", "log"][..]] {
        let out = v.cmd().args(args).assert();
        let o = out.get_output();
        assert!(
            matches!(o.status.code(), Some(0 | 5)),
            "{args:?}: {:?}",
            o.status
        );
        for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
            assert!(
                !bytes.iter().any(|&b| b == 0x1b || b == 0x07),
                "{args:?} {stream} carries terminal control characters from a forged row: {:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}

fn a_negative_audit_sequence_number_is_an_integrity_failure_not_a_panic() {
    let (v, _, _) = vault_with_note();
    let db = v.db();
    db.execute("UPDATE audit SET seq = -1 WHERE seq = 2", &[]);
    let (stdout, stderr) = fails(&v, &["audit", "verify"], INTEGRITY);
    // On a server, this machine's pin sees event 2 gone before anything is read.
    assert!(
        stderr.contains("negative sequence number")
            || stderr.contains("events up to it were removed"),
        "{stdout}{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A row with a negative number beside an intact chain is no less inserted.
    let (v, _, _) = vault_with_note();
    v.db().execute(
        "INSERT INTO audit (seq, mac, details, signer, signature, writes)
         SELECT -7, mac, details, signer, signature, writes FROM audit WHERE seq = 2",
        &[],
    );
    let (stdout, stderr) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(
        stderr.contains("negative sequence number"),
        "{stdout}{stderr}"
    );
}

#[test]
fn in_a_vault_file_a_negative_audit_sequence_number_is_an_integrity_failure() {
    common::run_on(
        Backend::Sqlite,
        a_negative_audit_sequence_number_is_an_integrity_failure_not_a_panic,
    );
}

/// On a server too (it once read the trail from `seq > -1`, skipping rows below).
#[test]
fn on_a_server_a_negative_audit_sequence_number_is_an_integrity_failure() {
    common::run_on(
        Backend::Postgres,
        a_negative_audit_sequence_number_is_an_integrity_failure_not_a_panic,
    );
}

fn an_old_passphrase_keyslot_put_back_is_caught_by_verify() {
    let (v, _, _) = vault_with_note();
    let db = v.db();
    let old = db.bytes(
        "SELECT keyslot FROM keyslots WHERE name = 'passphrase'",
        &[],
    );
    v.cmd()
        .args(["passwd"])
        .env("CASEVAULT_NEW_PASSPHRASE", "a brand new passphrase")
        .assert()
        .success();
    v.cmd_with_passphrase("a brand new passphrase")
        .args(["audit", "verify"])
        .assert()
        .success();
    db.execute(
        "UPDATE keyslots SET keyslot = ?1 WHERE name = 'passphrase'",
        &[(&old).into()],
    );
    // The old passphrase opens the vault again (the root secret never changed), but the
    // swap is visible to anyone who verifies.
    let (stdout, _) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(
        stdout.contains(
            "the passphrase keyslot is not the ciphertext its last audited write produced"
        ),
        "{stdout}"
    );
}

#[test]
fn a_truncated_vault_file_is_an_integrity_failure() {
    let (v, _, note) = vault_with_note();
    let bytes = std::fs::read(&v.path).unwrap();
    std::fs::write(&v.path, &bytes[..bytes.len() / 2]).unwrap();
    let out = v.cmd().args(["note", "show", &note]).assert().failure();
    let code = out.get_output().status.code();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(code, Some(INTEGRITY), "{stderr}");
    assert!(stderr.contains("restore"), "{stderr}");
}

/// A vault whose client's consent was revoked, then a later command run; returns it,
/// the client, the consent, and the sequence number of the event that wrote the
/// revocation.
fn vault_with_a_revocation_in_the_middle() -> (TestVault, String, String, u64) {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    v.add_note(&ada, "2026-03-01", "Progress text.\n");
    let consent = v.ok(&[
        "consent",
        "add",
        "--client",
        &ada,
        "--recipient",
        "Dr Smith",
        "--purpose",
        "treatment",
        "--allow",
        "progress",
        "--from",
        "2020-01-01",
        "--expires",
        "2099-12-31",
    ]);
    v.ok(&["consent", "revoke", &consent, "--on", "2020-06-01"]);
    let revoked_by = last_seq(&v.db());
    // A later command, so the revocation's event is no longer the last one.
    v.ok(&["client", "list"]);
    // The attacker deletes the revocation, putting the consent back.
    v.db().execute(
        "DELETE FROM records WHERE kind = 'consent' AND version = 2",
        &[],
    );
    (v, ada, consent, revoked_by)
}

/// The disclosure the revocation forbids must fail (exit 5) saying `why`, and write
/// nothing.
fn assert_disclosure_refused(v: &TestVault, ada: &str, why: &str) {
    let out_file = v.dir.path().join("export.md");
    let (_, stderr) = fails(
        v,
        &[
            "disclose",
            "--client",
            ada,
            "--to",
            "Dr Smith",
            "--purpose",
            "treatment",
            "--categories",
            "progress",
            "--write-plaintext",
            "--out",
            out_file.to_str().unwrap(),
        ],
        INTEGRITY,
    );
    // On a server, the machine's pin (taken as the trail was found) sees a removed
    // event's gap before the disclosure's own check does.
    assert!(
        stderr.contains(why)
            || (v.server().is_some() && stderr.contains("events up to it were removed")),
        "{stderr}"
    );
    assert!(!out_file.exists(), "nothing left the vault");
}

fn a_deleted_revocation_does_not_let_a_disclosure_through() {
    let (v, ada, consent, _) = vault_with_a_revocation_in_the_middle();
    assert_disclosure_refused(
        &v,
        &ada,
        &format!(
            "consent {consent} is at version 1, but the audit trail shows version 2 was written: the vault was rolled back"
        ),
    );
}

fn a_deleted_revocation_and_the_event_that_wrote_it_do_not_let_a_disclosure_through() {
    // The event deleted from the middle of the trail, where the sealed head does not look.
    let (v, ada, _, revoked_by) = vault_with_a_revocation_in_the_middle();
    v.db().execute(
        "DELETE FROM audit WHERE seq = ?1",
        &[(revoked_by as i64).into()],
    );
    assert_disclosure_refused(
        &v,
        &ada,
        &format!("the audit trail is broken at event {revoked_by}"),
    );

    // Or its details damaged, so that it cannot be read.
    let (v, ada, _, revoked_by) = vault_with_a_revocation_in_the_middle();
    let db = v.db();
    let (mac, mut details) = audit_row(&db, revoked_by);
    let last = details.len() - 1;
    details[last] ^= 0x55;
    set_audit_row(&db, revoked_by, &mac, &details);
    assert_disclosure_refused(
        &v,
        &ada,
        &format!("the audit trail is broken at event {revoked_by}"),
    );
}

fn a_keyslot_copied_from_another_vault_is_refused_at_unlock() {
    // Two vaults with the same passphrase: B's passphrase keyslot opens, but with B's key.
    let (a, a_code) = TestVault::init();
    let client = a.add_client("Ada Example", &[]);
    let (b, _) = TestVault::init();
    let foreign = b.db().bytes(
        "SELECT keyslot FROM keyslots WHERE name = 'passphrase'",
        &[],
    );
    a.db().execute(
        "UPDATE keyslots SET keyslot = ?1 WHERE name = 'passphrase'",
        &[(&foreign).into()],
    );
    let before = state(&a);

    let (_, stderr) = fails(&a, &["client", "list"], INTEGRITY);
    assert!(
        stderr.contains("the passphrase keyslot opens with another vault's key")
            && stderr.contains("casevault recover"),
        "{stderr}"
    );
    // Refused inside the unlock's transaction: nothing written.
    assert!(state(&a) == before, "the vault changed");

    // The recovery code, this vault's own, writes a new passphrase keyslot.
    a.cmd()
        .args(["recover"])
        .env("CASEVAULT_RECOVERY_CODE", &a_code)
        .env("CASEVAULT_NEW_PASSPHRASE", "a passphrase after recovery")
        .assert()
        .success();
    let listed = a
        .cmd_with_passphrase("a passphrase after recovery")
        .args(["client", "list"])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&listed.get_output().stdout).contains(&client));
}

fn a_deleted_policy_history_is_damage_not_the_built_in_default() {
    // Deleting every policy row must not let the vault decide under the built-in
    // default (laxer than the policy set): whatever needs the policy stops, exit 5.
    for set_one in [false, true] {
        let (v, _) = TestVault::init();
        let ada = v.add_client("Ada Example", &[]);
        v.add_note(&ada, "2026-03-01", "Progress text.\n");
        if set_one {
            let stricter =
                casevault::DEFAULT_POLICY.replace("purposes = [", "purposes = [\"audit-only\", ");
            let file = v.dir.path().join("stricter.toml");
            std::fs::write(&file, stricter).unwrap();
            v.ok(&["policy", "set", file.to_str().unwrap()]);
        }
        v.db()
            .execute("DELETE FROM records WHERE kind = 'policy'", &[]);
        let records = count(&v.db(), "SELECT COUNT(*) FROM records");
        assert_disclosure_refused(&v, &ada, "the vault's policy is missing");
        let note = v.dir.path().join("note.md");
        std::fs::write(&note, "## risk\nLow.\n").unwrap();
        for args in [
            vec!["policy", "show"],
            vec![
                "note",
                "add",
                "--client",
                &ada,
                "--date",
                "2026-03-02",
                "--file",
                note.to_str().unwrap(),
            ],
            vec![
                "intake",
                "--client",
                &ada,
                "--acknowledged-on",
                "2026-03-02",
            ],
            vec![
                "disclose",
                "--client",
                &ada,
                "--to",
                "Dr Smith",
                "--purpose",
                "treatment",
                "--categories",
                "progress",
                "--dry-run",
            ],
        ] {
            let (_, stderr) = fails(&v, &args, INTEGRITY);
            assert!(
                stderr.contains("the vault's policy is missing"),
                "{args:?}: {stderr}"
            );
        }
        assert_eq!(
            count(&v.db(), "SELECT COUNT(*) FROM records"),
            records,
            "nothing written"
        );
    }
}

common::on_both_backends!(
    a_flipped_byte_anywhere_in_a_note_is_an_integrity_failure_naming_it,
    a_flipped_byte_anywhere_in_a_client_is_an_integrity_failure_naming_it,
    a_ciphertext_copied_onto_another_row_does_not_decrypt,
    an_older_version_put_back_is_caught,
    a_record_row_copied_under_a_new_id_is_unaudited,
    an_altered_audit_event_is_named,
    a_deleted_middle_audit_event_is_named,
    reordered_audit_events_are_named,
    an_inserted_audit_event_is_named_and_blocks_appending,
    an_intact_vault_verifies_against_its_current_and_earlier_anchors,
    truncation_to_an_older_sealed_head_is_caught_by_the_anchor,
    truncation_without_the_old_head_fails_verify_and_blocks_every_operation,
    a_row_of_unknown_kind_is_an_integrity_failure,
    forged_failed_unlock_rows_cannot_put_control_characters_on_the_terminal,
    an_old_passphrase_keyslot_put_back_is_caught_by_verify,
    a_deleted_revocation_does_not_let_a_disclosure_through,
    a_deleted_revocation_and_the_event_that_wrote_it_do_not_let_a_disclosure_through,
    a_keyslot_copied_from_another_vault_is_refused_at_unlock,
    a_deleted_policy_history_is_damage_not_the_built_in_default,
);
