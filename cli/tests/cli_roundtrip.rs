//! A round trip through the `casevault` CLI: clients, notes and their sections,
//! versions, signing and addenda, search, backups and the audit log, and the errors a
//! user meets on the way (with their exit codes and messages).

mod common;

use assert_cmd::Command;
use common::{TestVault, contains};
use serde_json::Value;

/// Runs `cmd`, expects exit `code`, returns (stdout, stderr).
fn fails(mut cmd: Command, code: i32) -> (String, String) {
    let out = cmd.assert().code(code);
    let output = out.get_output();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `casevault ARGS` on `vault` with `stdin`, expected to fail with exit `code`.
fn fails_with(vault: &TestVault, args: &[&str], stdin: &str, code: i32) -> (String, String) {
    let mut cmd = vault.cmd();
    cmd.args(args).write_stdin(stdin);
    fails(cmd, code)
}

/// The categories of a note's sections, as `note show --json` prints them.
fn categories(sections: &Value) -> Vec<String> {
    sections
        .as_array()
        .expect("sections is an array")
        .iter()
        .map(|s| s["category"].as_str().expect("category").to_owned())
        .collect()
}

/// The ids in a JSON array of records.
fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("an array")
        .iter()
        .map(|v| v["id"].as_str().expect("id").to_owned())
        .collect()
}

const SESSION: &str = "Arrived on time; mood brighter than last week.\n\
                       \n\
                       ## risk\n\
                       Denies suicidal intent; safety plan reviewed.\n\
                       \n\
                       ## diagnosis\n\
                       F41.1 generalized anxiety disorder\n";

fn client_add_stores_every_profile_field() {
    let (v, _) = TestVault::init();
    let ada = v.ok(&[
        "client",
        "add",
        "--name",
        "Ada Example",
        "--dob",
        "1984-07-12",
        "--contact",
        "ada@example.org",
        "--third-party",
        "Ben Example",
        "--third-party",
        "Acme Ltd",
    ]);
    assert_eq!(ada.len(), 8, "client id is eight hex digits: {ada}");
    assert!(ada.chars().all(|c| c.is_ascii_hexdigit()), "{ada}");

    let shown = v.ok(&["client", "show", &ada]);
    assert!(shown.contains(&format!("id:            {ada}")), "{shown}");
    assert!(shown.contains("name:          Ada Example"), "{shown}");
    assert!(shown.contains("date of birth: 1984-07-12"), "{shown}");
    assert!(shown.contains("contact:       ada@example.org"), "{shown}");
    assert!(
        shown.contains("third parties: Ben Example, Acme Ltd"),
        "{shown}"
    );

    let json = v.json(&["client", "show", &ada]);
    assert_eq!(json["id"], ada.as_str());
    assert_eq!(json["name"], "Ada Example");
    assert_eq!(json["date_of_birth"], "1984-07-12");
    assert_eq!(json["contact"], "ada@example.org");
    assert_eq!(
        json["third_parties"],
        serde_json::json!(["Ben Example", "Acme Ltd"])
    );
}

