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

// ---------------------------------------------------------------------------------
// A practice of several members (`--member`, CASEVAULT_MEMBER).

/// dr-b's passphrase (dr-a, the owner, has the test passphrase).
const DR_B: &str = "dr-b's own passphrase 2026";
/// The biller's passphrase.
const BILLER: &str = "the biller's passphrase 2026";

/// `casevault` acting as `member` with `passphrase`.
fn as_member(vault: &TestVault, member: &str, passphrase: &str) -> assert_cmd::Command {
    let mut cmd = vault.cmd_with_passphrase(passphrase);
    cmd.env("CASEVAULT_MEMBER", member);
    cmd
}

/// Runs `args` as the owner dr-a, expecting success; trimmed stdout.
fn owner_ok(vault: &TestVault, args: &[&str]) -> String {
    member_ok(vault, "dr-a", common::PASSPHRASE, args, "")
}

/// Runs `args` as `member` with `stdin`, expecting success; trimmed stdout.
fn member_ok(vault: &TestVault, member: &str, pass: &str, args: &[&str], stdin: &str) -> String {
    let out = as_member(vault, member, pass)
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("run casevault");
    assert!(
        out.status.success(),
        "{member} {args:?}: exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned()
}

/// Runs `args` as `member`, expecting failure with `code`; returns stdout and stderr.
fn member_fails(vault: &TestVault, member: &str, pass: &str, args: &[&str], code: i32) -> String {
    let out = as_member(vault, member, pass)
        .args(args)
        .output()
        .expect("run casevault");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(code), "{member} {args:?}: {text}");
    text
}

/// A practice made by `init --member dr-a`, with `others` added by dr-a:
/// (name, role, passphrase).
fn practice(others: &[(&str, &str, &str)]) -> TestVault {
    let vault = TestVault::empty();
    let init = as_member(&vault, "dr-a", common::PASSPHRASE)
        .args(["init", "--json"])
        .output()
        .expect("run casevault");
    assert!(init.status.success(), "{init:?}");
    let json: serde_json::Value = serde_json::from_slice(&init.stdout).expect("JSON");
    assert_eq!(json["member"], "dr-a");
    for (name, role, pass) in others {
        let out = as_member(&vault, "dr-a", common::PASSPHRASE)
            .env("CASEVAULT_NEW_PASSPHRASE", pass)
            .args(["member", "add", "--name", name, "--role", role, "--json"])
            .output()
            .expect("run casevault");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(json["member"], *name);
        assert_eq!(json["recovery_code"].as_str().unwrap().len(), 39, "{json}");
    }
    vault
}

