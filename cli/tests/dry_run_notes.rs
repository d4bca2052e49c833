//! A decision says when the export will carry no client name (`identity` not
//! released) or no session dates (`attendance` not released), on a dry run and on a
//! real disclosure, so that a recipient who needs either is not sent a file without
//! it. `--json` output is unchanged.

mod common;

use common::TestVault;

const NO_NAME: &str = "note: the export will carry no client name (identity not released)";
const NO_DATES: &str = "note: the export will carry no session dates (attendance not released)";

/// A client with a note and a consent to Dr Smith for `allow`.
fn setup(allow: &str) -> (TestVault, String) {
    let (v, _) = TestVault::init();
    let client = v.ok_stdin(&["client", "add"], "name: Wenceslava Oyelaran\n");
    v.add_note(
        &client,
        "2026-03-01",
        "Slept better.\n## diagnosis\nF41.1\n",
    );
    v.ok(&[
        "consent",
        "add",
        "--client",
        &client,
        "--recipient",
        "Dr Smith",
        "--purpose",
        "treatment",
        "--allow",
        allow,
        "--from",
        "2026-01-01",
        "--expires",
        "2099-12-31",
    ]);
    (v, client)
}

fn dry_run(v: &TestVault, client: &str, categories: &str, json: bool) -> String {
    let mut args = vec![
        "disclose",
        "--client",
        client,
        "--to",
        "Dr Smith",
        "--purpose",
        "treatment",
        "--categories",
        categories,
        "--dry-run",
    ];
    if json {
        args.push("--json");
    }
    v.ok(&args)
}

#[test]
fn a_dry_run_says_when_the_export_will_carry_no_name_or_dates() {
    let (v, client) = setup("identity,attendance,progress,diagnosis");
    for (categories, name, dates) in [
        ("progress", false, false),
        ("progress,diagnosis", false, false),
        ("identity,progress", true, false),
        ("attendance,diagnosis", false, true),
        ("identity,attendance,progress", true, true),
    ] {
        let out = dry_run(&v, &client, categories, false);
        assert_eq!(out.contains(NO_NAME), !name, "{categories}: {out}");
        assert_eq!(out.contains(NO_DATES), !dates, "{categories}: {out}");
        // JSON stays the decision record alone.
        let json = dry_run(&v, &client, categories, true);
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("one JSON value");
        assert!(parsed["decision"]["verdicts"].is_array(), "{json}");
        assert!(!json.contains("note: the export"), "{json}");
    }
}

#[test]
fn a_denied_identity_is_said_too() {
    // The consent does not cover identity: it is requested and denied (exit 4).
    let (v, client) = setup("progress");
    let out = v
        .cmd()
        .args([
            "disclose",
            "--client",
            &client,
            "--to",
            "Dr Smith",
            "--purpose",
            "treatment",
            "--categories",
            "identity,progress",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("DENIED") && stdout.contains(NO_NAME) && stdout.contains(NO_DATES),
        "{stdout}"
    );
}

#[test]
fn a_real_disclosure_says_it_and_the_export_indeed_has_no_name() {
    let (v, client) = setup("progress,diagnosis");
    let export = v.dir.path().join("to-dr-smith.md");
    let out = v
        .cmd()
        .args([
            "disclose",
            "--client",
            &client,
            "--to",
            "Dr Smith",
            "--purpose",
            "treatment",
            "--categories",
            "progress,diagnosis",
            "--write-plaintext",
            "--out",
            export.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains(NO_NAME) && stdout.contains(NO_DATES),
        "{stdout}"
    );
    assert!(stdout.contains("disclosed:"), "{stdout}");
    // What the line says is so.
    let text = std::fs::read_to_string(&export).unwrap();
    assert!(text.contains("Slept better"), "{text}");
    assert!(
        !text.contains("Oyelaran") && !text.contains("2026-03-01"),
        "{text}"
    );
}