fn client_list_shows_every_client_by_name() {
    let (v, _) = TestVault::init();
    let empty = v.ok(&["client", "list"]);
    assert!(empty.contains("no clients yet"), "{empty}");

    let zoe = v.add_client("Zoe Second", &[]);
    let ada = v.ok(&[
        "client",
        "add",
        "--name",
        "Ada Example",
        "--dob",
        "1984-07-12",
    ]);

    let listed = v.ok(&["client", "list"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines[0].starts_with(&ada), "sorted by name: {listed}");
    assert!(lines[0].contains("Ada Example"), "{listed}");
    assert!(lines[0].contains("1984-07-12"), "{listed}");
    assert!(lines[1].starts_with(&zoe), "{listed}");
    assert!(lines[1].contains("Zoe Second"), "{listed}");

    let json = v.json(&["client", "list"]);
    assert_eq!(ids(&json), [ada.clone(), zoe.clone()]);
    assert_eq!(json[0]["date_of_birth"], "1984-07-12");
    assert_eq!(json[1]["date_of_birth"], Value::Null);
    assert_eq!(json[1]["third_parties"], serde_json::json!([]));
}

fn note_headings_make_category_sections() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let note = v.add_note(&ada, "2026-03-01", SESSION);
    assert_eq!(note.len(), 8, "note id is eight hex digits: {note}");

    let json = v.json(&["note", "show", &note]);
    assert_eq!(json["id"], note.as_str());
    assert_eq!(json["version"], 1);
    assert_eq!(json["date"], "2026-03-01");
    assert_eq!(json["note_type"], "individual");
    assert_eq!(json["clients"], serde_json::json!([ada]));
    assert_eq!(json["status"]["state"], "draft");
    assert_eq!(json["body"], SESSION);
    assert_eq!(
        categories(&json["sections"]),
        ["progress", "risk", "diagnosis"]
    );
    assert_eq!(
        json["sections"][0]["text"],
        "Arrived on time; mood brighter than last week."
    );
    assert_eq!(
        json["sections"][1]["text"],
        "Denies suicidal intent; safety plan reviewed."
    );
    assert_eq!(
        json["sections"][2]["text"],
        "F41.1 generalized anxiety disorder"
    );

    let shown = v.ok(&["note", "show", &note]);
    assert!(
        shown.starts_with(&format!("note {note} version 1")),
        "{shown}"
    );
    assert!(shown.contains("date:    2026-03-01"), "{shown}");
    assert!(shown.contains("type:    individual"), "{shown}");
    assert!(shown.contains(&format!("clients: {ada}")), "{shown}");
    assert!(shown.contains("status:  draft"), "{shown}");
    assert!(
        shown.contains("sections: progress, risk, diagnosis"),
        "{shown}"
    );
    assert!(shown.contains(SESSION.trim_end()), "{shown}");
}

fn note_add_reads_the_body_from_a_file() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let file = v.dir.path().join("session.md");
    std::fs::write(&file, "## medication\nSertraline 50 mg\n").unwrap();
    let note = v.ok(&[
        "note",
        "add",
        "--client",
        &ada,
        "--date",
        "2026-03-02",
        "--file",
        file.to_str().unwrap(),
    ]);
    let json = v.json(&["note", "show", &note]);
    assert_eq!(categories(&json["sections"]), ["medication"]);
    assert_eq!(json["sections"][0]["text"], "Sertraline 50 mg");
}

fn couples_note_belongs_to_both_clients() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &["Ben Example"]);
    let ben = v.add_client("Ben Example", &["Ada Example"]);
    let other = v.add_client("Carol Other", &[]);
    let note = v.ok_stdin(
        &[
            "note",
            "add",
            "--client",
            &ada,
            "--client",
            &ben,
            "--date",
            "2026-03-03",
            "--type",
            "couples",
        ],
        "Worked on communication.\n## third-party\nAda's mother visited.\n",
    );

    let json = v.json(&["note", "show", &note]);
    assert_eq!(json["note_type"], "couples");
    assert_eq!(json["clients"], serde_json::json!([ada, ben]));
    assert_eq!(categories(&json["sections"]), ["progress", "third-party"]);
    let shown = v.ok(&["note", "show", &note]);
    assert!(shown.contains("type:    couples"), "{shown}");
    assert!(shown.contains(&format!("clients: {ada}, {ben}")), "{shown}");

    for client in [&ada, &ben] {
        assert_eq!(
            ids(&v.json(&["note", "list", "--client", client])),
            vec![note.clone()]
        );
        let listed = v.ok(&["note", "list", "--client", client]);
        assert!(listed.contains(&note), "{listed}");
        assert!(listed.contains("couples"), "{listed}");
        assert!(listed.contains(&format!("{ada},{ben}")), "{listed}");
    }
    let none = v.ok(&["note", "list", "--client", &other]);
    assert_eq!(none, "no notes for this client");
    assert_eq!(
        v.json(&["note", "list", "--client", &other]),
        serde_json::json!([])
    );
}

