//! Passphrases and recovery codes through the CLI: a wrong secret changes nothing but
//! the failed-unlock log and is reported at the next unlock; `passwd` and `recover`
//! replace the passphrase without touching the records; secrets come from files before
//! the environment; `init` refuses short passphrases and existing files.

mod common;

use assert_cmd::Command;
use common::{PASSPHRASE, SqlValue as Sql, TestVault};
use serde_json::Value;

const NEW_PASSPHRASE: &str = "a completely different passphrase";
const WRONG_PASSPHRASE: &str = "incorrect mule battery stapler";

/// Runs `cmd`, expects exit `code`, returns (stdout, stderr).
fn fails(mut cmd: Command, code: i32) -> (String, String) {
    let out = cmd.assert().code(code);
    let output = out.get_output();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs `cmd`, expects success, returns (stdout, stderr).
fn succeeds(mut cmd: Command) -> (String, String) {
    let out = cmd.assert().success();
    let output = out.get_output();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `casevault ARGS` with `passphrase`.
fn with(v: &TestVault, passphrase: &str, args: &[&str]) -> Command {
    let mut cmd = v.cmd_with_passphrase(passphrase);
    cmd.args(args);
    cmd
}

/// Every row of `table`, every column, in primary-key order.
fn dump(v: &TestVault, table: &str, order: &str) -> Vec<Vec<Sql>> {
    v.db()
        .rows(&format!("SELECT * FROM {table} ORDER BY {order}"), &[])
}

/// The tables a failed unlock must not touch, dumped in full.
fn protected_tables(v: &TestVault) -> Vec<(&'static str, Vec<Vec<Sql>>)> {
    [
        ("keyslots", "name"),
        ("records", "kind, id, version"),
        ("audit", "seq"),
        ("meta", "name"),
    ]
    .into_iter()
    .map(|(table, order)| (table, dump(v, table, order)))
    .collect()
}

fn failed_unlocks(v: &TestVault) -> Vec<Vec<Sql>> {
    dump(v, "failed_unlocks", "id")
}

/// A vault with one client and one note; returns the vault, its recovery code and the
/// note's id.
fn vault_with_a_note() -> (TestVault, String, String) {
    let (v, code) = TestVault::init();
    let client = v.add_client("Ada Example", &["Ben Example"]);
    let note = v.add_note(
        &client,
        "2026-03-01",
        "Arrived on time.\n## risk\nDenies intent.\n",
    );
    v.ok(&["note", "sign", &note]);
    (v, code, note)
}

/// `note show ID --json` with `passphrase`.
fn note_json(v: &TestVault, passphrase: &str, note: &str) -> Value {
    let (out, _) = succeeds(with(v, passphrase, &["note", "show", note, "--json"]));
    serde_json::from_str(&out).expect("JSON output")
}

/// `casevault ARGS --json` with `passphrase`, parsed.
fn json_with(v: &TestVault, passphrase: &str, args: &[&str]) -> Value {
    let mut cmd = with(v, passphrase, args);
    cmd.arg("--json");
    let (out, _) = succeeds(cmd);
    serde_json::from_str(&out).expect("JSON output")
}

/// A valid-looking recovery code that is not this vault's.
fn other_code(code: &str) -> String {
    let first = code.chars().next().unwrap();
    let replacement = if first == 'A' { 'B' } else { 'A' };
    format!("{replacement}{}", &code[1..])
}

fn wrong_passphrase_exits_3_and_writes_only_a_failed_unlock() {
    let (v, _, _) = vault_with_a_note();
    let before = protected_tables(&v);
    assert!(failed_unlocks(&v).is_empty());

    let (out, err) = fails(with(&v, WRONG_PASSPHRASE, &["client", "list"]), 3);
    assert!(out.is_empty(), "nothing is printed on stdout: {out}");
    assert!(err.contains("wrong passphrase for this vault"), "{err}");
    assert!(err.contains("casevault recover"), "{err}");
    assert!(
        !err.contains(WRONG_PASSPHRASE),
        "never echoes the secret: {err}"
    );

    assert_eq!(protected_tables(&v), before);
    let failed = failed_unlocks(&v);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0][2], Sql::Text("passphrase".into()));
}