fn init_names_the_first_member_and_member_add_prints_the_new_members_recovery_code() {
    let vault = practice(&[]);
    let listed = owner_ok(&vault, &["member", "list"]);
    assert!(listed.starts_with("* dr-a  owner  added "), "{listed}");
    // With one member, no --member is needed.
    assert!(vault.ok(&["member", "list"]).contains("dr-a"));

    let added = as_member(&vault, "dr-a", common::PASSPHRASE)
        .env("CASEVAULT_NEW_PASSPHRASE", DR_B)
        .args(["member", "add", "--name", "dr-b", "--role", "clinician"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let added = String::from_utf8(added.stdout).unwrap();
    assert!(
        added.contains("Added member dr-b (role clinician)"),
        "{added}"
    );
    let code = added
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 39 && l.matches('-').count() == 7)
        .unwrap_or_else(|| panic!("no recovery code in {added}"));
    assert!(!code.is_empty());

    let listed = owner_ok(&vault, &["member", "list"]);
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(listed.contains("* dr-a  owner"), "{listed}");
    assert!(listed.contains("  dr-b  clinician"), "{listed}");

    // Two members: which one must be said.
    let out = vault.output(&["member", "list"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--member"), "{stderr}");
    assert!(stderr.contains("CASEVAULT_MEMBER"), "{stderr}");

    // dr-b opens it with their own passphrase, and only with it.
    let listed = member_ok(&vault, "dr-b", DR_B, &["member", "list"], "");
    assert!(listed.contains("* dr-b  clinician"), "{listed}");
    let text = member_fails(&vault, "dr-b", common::PASSPHRASE, &["member", "list"], 3);
    assert!(
        text.contains("wrong passphrase for member \"dr-b\""),
        "{text}"
    );
    // The next unlock says whose passphrase was tried.
    let out = as_member(&vault, "dr-b", DR_B)
        .args(["member", "list"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 failed unlock attempt"), "{stderr}");
    assert!(stderr.contains("dr-b's passphrase"), "{stderr}");

    // dr-b's public keys, and what member show prints.
    let shown = owner_ok(&vault, &["member", "show", "dr-b"]);
    assert!(shown.contains("role:    clinician"), "{shown}");
    assert!(shown.contains("x25519:  age1"), "{shown}");
    assert!(shown.contains("ed25519: "), "{shown}");
    let json = member_ok(
        &vault,
        "dr-a",
        common::PASSPHRASE,
        &["member", "show", "dr-b", "--json"],
        "",
    );
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["role"], "clinician");
    assert!(json.get("naming_key").is_none());
    let listed = owner_ok(&vault, &["member", "list", "--json"]);
    assert!(!listed.contains("naming_key"), "{listed}");
    // An unknown member is named, with what to do.
    let text = member_fails(
        &vault,
        "dr-a",
        common::PASSPHRASE,
        &["member", "show", "dr-z"],
        1,
    );
    assert!(
        text.contains("dr-z") && text.contains("member list"),
        "{text}"
    );
    let text = member_fails(&vault, "dr-z", common::PASSPHRASE, &["member", "list"], 1);
    assert!(text.contains("dr-z"), "{text}");
}

fn a_clinician_sees_only_their_caseload() {
    let vault = practice(&[("dr-b", "clinician", DR_B)]);
    let a = owner_ok(&vault, &["client", "add", "--name", "Ann Assigned"]);
    let b = owner_ok(&vault, &["client", "add", "--name", "Bea Elsewhere"]);
    let note = |client: &str, body: &str| {
        member_ok(
            &vault,
            "dr-a",
            common::PASSPHRASE,
            &["note", "add", "--client", client, "--date", "2026-03-01"],
            body,
        )
    };
    let note_a = note(&a, "Spoke about marmalade.\n## risk\nNone today.\n");
    let note_b = note(&b, "Spoke about zeppelins.\n## risk\nNone today.\n");
    owner_ok(&vault, &["caseload", "assign", "dr-b", "--client", &a]);
    let caseloads = owner_ok(&vault, &["caseload", "list", "dr-b"]);
    assert!(
        caseloads.contains(&a) && !caseloads.contains(&b),
        "{caseloads}"
    );

    let clients = member_ok(&vault, "dr-b", DR_B, &["client", "list"], "");
    assert!(clients.contains("Ann Assigned"), "{clients}");
    assert!(
        !clients.contains("Bea Elsewhere") && !clients.contains(&b),
        "{clients}"
    );

    let shown = member_ok(&vault, "dr-b", DR_B, &["note", "show", &note_a], "");
    assert!(shown.contains("marmalade"), "{shown}");
    let text = member_fails(&vault, "dr-b", DR_B, &["note", "show", &note_b], 4);
    assert!(text.contains("keys"), "{text}");
    assert!(
        !text.contains("policy"),
        "a key denial is not a policy's: {text}"
    );
    assert!(!text.contains("zeppelins"), "{text}");

    let hits = member_ok(&vault, "dr-b", DR_B, &["search", "marmalade"], "");
    assert!(hits.contains(&note_a), "{hits}");
    let hits = member_ok(&vault, "dr-b", DR_B, &["search", "zeppelins"], "");
    assert!(
        !hits.contains(&note_b) && hits.contains("no matches"),
        "{hits}"
    );

    owner_ok(&vault, &["caseload", "unassign", "dr-b", "--client", &a]);
    let text = member_fails(&vault, "dr-b", DR_B, &["note", "show", &note_a], 4);
    assert!(text.contains("keys"), "{text}");
    assert!(!text.contains("marmalade"), "{text}");
}

/// `text` with each of `ids` replaced by a placeholder (its position), and every
/// timestamp (when a note was written), as JSON or people read it, by `<time>`.
fn normalized(text: &str, ids: &[&str]) -> String {
    let mut text = text.to_owned();
    for (i, id) in ids.iter().enumerate() {
        text = text.replace(id, &format!("<id{i}>"));
    }
    let time = regex::Regex::new(
        r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?Z| \d{2}:\d{2}:\d{2} ([+-]\d{2}:\d{2}|UTC))",
    )
    .unwrap();
    time.replace_all(&text, "<time>").into_owned()
}

fn a_biller_reads_identity_attendance_and_diagnosis_only_and_cannot_tell_what_else_there_is() {
    let vault = practice(&[("bill", "biller", BILLER)]);
    let with = owner_ok(&vault, &["client", "add", "--name", "Cleo Withsections"]);
    let without = owner_ok(&vault, &["client", "add", "--name", "Dora Without"]);
    let add = |client: &str, body: &str| {
        member_ok(
            &vault,
            "dr-a",
            common::PASSPHRASE,
            &["note", "add", "--client", client, "--date", "2026-03-02"],
            body,
        )
    };
    let note_with = add(
        &with,
        "Talked about the week.\n## diagnosis\nF41.1\n## risk\nRISKTEXT passive thoughts\n## substance-use\nSUBSTANCETEXT drinks nightly\n## psychotherapy-notes\nPROCESSTEXT countertransference\n## attendance\nOn time, 50 minutes.\n",
    );
    let note_without = add(
        &without,
        "Talked about the week.\n## diagnosis\nF41.1\n## risk\nRISKTEXT passive thoughts\n## attendance\nOn time, 50 minutes.\n",
    );

    // Every client's name.
    let clients = member_ok(&vault, "bill", BILLER, &["client", "list"], "");
    assert!(
        clients.contains("Cleo Withsections") && clients.contains("Dora Without"),
        "{clients}"
    );

    let show = |note: &str, json: bool| {
        let mut args = vec!["note", "show", note];
        if json {
            args.push("--json");
        }
        member_ok(&vault, "bill", BILLER, &args, "")
    };
    let shown = show(&note_with, false);
    assert!(
        shown.contains("F41.1") && shown.contains("On time, 50 minutes."),
        "{shown}"
    );
    for hidden in [
        "RISKTEXT",
        "SUBSTANCETEXT",
        "PROCESSTEXT",
        "Talked about the week",
        "risk",
        "substance",
        "psychotherapy",
        "## progress",
    ] {
        assert!(
            !shown.contains(hidden),
            "{hidden} shown to the biller: {shown}"
        );
        assert!(!show(&note_with, true).contains(hidden), "{hidden} in JSON");
    }
    // Nothing tells the two apart but their ids.
    for json in [false, true] {
        let a = normalized(&show(&note_with, json), &[&note_with, &with]);
        let b = normalized(&show(&note_without, json), &[&note_without, &without]);
        assert_eq!(a, b, "the biller can tell the notes apart (json: {json})");
    }
    let list = |client: &str, note: &str| {
        normalized(
            &member_ok(
                &vault,
                "bill",
                BILLER,
                &["note", "list", "--client", client],
                "",
            ),
            &[note, client],
        )
    };
    assert_eq!(list(&with, &note_with), list(&without, &note_without));
}

fn a_removed_member_opens_nothing_and_the_trail_still_verifies() {
    let vault = practice(&[("dr-b", "clinician", DR_B)]);
    let a = owner_ok(&vault, &["client", "add", "--name", "Ann Assigned"]);
    owner_ok(&vault, &["caseload", "assign", "dr-b", "--client", &a]);
    member_ok(
        &vault,
        "dr-b",
        DR_B,
        &["note", "add", "--client", &a, "--date", "2026-03-01"],
        "A note by dr-b.\n",
    );
    let said = owner_ok(&vault, &["member", "remove", "dr-b"]);
    assert!(said.contains("removed") && said.contains("rekey"), "{said}");
    let text = member_fails(&vault, "dr-b", DR_B, &["client", "list"], 3);
    assert!(text.contains("dr-b") && text.contains("removed"), "{text}");
    let listed = owner_ok(&vault, &["member", "list"]);
    assert!(listed.contains("removed "), "{listed}");
    let verified = owner_ok(&vault, &["audit", "verify"]);
    assert!(verified.starts_with("audit trail intact"), "{verified}");
    let rekeyed = owner_ok(&vault, &["rekey"]);
    assert!(rekeyed.starts_with("resealed "), "{rekeyed}");
    assert!(
        rekeyed.contains("already current") && rekeyed.contains("not held"),
        "{rekeyed}"
    );
    let verified = owner_ok(&vault, &["audit", "verify"]);
    assert!(verified.starts_with("audit trail intact"), "{verified}");
}

fn a_role_denial_says_the_role_does_not_allow_it() {
    let vault = practice(&[("bill", "biller", BILLER)]);
    let out = as_member(&vault, "bill", BILLER)
        .env("CASEVAULT_NEW_PASSPHRASE", "someone else's passphrase")
        .args(["member", "add", "--name", "dr-c", "--role", "clinician"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("role (biller) does not allow"), "{stderr}");
    assert!(!stderr.contains("keys do not open"), "{stderr}");
    assert!(!stderr.contains("denied by policy"), "{stderr}");
    assert!(out.stdout.is_empty(), "no recovery code: {out:?}");
    let listed = owner_ok(&vault, &["member", "list"]);
    assert!(!listed.contains("dr-c"), "{listed}");
}

fn two_members_writing_at_once_each_sign_their_own_events() {
    let vault = practice(&[("dr-b", "clinician", DR_B)]);
    let a = owner_ok(&vault, &["client", "add", "--name", "Ann Shared"]);
    owner_ok(&vault, &["caseload", "assign", "dr-b", "--client", &a]);
    const EACH: usize = 5;
    let mut children = Vec::new();
    for i in 0..EACH {
        for (member, pass) in [("dr-a", common::PASSPHRASE), ("dr-b", DR_B)] {
            let file = vault.dir.path().join(format!("{member}-{i}.md"));
            std::fs::write(&file, format!("Written by {member}, number {i}.\n")).unwrap();
            let child = vault
                .process()
                .env("CASEVAULT_MEMBER", member)
                .env("CASEVAULT_PASSPHRASE", pass)
                .args([
                    "note",
                    "add",
                    "--client",
                    &a,
                    "--date",
                    "2026-03-03",
                    "--file",
                ])
                .arg(&file)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start casevault");
            children.push((member, i, child));
        }
    }
    let mut written: Vec<(String, &str)> = Vec::new();
    for (member, i, child) in children {
        let out = child.wait_with_output().expect("wait for casevault");
        assert!(
            out.status.success(),
            "{member} #{i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        written.push((
            String::from_utf8(out.stdout).unwrap().trim().to_owned(),
            member,
        ));
    }
    let listed = owner_ok(&vault, &["note", "list", "--client", &a, "--json"]);
    let notes: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let ids: Vec<&str> = notes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2 * EACH, "{ids:?}");
    for (id, _) in &written {
        assert_eq!(
            ids.iter().filter(|i| *i == id).count(),
            1,
            "{id} in {ids:?}"
        );
    }
    let verified = owner_ok(&vault, &["audit", "verify"]);
    assert!(verified.starts_with("audit trail intact"), "{verified}");
    let log = owner_ok(&vault, &["audit", "log", "--json"]);
    let events: serde_json::Value = serde_json::from_str(&log).unwrap();
    for (id, member) in &written {
        let event = events
            .as_array()
            .unwrap()
            .iter()
            .find(|e| {
                e["action"] == "note.add"
                    && e["targets"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|t| t["id"] == id.as_str()))
            })
            .unwrap_or_else(|| panic!("no note.add event for {id}"));
        assert_eq!(event["member"], *member, "{event}");
    }
}

fn an_event_re_signed_as_another_member_fails_verification_naming_it() {
    let vault = practice(&[("dr-b", "clinician", DR_B)]);
    let a = owner_ok(&vault, &["client", "add", "--name", "Ann Assigned"]);
    owner_ok(&vault, &["caseload", "assign", "dr-b", "--client", &a]);
    member_ok(
        &vault,
        "dr-b",
        DR_B,
        &["note", "add", "--client", &a, "--date", "2026-03-01"],
        "A note by dr-b.\n",
    );
    owner_ok(&vault, &["client", "list"]);
    let seq: i64 = {
        let db = vault.db();
        let seq = db.int("SELECT MAX(seq) FROM audit WHERE signer = 'dr-b'", &[]);
        let changed = db.execute(
            "UPDATE audit SET signer = 'dr-a' WHERE seq = ?1",
            &[seq.into()],
        );
        assert_eq!(changed, 1);
        seq
    };
    let text = member_fails(&vault, "dr-a", common::PASSPHRASE, &["audit", "verify"], 5);
    assert!(
        text.contains(&format!("event {seq}")),
        "event {seq} not named: {text}"
    );
}

fn emergency_access_is_asked_for_approved_and_opens_the_clients_record() {
    let vault = practice(&[("dr-b", "clinician", DR_B)]);
    let b = owner_ok(&vault, &["client", "add", "--name", "Bea Elsewhere"]);
    let note = member_ok(
        &vault,
        "dr-a",
        common::PASSPHRASE,
        &["note", "add", "--client", &b, "--date", "2026-03-01"],
        "Spoke about lighthouses.\n",
    );
    member_fails(&vault, "dr-b", DR_B, &["note", "show", &note], 4);

    // A justification on two lines is refused before anything is asked.
    let two = vault.dir.path().join("two-lines.txt");
    std::fs::write(&two, "Client in crisis\nat the front desk\n").unwrap();
    let text = member_fails(
        &vault,
        "dr-b",
        DR_B,
        &[
            "access",
            "request",
            "--client",
            &b,
            "--justification-file",
            two.to_str().unwrap(),
        ],
        2,
    );
    assert!(text.contains("one line"), "{text}");
    let why = vault.dir.path().join("why.txt");
    std::fs::write(
        &why,
        "Client in crisis at the front desk; her clinician is away\n",
    )
    .unwrap();
    let id = member_ok(
        &vault,
        "dr-b",
        DR_B,
        &[
            "access",
            "request",
            "--client",
            &b,
            "--justification-file",
            why.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(id.len(), 8, "{id}");
    // The requester cannot approve their own request: a clinician's role does not.
    let text = member_fails(&vault, "dr-b", DR_B, &["access", "approve", &id], 4);
    assert!(text.contains("role (clinician) does not allow"), "{text}");
    let listed = owner_ok(&vault, &["access", "list"]);
    assert!(
        listed.contains(&id) && listed.contains("pending"),
        "{listed}"
    );
    assert!(listed.contains("front desk"), "{listed}");

    let approved = owner_ok(&vault, &["access", "approve", &id, "--days", "2"]);
    assert!(
        approved.contains("dr-b holds client") && approved.contains(&b),
        "{approved}"
    );
    let listed = owner_ok(&vault, &["access", "list", "--json"]);
    let requests: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(requests[0]["approved"]["by"], "dr-a", "{requests}");
    let shown = member_ok(&vault, "dr-b", DR_B, &["note", "show", &note], "");
    assert!(shown.contains("lighthouses"), "{shown}");

    // The command-line form works, with a warning.
    let out = as_member(&vault, "dr-b", DR_B)
        .args([
            "access",
            "request",
            "--client",
            &b,
            "--justification",
            "follow-up",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("visible to other local users"));
}

common::on_both_backends!(
    a_new_vault_is_a_practice_of_one_owner,
    init_names_the_first_member_and_member_add_prints_the_new_members_recovery_code,
    a_clinician_sees_only_their_caseload,
    a_biller_reads_identity_attendance_and_diagnosis_only_and_cannot_tell_what_else_there_is,
    a_removed_member_opens_nothing_and_the_trail_still_verifies,
    a_role_denial_says_the_role_does_not_allow_it,
    two_members_writing_at_once_each_sign_their_own_events,
    an_event_re_signed_as_another_member_fails_verification_naming_it,
    emergency_access_is_asked_for_approved_and_opens_the_clients_record,
);