fn note_list_shows_only_that_clients_notes_in_date_order() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let zoe = v.add_client("Zoe Second", &[]);
    let later = v.add_note(&ada, "2026-03-15", "Second session.\n");
    let earlier = v.add_note(&ada, "2026-03-01", "First session.\n");
    let zoes = v.add_note(&zoe, "2026-03-08", "Zoe's session.\n");

    let json = v.json(&["note", "list", "--client", &ada]);
    assert_eq!(ids(&json), [earlier.clone(), later.clone()]);
    assert_eq!(json[0]["body"], "First session.\n");

    let listed = v.ok(&["note", "list", "--client", &ada]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines[0].starts_with(&earlier), "{listed}");
    assert!(lines[0].contains("2026-03-01"), "{listed}");
    assert!(lines[0].contains("individual"), "{listed}");
    assert!(lines[0].contains("draft"), "{listed}");
    assert!(lines[0].contains("v1"), "{listed}");
    assert!(lines[1].starts_with(&later), "{listed}");
    assert!(!listed.contains(&zoes), "{listed}");
}

fn search_is_case_insensitive_and_filters_by_client() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let zoe = v.add_client("Zoe Second", &[]);
    let adas = v.add_note(&ada, "2026-03-01", "Discussed PANIC attacks on the bus.\n");
    let zoes = v.add_note(&zoe, "2026-03-02", "Mild panic at work.\n## risk\nnone\n");

    let all = v.ok(&["search", "Panic"]);
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 2, "{all}");
    assert!(lines[0].starts_with(&adas), "{all}");
    assert!(lines[0].contains("2026-03-01"), "{all}");
    assert!(
        lines[0].contains("Discussed PANIC attacks on the bus."),
        "{all}"
    );
    assert!(lines[1].starts_with(&zoes), "{all}");
    assert!(lines[1].contains("Mild panic at work."), "{all}");

    let only_ada = v.ok(&["search", "panic", "--client", &ada]);
    assert!(only_ada.contains(&adas), "{only_ada}");
    assert!(!only_ada.contains(&zoes), "{only_ada}");
    assert!(!only_ada.contains("Mild panic"), "{only_ada}");

    let json = v.json(&["search", "PANIC", "--client", &zoe]);
    let hits = json.as_array().expect("hits");
    assert_eq!(hits.len(), 1, "{json}");
    assert_eq!(hits[0]["note"], zoes.as_str());
    assert_eq!(hits[0]["clients"], serde_json::json!([zoe]));
    assert_eq!(hits[0]["line"], "Mild panic at work.");

    assert_eq!(v.ok(&["search", "zebra"]), "no matches");
    assert_eq!(v.json(&["search", "zebra"]), serde_json::json!([]));
}

fn edit_makes_version_2_and_version_1_keeps_the_old_text() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let note = v.add_note(&ada, "2026-03-01", "Original wording.\n");

    let edited = v.ok_stdin(
        &["note", "edit", &note],
        "Corrected wording.\n## risk\nLow.\n",
    );
    assert_eq!(edited, format!("note {note} edited: now version 2"));

    let current = v.json(&["note", "show", &note]);
    assert_eq!(current["version"], 2);
    assert_eq!(current["body"], "Corrected wording.\n## risk\nLow.\n");
    assert_eq!(categories(&current["sections"]), ["progress", "risk"]);
    let shown = v.ok(&["note", "show", &note]);
    assert!(shown.contains("Corrected wording."), "{shown}");
    assert!(!shown.contains("Original wording."), "{shown}");

    let old = v.ok(&["note", "show", &note, "--version", "1"]);
    assert!(old.starts_with(&format!("note {note} version 1")), "{old}");
    assert!(old.contains("Original wording."), "{old}");
    assert!(!old.contains("Corrected wording."), "{old}");
    let old = v.json(&["note", "show", &note, "--version", "1"]);
    assert_eq!(old["body"], "Original wording.\n");
    assert_eq!(categories(&old["sections"]), ["progress"]);

    let (_, err) = fails_with(&v, &["note", "show", &note, "--version", "3"], "", 1);
    assert!(
        err.contains(&format!("note {note} has no version 3")),
        "{err}"
    );

    // Search sees only the current version.
    assert_eq!(v.ok(&["search", "original wording"]), "no matches");
}