fn next_unlock_warns_about_the_failed_attempt_and_audits_it() {
    let (v, _, _) = vault_with_a_note();
    fails(with(&v, WRONG_PASSPHRASE, &["client", "list"]), 3);

    let (out, err) = succeeds(with(&v, PASSPHRASE, &["client", "list"]));
    assert!(
        out.contains("Ada Example"),
        "the command itself works: {out}"
    );
    assert!(err.starts_with("warning: 1 failed unlock attempt"), "{err}");
    assert!(err.contains("audit log"), "{err}");
    assert!(failed_unlocks(&v).is_empty());

    let events = v.json(&["audit", "log"]);
    let unlocks: Vec<&Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "vault.unlock")
        .collect();
    assert_eq!(unlocks.len(), 1, "{events}");
    assert_eq!(unlocks[0]["outcome"], "failed: wrong passphrase");
    assert_eq!(unlocks[0]["actor"], "unknown");

    // Reported once: the following unlock is quiet, and the chain still verifies.
    let (out, err) = succeeds(with(&v, PASSPHRASE, &["audit", "verify"]));
    assert!(err.is_empty(), "{err}");
    assert!(out.contains("audit trail intact"), "{out}");
}

fn a_forged_failed_unlock_row_keeps_a_casevault_time_and_says_when_it_has_none() {
    // The rows are written without a key: one with a time as casevault writes it is
    // kept as it is, and one with anything else is reported without inventing a time.
    let (v, _, _) = vault_with_a_note();
    v.db().execute(
        "INSERT INTO failed_unlocks (at, keyslot) VALUES
             ('2026-03-01T10:00:00Z', 'passphrase'), ('yesterday', 'recovery')",
        &[],
    );
    let (_, err) = succeeds(with(&v, PASSPHRASE, &["client", "list"]));
    assert!(
        err.contains("2 failed unlock attempt(s) since the last unlock, from 2026-03-01 10:00:00 +00:00 to an unreadable time"),
        "{err}"
    );
    let events = v.json(&["audit", "log"]);
    let unlocks: Vec<&Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "vault.unlock")
        .collect();
    assert_eq!(unlocks.len(), 2, "{events}");
    assert_eq!(unlocks[0]["at"], "2026-03-01T10:00:00Z");
    assert_eq!(unlocks[0]["outcome"], "failed: wrong passphrase");
    assert_eq!(unlocks[1]["at"], "an unreadable time");
    assert_eq!(unlocks[1]["outcome"], "failed: wrong recovery code");
    let (out, _) = succeeds(with(&v, PASSPHRASE, &["audit", "verify"]));
    assert!(out.contains("audit trail intact"), "{out}");
}

fn every_failed_attempt_is_counted() {
    let (v, _, _) = vault_with_a_note();
    fails(with(&v, WRONG_PASSPHRASE, &["client", "list"]), 3);
    fails(
        with(
            &v,
            "another wrong guess",
            &["note", "list", "--client", "x"],
        ),
        3,
    );
    assert_eq!(failed_unlocks(&v).len(), 2);

    let (_, err) = succeeds(with(&v, PASSPHRASE, &["client", "list"]));
    assert!(err.contains("2 failed unlock attempt"), "{err}");
    let events = v.json(&["audit", "log"]);
    let failed = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "vault.unlock" && e["outcome"] == "failed: wrong passphrase")
        .count();
    assert_eq!(failed, 2, "{events}");
}