fn signed_note_refuses_edits_with_a_hint_naming_note_amend() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let note = v.add_note(&ada, "2026-03-01", "As written in session.\n");

    let signed = v.ok(&["note", "sign", &note]);
    assert_eq!(signed, format!("note {note} signed: now version 2"));
    let json = v.json(&["note", "show", &note]);
    assert_eq!(json["status"]["state"], "signed");
    assert_eq!(json["status"]["by"], "dr-test");
    let shown = v.ok(&["note", "show", &note]);
    assert!(shown.contains("status:  signed by dr-test at "), "{shown}");
    let listed = v.ok(&["note", "list", "--client", &ada]);
    assert!(listed.contains("signed"), "{listed}");

    let (out, err) = fails_with(&v, &["note", "edit", &note], "Rewritten later.\n", 1);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains(&format!("note {note} is signed and closed for edits")),
        "{err}"
    );
    assert!(err.contains("casevault note amend"), "{err}");

    let after = v.json(&["note", "show", &note]);
    assert_eq!(after["version"], 2);
    assert_eq!(after["body"], "As written in session.\n");

    let (_, err) = fails_with(&v, &["note", "sign", &note], "", 1);
    assert!(err.contains("is signed"), "signing twice: {err}");
}

fn amend_adds_an_addendum_that_note_show_prints() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let note = v.add_note(&ada, "2026-03-01", "As written in session.\n");
    v.ok(&["note", "sign", &note]);

    let amended = v.ok_stdin(
        &["note", "amend", &note],
        "## risk\nCalled the next day: passive ideation disclosed.\n",
    );
    assert_eq!(amended, format!("note {note} amended: now version 3"));

    let shown = v.ok(&["note", "show", &note]);
    assert!(shown.contains("As written in session."), "{shown}");
    assert!(shown.contains("--- addendum by dr-test at "), "{shown}");
    assert!(
        shown.contains("Called the next day: passive ideation disclosed."),
        "{shown}"
    );
    let body_at = shown.find("As written in session.").unwrap();
    let addendum_at = shown.find("--- addendum").unwrap();
    assert!(body_at < addendum_at, "addendum follows the body: {shown}");

    let json = v.json(&["note", "show", &note]);
    assert_eq!(json["version"], 3);
    assert_eq!(json["body"], "As written in session.\n");
    assert_eq!(categories(&json["sections"]), ["progress"]);
    let addenda = json["addenda"].as_array().expect("addenda");
    assert_eq!(addenda.len(), 1);
    assert_eq!(addenda[0]["written_by"], "dr-test");
    assert_eq!(categories(&addenda[0]["sections"]), ["risk"]);
    assert_eq!(
        addenda[0]["sections"][0]["text"],
        "Called the next day: passive ideation disclosed."
    );

    // The signed version before the addendum is still there as it was.
    let signed = v.json(&["note", "show", &note, "--version", "2"]);
    assert_eq!(signed["addenda"], serde_json::json!([]));

    let hits = v.ok(&["search", "passive ideation"]);
    assert!(hits.contains(&note), "search covers addenda: {hits}");
}

fn amend_on_a_draft_is_refused() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let note = v.add_note(&ada, "2026-03-01", "Draft text.\n");

    let (out, err) = fails_with(&v, &["note", "amend", &note], "An addendum.\n", 1);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains(&format!("note {note} is a draft")), "{err}");
    assert!(err.contains("casevault note edit"), "{err}");
    assert!(err.contains("casevault note sign"), "{err}");

    let json = v.json(&["note", "show", &note]);
    assert_eq!(json["version"], 1);
    assert_eq!(json["addenda"], serde_json::json!([]));
    assert_eq!(json["status"]["state"], "draft");
}

fn backup_opens_with_the_same_passphrase() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &["Ben Example"]);
    let zoe = v.add_client("Zoe Second", &[]);
    let note = v.add_note(&ada, "2026-03-01", SESSION);
    let backup = v.dir.path().join("backup.casevault");
    let backup_str = backup.to_str().unwrap();

    let said = v.ok(&["backup", "--out", backup_str]);
    assert_eq!(
        said,
        format!("backup written to {backup_str}; it opens with the same passphrase")
    );

    let on_backup = |args: &[&str]| {
        let out = v
            .cmd()
            .env("CASEVAULT_VAULT", &backup)
            .args(args)
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let clients = on_backup(&["client", "list"]);
    assert!(
        clients.contains(&ada) && clients.contains("Ada Example"),
        "{clients}"
    );
    assert!(
        clients.contains(&zoe) && clients.contains("Zoe Second"),
        "{clients}"
    );
    let shown = on_backup(&["note", "show", &note, "--json"]);
    let shown: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["body"], SESSION);
    let verified = on_backup(&["audit", "verify"]);
    assert!(verified.contains("audit trail intact"), "{verified}");

    // The copy is a vault: ciphertext only, and the wrong passphrase does not open it.
    let bytes = std::fs::read(&backup).unwrap();
    assert!(!contains(&bytes, "Ada Example"));
    assert!(!contains(&bytes, "safety plan reviewed"));
    let mut wrong = v.cmd_with_passphrase("not the passphrase at all");
    wrong
        .env("CASEVAULT_VAULT", &backup)
        .args(["client", "list"]);
    fails(wrong, 3);

    // The original is untouched by reads of the backup.
    assert_eq!(v.json(&["client", "list"]).as_array().unwrap().len(), 2);
}

fn backup_refuses_to_overwrite_an_existing_file() {
    let (v, _) = TestVault::init();
    v.add_client("Ada Example", &[]);
    let target = v.dir.path().join("precious.txt");
    std::fs::write(&target, b"an earlier backup, not to be lost").unwrap();

    let (out, err) = fails_with(&v, &["backup", "--out", target.to_str().unwrap()], "", 1);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("already exists"), "{err}");
    assert!(err.contains("never overwrites"), "{err}");
    assert_eq!(
        std::fs::read(&target).unwrap(),
        b"an earlier backup, not to be lost"
    );
    // No partial copy is left next to it.
    let stray: Vec<_> = common::files_under(v.dir.path())
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".casevault-backup-"))
        })
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

fn audit_log_lists_reads() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let note = v.add_note(&ada, "2026-03-01", SESSION);
    v.ok(&["note", "show", &note]);

    let events = v.json(&["audit", "log"]);
    let events = events.as_array().expect("events");
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["vault.init", "client.add", "note.add", "note.show"],
        "{events:?}"
    );
    let show = &events[3];
    assert_eq!(show["actor"], "dr-test");
    assert_eq!(show["outcome"], "ok");
    assert_eq!(show["targets"][0]["kind"], "note");
    assert_eq!(show["targets"][0]["id"], note.as_str());
    assert_eq!(show["targets"][0]["version"], 1);
    assert_eq!(show["targets"][0]["access"], "read");
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3, 4]);

    // The human log shows the same read, and the log read itself is audited.
    let log = v.ok(&["audit", "log"]);
    let show_line = log
        .lines()
        .find(|l| l.contains("note.show"))
        .unwrap_or_else(|| panic!("no note.show line: {log}"));
    assert!(show_line.contains(&format!("note:{note}@1")), "{show_line}");
    assert!(show_line.contains("dr-test"), "{show_line}");
    assert!(log.contains("audit.log"), "{log}");

    // The log names records, never their content.
    assert!(!log.contains("Ada Example"), "{log}");
    assert!(!log.contains("safety plan"), "{log}");
}

fn unknown_category_heading_names_the_line_and_saves_nothing() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let kept = v.add_note(&ada, "2026-03-01", "Earlier session.\n");
    let before = v.json(&["note", "list", "--client", &ada]);

    let (out, err) = fails_with(
        &v,
        &["note", "add", "--client", &ada, "--date", "2026-03-08"],
        "Arrived late.\n\n## Plan\nMeet weekly.\n",
        1,
    );
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("\"## Plan\""), "{err}");
    assert!(err.contains("is not a category"), "{err}");
    assert!(
        err.contains("treatment-plan"),
        "lists the known ones: {err}"
    );
    assert!(err.contains("nothing was saved"), "{err}");
    assert_eq!(v.json(&["note", "list", "--client", &ada]), before);

    // The same check guards edits: the note keeps its version.
    let (_, err) = fails_with(&v, &["note", "edit", &kept], "ok\n## Homework\nx\n", 1);
    assert!(
        err.contains("line 2") && err.contains("## Homework"),
        "{err}"
    );
    assert_eq!(v.json(&["note", "show", &kept])["version"], 1);
}