fn passwd_from_env_replaces_the_passphrase_and_keeps_notes() {
    let (v, _, note) = vault_with_a_note();
    let before = note_json(&v, PASSPHRASE, &note);
    let records = dump(&v, "records", "kind, id, version");

    let mut passwd = with(&v, PASSPHRASE, &["passwd"]);
    passwd.env("CASEVAULT_NEW_PASSPHRASE", NEW_PASSPHRASE);
    let (out, _) = succeeds(passwd);
    assert!(out.contains("passphrase changed"), "{out}");

    let (_, err) = fails(with(&v, PASSPHRASE, &["client", "list"]), 3);
    assert!(err.contains("wrong passphrase"), "{err}");
    assert_eq!(note_json(&v, NEW_PASSPHRASE, &note), before);
    assert_eq!(
        dump(&v, "records", "kind, id, version"),
        records,
        "only the keyslot is rewrapped"
    );
}

fn passwd_reads_the_new_passphrase_from_a_file() {
    let (v, _, note) = vault_with_a_note();
    let before = note_json(&v, PASSPHRASE, &note);
    let file = v.dir.path().join("new-passphrase");
    std::fs::write(&file, format!("{NEW_PASSPHRASE}\n")).unwrap();

    succeeds(with(
        &v,
        PASSPHRASE,
        &["passwd", "--new-passphrase-file", file.to_str().unwrap()],
    ));

    fails(with(&v, PASSPHRASE, &["client", "list"]), 3);
    // The trailing newline is not part of the passphrase.
    assert_eq!(note_json(&v, NEW_PASSPHRASE, &note), before);
}

fn passwd_refuses_a_short_new_passphrase() {
    let (v, _, note) = vault_with_a_note();
    let mut passwd = with(&v, PASSPHRASE, &["passwd"]);
    passwd.env("CASEVAULT_NEW_PASSPHRASE", "short");
    let (_, err) = fails(passwd, 1);
    assert!(err.contains("shorter than 10 characters"), "{err}");
    note_json(&v, PASSPHRASE, &note);
    fails(with(&v, "short", &["client", "list"]), 3);
}

fn passwd_with_the_wrong_current_passphrase_exits_3() {
    let (v, _, note) = vault_with_a_note();
    let keyslots = dump(&v, "keyslots", "name");
    let mut passwd = with(&v, WRONG_PASSPHRASE, &["passwd"]);
    passwd.env("CASEVAULT_NEW_PASSPHRASE", NEW_PASSPHRASE);
    fails(passwd, 3);
    assert_eq!(dump(&v, "keyslots", "name"), keyslots);
    fails(with(&v, NEW_PASSPHRASE, &["client", "list"]), 3);
    note_json(&v, PASSPHRASE, &note);
}

fn recover_with_the_code_sets_a_new_passphrase() {
    let (v, code, note) = vault_with_a_note();
    let before = note_json(&v, PASSPHRASE, &note);
    let records = dump(&v, "records", "kind, id, version");

    let mut recover = with(&v, "the passphrase is forgotten", &["recover"]);
    recover
        .env("CASEVAULT_RECOVERY_CODE", &code)
        .env("CASEVAULT_NEW_PASSPHRASE", NEW_PASSPHRASE);
    let (out, err) = succeeds(recover);
    assert!(out.contains("new passphrase set"), "{out}");
    assert!(
        !out.contains(&code) && !err.contains(&code),
        "never echoes the code"
    );

    fails(with(&v, PASSPHRASE, &["client", "list"]), 3);
    assert_eq!(note_json(&v, NEW_PASSPHRASE, &note), before);
    assert_eq!(dump(&v, "records", "kind, id, version"), records);
    let events = json_with(&v, NEW_PASSPHRASE, &["audit", "log"]);
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "vault.recover" && e["outcome"] == "ok"),
        "{events}"
    );
}