fn bad_date_is_a_usage_error() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);

    let (out, err) = fails_with(
        &v,
        &["note", "add", "--client", &ada, "--date", "01/03/2026"],
        "Some text.\n",
        2,
    );
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("01/03/2026"), "{err}");
    assert!(err.contains("YYYY-MM-DD"), "{err}");

    let (_, err) = fails_with(
        &v,
        &["client", "add", "--name", "Zoe", "--dob", "2026-02-30"],
        "",
        2,
    );
    assert!(
        err.contains("2026-02-30") && err.contains("YYYY-MM-DD"),
        "{err}"
    );

    assert_eq!(
        v.json(&["note", "list", "--client", &ada]),
        serde_json::json!([])
    );
    assert_eq!(v.json(&["client", "list"]).as_array().unwrap().len(), 1);
}

fn missing_vault_points_to_casevault_init() {
    let v = TestVault::empty();
    let (out, err) = fails_with(&v, &["client", "list"], "", 1);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains(&format!("no vault at {}", v.location_text())),
        "{err}"
    );
    assert!(err.contains("casevault init"), "{err}");
    assert!(!v.path.exists(), "a read does not create a vault");
}

fn unknown_client_id_is_refused() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);

    // Not an id the vault makes, so looked up by name too.
    let (_, err) = fails_with(&v, &["client", "show", "nosuchid"], "", 1);
    assert!(
        err.contains("no client with the id or name \"nosuchid\""),
        "{err}"
    );
    assert!(err.contains("casevault client list"), "{err}");
    // An id the vault could have made, and did not.
    let (_, err) = fails_with(&v, &["client", "show", "0badc0de"], "", 1);
    assert!(err.contains("no client 0badc0de"), "{err}");
    assert!(err.contains("casevault client list"), "{err}");

    let (_, err) = fails_with(&v, &["note", "list", "--client", "nosuchid"], "", 1);
    assert!(
        err.contains("no client with the id or name \"nosuchid\""),
        "{err}"
    );

    let (_, err) = fails_with(&v, &["search", "x", "--client", "nosuchid"], "", 1);
    assert!(
        err.contains("no client with the id or name \"nosuchid\""),
        "{err}"
    );

    let (out, err) = fails_with(
        &v,
        &[
            "note",
            "add",
            "--client",
            "nosuchid",
            "--date",
            "2026-03-01",
        ],
        "Text.\n",
        1,
    );
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("no client with the id or name \"nosuchid\""),
        "{err}"
    );

    // One good and one unknown client: nothing is saved for the good one either.
    fails_with(
        &v,
        &[
            "note",
            "add",
            "--client",
            &ada,
            "--client",
            "nosuchid",
            "--date",
            "2026-03-01",
            "--type",
            "couples",
        ],
        "Text.\n",
        1,
    );
    assert_eq!(
        v.json(&["note", "list", "--client", &ada]),
        serde_json::json!([])
    );

    let (_, err) = fails_with(&v, &["note", "show", "nosuchid"], "", 1);
    assert!(err.contains("no note nosuchid"), "{err}");
}

fn individual_note_with_two_clients_is_refused() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let ben = v.add_client("Ben Example", &[]);

    let (out, err) = fails_with(
        &v,
        &[
            "note",
            "add",
            "--client",
            &ada,
            "--client",
            &ben,
            "--date",
            "2026-03-01",
            "--type",
            "individual",
        ],
        "Joint session.\n",
        1,
    );
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("an individual note has one client, not 2"),
        "{err}"
    );

    // Without --type, two clients need one to be given.
    let (_, err) = fails_with(
        &v,
        &[
            "note",
            "add",
            "--client",
            &ada,
            "--client",
            &ben,
            "--date",
            "2026-03-01",
        ],
        "Joint session.\n",
        1,
    );
    assert!(
        err.contains("needs --type couples, family or group"),
        "{err}"
    );

    for client in [&ada, &ben] {
        assert_eq!(
            v.json(&["note", "list", "--client", client]),
            serde_json::json!([])
        );
    }
}

fn refused_backup_is_not_audited_as_a_backup_made() {
    let (v, _) = TestVault::init();
    let target = v.dir.path().join("exists.casevault");
    std::fs::write(&target, b"already here").unwrap();
    fails_with(&v, &["backup", "--out", target.to_str().unwrap()], "", 1);

    // The audit trail must not claim a backup that was never written.
    let events = v.json(&["audit", "log"]);
    let backups: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "vault.backup")
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert!(
        !backups.is_empty(),
        "the refused backup is audited: {events}"
    );
    assert!(
        backups.iter().all(|o| o.starts_with("failed")),
        "a refused backup is logged as ok: {backups:?}"
    );
}