fn recover_accepts_the_code_typed_in_lowercase_with_spaces() {
    let (v, code, note) = vault_with_a_note();
    let before = note_json(&v, PASSPHRASE, &note);
    let typed = code.to_lowercase().replace('-', " ");
    assert_ne!(typed, code);

    let mut recover = with(&v, PASSPHRASE, &["recover"]);
    recover
        .env("CASEVAULT_RECOVERY_CODE", &typed)
        .env("CASEVAULT_NEW_PASSPHRASE", NEW_PASSPHRASE);
    succeeds(recover);

    fails(with(&v, PASSPHRASE, &["client", "list"]), 3);
    assert_eq!(note_json(&v, NEW_PASSPHRASE, &note), before);
}

fn recover_reads_the_code_from_a_file() {
    let (v, code, note) = vault_with_a_note();
    let file = v.dir.path().join("recovery-code");
    std::fs::write(&file, format!("{code}\n")).unwrap();

    let mut recover = with(
        &v,
        PASSPHRASE,
        &["recover", "--recovery-code-file", file.to_str().unwrap()],
    );
    recover.env("CASEVAULT_NEW_PASSPHRASE", NEW_PASSPHRASE);
    succeeds(recover);
    note_json(&v, NEW_PASSPHRASE, &note);
}

fn recovery_code_still_works_after_passwd() {
    let (v, code, note) = vault_with_a_note();
    let mut passwd = with(&v, PASSPHRASE, &["passwd"]);
    passwd.env("CASEVAULT_NEW_PASSPHRASE", NEW_PASSPHRASE);
    succeeds(passwd);

    let third = "yet another long passphrase";
    let mut recover = with(&v, NEW_PASSPHRASE, &["recover"]);
    recover
        .env("CASEVAULT_RECOVERY_CODE", &code)
        .env("CASEVAULT_NEW_PASSPHRASE", third);
    succeeds(recover);
    fails(with(&v, NEW_PASSPHRASE, &["client", "list"]), 3);
    note_json(&v, third, &note);
}

fn wrong_recovery_code_exits_3_and_keeps_the_passphrase() {
    let (v, code, note) = vault_with_a_note();
    let before = protected_tables(&v);
    let wrong = other_code(&code);

    let mut recover = with(&v, PASSPHRASE, &["recover"]);
    recover
        .env("CASEVAULT_RECOVERY_CODE", &wrong)
        .env("CASEVAULT_NEW_PASSPHRASE", NEW_PASSPHRASE);
    let (out, err) = fails(recover, 3);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("wrong recovery code for this vault"), "{err}");
    assert!(!err.contains(&wrong), "never echoes the code: {err}");

    assert_eq!(protected_tables(&v), before);
    let failed = failed_unlocks(&v);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0][2], Sql::Text("recovery".into()));

    // The passphrase still opens the vault, and the attempt is reported and audited.
    let (_, err) = succeeds(with(&v, PASSPHRASE, &["note", "show", &note]));
    assert!(err.contains("1 failed unlock attempt"), "{err}");
    let events = v.json(&["audit", "log"]);
    let outcomes: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "vault.unlock")
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes.len(), 1, "{events}");
    assert!(
        outcomes[0].starts_with("failed: wrong recovery"),
        "{events}"
    );
    fails(with(&v, NEW_PASSPHRASE, &["client", "list"]), 3);
}

fn passphrase_file_takes_precedence_over_the_environment() {
    let (v, _, _) = vault_with_a_note();
    let right = v.dir.path().join("right");
    let wrong = v.dir.path().join("wrong");
    std::fs::write(&right, format!("{PASSPHRASE}\n")).unwrap();
    std::fs::write(&wrong, format!("{WRONG_PASSPHRASE}\n")).unwrap();

    // The file is right and the environment wrong: the file wins.
    let (out, err) = succeeds(with(
        &v,
        WRONG_PASSPHRASE,
        &[
            "--passphrase-file",
            right.to_str().unwrap(),
            "client",
            "list",
        ],
    ));
    assert!(out.contains("Ada Example"), "{out}");
    assert!(err.is_empty(), "no failed unlock was recorded: {err}");

    // The file is wrong and the environment right: still the file wins.
    let (_, err) = fails(
        with(
            &v,
            PASSPHRASE,
            &[
                "client",
                "list",
                "--passphrase-file",
                wrong.to_str().unwrap(),
            ],
        ),
        3,
    );
    assert!(err.contains("wrong passphrase"), "{err}");

    // CASEVAULT_PASSPHRASE_FILE is the same option.
    let mut cmd = with(&v, WRONG_PASSPHRASE, &["client", "list"]);
    cmd.env("CASEVAULT_PASSPHRASE_FILE", &right);
    let (_, err) = succeeds(cmd);
    assert!(err.contains("1 failed unlock attempt"), "{err}");
}

fn missing_passphrase_file_is_an_error_naming_it() {
    let (v, _, _) = vault_with_a_note();
    let missing = v.dir.path().join("no-such-file");
    let (_, err) = fails(
        with(
            &v,
            PASSPHRASE,
            &[
                "--passphrase-file",
                missing.to_str().unwrap(),
                "client",
                "list",
            ],
        ),
        1,
    );
    assert!(err.contains("no-such-file"), "{err}");
    assert!(failed_unlocks(&v).is_empty());
}

fn init_refuses_a_short_passphrase() {
    let v = TestVault::empty();
    let (out, err) = fails(with(&v, "too short", &["init"]), 1);
    assert!(out.is_empty(), "no recovery code is printed: {out}");
    assert!(err.contains("shorter than 10 characters"), "{err}");
    assert!(!err.contains("too short"), "never echoes the secret: {err}");
    assert!(!v.path.exists(), "no vault file is left behind");
    if let Some((server, db)) = v.server() {
        let tables = server.psql(
            db,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public';",
        );
        assert_eq!(tables.trim(), "0", "no tables are left behind");
    }
}

fn init_on_an_existing_vault_fails_and_leaves_it_unchanged() {
    let (v, _, note) = vault_with_a_note();
    let bytes = v.digest();

    let (out, err) = fails(with(&v, NEW_PASSPHRASE, &["init"]), 1);
    assert!(out.is_empty(), "no recovery code is printed: {out}");
    assert!(err.contains("already exists"), "{err}");
    let why = match v.backend() {
        common::Backend::Sqlite => "never overwrites",
        common::Backend::Postgres => "that database already holds a vault",
    };
    assert!(err.contains(why), "{err}");

    assert_eq!(v.digest(), bytes);
    fails(with(&v, NEW_PASSPHRASE, &["client", "list"]), 3);
    note_json(&v, PASSPHRASE, &note);
}

#[test]
fn init_on_an_existing_other_file_leaves_it_unchanged() {
    let v = TestVault::empty();
    std::fs::write(&v.path, b"somebody's unrelated file").unwrap();
    let (_, err) = fails(with(&v, PASSPHRASE, &["init"]), 1);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(
        std::fs::read(&v.path).unwrap(),
        b"somebody's unrelated file"
    );
}

common::on_both_backends!(
    wrong_passphrase_exits_3_and_writes_only_a_failed_unlock,
    next_unlock_warns_about_the_failed_attempt_and_audits_it,
    a_forged_failed_unlock_row_keeps_a_casevault_time_and_says_when_it_has_none,
    every_failed_attempt_is_counted,
    passwd_from_env_replaces_the_passphrase_and_keeps_notes,
    passwd_reads_the_new_passphrase_from_a_file,
    passwd_refuses_a_short_new_passphrase,
    passwd_with_the_wrong_current_passphrase_exits_3,
    recover_with_the_code_sets_a_new_passphrase,
    recover_accepts_the_code_typed_in_lowercase_with_spaces,
    recover_reads_the_code_from_a_file,
    recovery_code_still_works_after_passwd,
    wrong_recovery_code_exits_3_and_keeps_the_passphrase,
    passphrase_file_takes_precedence_over_the_environment,
    missing_passphrase_file_is_an_error_naming_it,
    init_refuses_a_short_passphrase,
    init_on_an_existing_vault_fails_and_leaves_it_unchanged,
);