fn a_client_given_twice_is_in_the_note_once() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let ben = v.add_client("Ben Example", &[]);
    let args = [
        "note",
        "add",
        "--client",
        &ada,
        "--client",
        &ben,
        "--client",
        &ada,
        "--date",
        "2026-03-01",
        "--type",
        "couples",
    ];
    let out = v
        .cmd()
        .args(args)
        .write_stdin("Joint session.\n")
        .output()
        .unwrap();
    if out.status.success() {
        let note = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        let json = v.json(&["note", "show", &note]);
        assert_eq!(
            json["clients"],
            serde_json::json!([ada, ben]),
            "each client once"
        );
    } else {
        // Refusing the repetition is fine too, as long as nothing is saved.
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            v.json(&["note", "list", "--client", &ada]),
            serde_json::json!([])
        );
    }
}

fn init_whose_recovery_code_cannot_be_printed_leaves_no_vault() {
    let v = TestVault::empty();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("casevault"))
        .arg("init")
        .env_clear()
        .env("CASEVAULT_VAULT", &v.location)
        .env("CASEVAULT_PASSPHRASE", common::PASSPHRASE)
        .env("HOME", v.dir.path())
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("casevault runs");
    assert_eq!(status.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(
        stderr.contains("cannot print the recovery code") && stderr.contains("removed"),
        "{stderr}"
    );
    assert!(!v.path.exists(), "no vault without its recovery code");
}

fn an_oversized_note_is_refused_with_a_clear_error() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let huge = "word ".repeat(2 * 1024 * 1024); // 10 MiB of text
    let out = v
        .cmd()
        .args(["note", "add", "--client", &ada, "--date", "2026-03-01"])
        .write_stdin(huge)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("the note in standard input is larger than 8 MiB"),
        "{stderr}"
    );
    assert_eq!(
        v.json(&["note", "list", "--client", &ada]),
        serde_json::json!([])
    );
}

fn near_miss_category_headings_are_refused_and_save_nothing() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    for (body, line) in [
        ("Progress.\n# psychotherapy-notes\nPN-CANARY\n", "line 2"),
        (
            "Progress.\n~~~~~~~~~~\n## psychotherapy-notes\nPN-CANARY\n",
            "line 3",
        ),
        ("Progress.\n```\nPN-CANARY\n", "line 2"),
    ] {
        let out = v
            .cmd()
            .args(["note", "add", "--client", &ada, "--date", "2026-03-01"])
            .write_stdin(body)
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.contains(line), "{body:?}: {stderr}");
        assert!(!stderr.contains("PN-CANARY"), "{stderr}");
    }
    assert_eq!(
        v.json(&["note", "list", "--client", &ada]),
        serde_json::json!([])
    );
}

common::on_both_backends!(
    client_add_stores_every_profile_field,
    client_list_shows_every_client_by_name,
    note_headings_make_category_sections,
    note_add_reads_the_body_from_a_file,
    couples_note_belongs_to_both_clients,
    note_list_shows_only_that_clients_notes_in_date_order,
    search_is_case_insensitive_and_filters_by_client,
    edit_makes_version_2_and_version_1_keeps_the_old_text,
    signed_note_refuses_edits_with_a_hint_naming_note_amend,
    amend_adds_an_addendum_that_note_show_prints,
    amend_on_a_draft_is_refused,
    backup_opens_with_the_same_passphrase,
    backup_refuses_to_overwrite_an_existing_file,
    audit_log_lists_reads,
    unknown_category_heading_names_the_line_and_saves_nothing,
    bad_date_is_a_usage_error,
    missing_vault_points_to_casevault_init,
    unknown_client_id_is_refused,
    individual_note_with_two_clients_is_refused,
    refused_backup_is_not_audited_as_a_backup_made,
    a_client_given_twice_is_in_the_note_once,
    init_whose_recovery_code_cannot_be_printed_leaves_no_vault,
    an_oversized_note_is_refused_with_a_clear_error,
    near_miss_category_headings_are_refused_and_save_nothing,
);
