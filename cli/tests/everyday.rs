//! Everyday things: editing a client's profile, naming a client by name wherever an id
//! is asked, the acting member named in the audit trail when no user is, and times
//! shown in the local offset.

mod common;

use common::TestVault;
use serde_json::Value;

/// Runs `cmd`, returning (exit code, stdout, stderr).
fn run(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let out = cmd.output().expect("run casevault");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Expects `args` to fail with `code` and a message holding `needle`; returns stderr.
fn fails(v: &TestVault, args: &[&str], code: i32, needle: &str) -> String {
    let (got, out, err) = run(v.cmd().args(args));
    assert_eq!(got, code, "{args:?}: {out}{err}");
    assert!(err.contains(needle), "{args:?}: {err}");
    err
}

/// The audit trail's events of `action`.
fn events(v: &TestVault, action: &str) -> Vec<Value> {
    v.json(&["audit", "log"])
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

fn a_profile_is_edited_from_options_or_standard_input_in_one_version_each_time() {
    let (v, _) = TestVault::init();
    let ada = v.ok(&[
        "client",
        "add",
        "--name",
        "Ada Example",
        "--contact",
        "555-0100",
        "--third-party",
        "Ben Example",
    ]);

    let shown = v.json(&[
        "client",
        "edit",
        &ada,
        "--name",
        "Ada Exemplar",
        "--dob",
        "1984-05-17",
    ]);
    assert_eq!(shown["name"], "Ada Exemplar", "{shown:#}");
    assert_eq!(shown["date_of_birth"], "1984-05-17");
    assert_eq!(shown["contact"], "555-0100", "kept");
    assert_eq!(shown["third_parties"][0], "Ben Example", "kept");

    let shown = v.json(&["client", "edit", &ada, "--no-contact", "--no-third-parties"]);
    assert_eq!(shown["contact"], Value::Null, "{shown:#}");
    assert_eq!(shown["third_parties"], serde_json::json!([]));

    // The changes on standard input: only the fields given; the --no-… options add to
    // them.
    let out = v
        .cmd()
        .args([
            "client",
            "edit",
            &ada,
            "--profile-stdin",
            "--no-dob",
            "--json",
        ])
        .write_stdin("# new details\ncontact: 555-0199\nthird-party: Cleo\nthird-party: Dan\n")
        .assert()
        .success();
    let shown: Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    assert_eq!(shown["name"], "Ada Exemplar", "{shown:#}");
    assert_eq!(shown["contact"], "555-0199");
    assert_eq!(shown["date_of_birth"], Value::Null);
    assert_eq!(shown["third_parties"], serde_json::json!(["Cleo", "Dan"]));

    // A profile change and a mark on the client's care, at once: one event, one version.
    let before = events(&v, "client.edit").len();
    let shown = v.ok(&[
        "client",
        "edit",
        &ada,
        "--contact",
        "ada@example.org",
        "--treatment-ended",
        "2026-01-30",
    ]);
    assert!(shown.contains("contact:       ada@example.org"), "{shown}");
    assert!(shown.contains("treatment:     ended 2026-01-30"), "{shown}");
    let edits = events(&v, "client.edit");
    assert_eq!(edits.len(), before + 1, "{edits:#?}");
    let written: Vec<u64> = edits.last().unwrap()["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "client" && t["access"] == "write")
        .map(|t| t["version"].as_u64().unwrap())
        .collect();
    assert_eq!(written, [5], "the fifth version of the profile");
    // The earlier care flags still work alone.
    let shown = v.ok(&["client", "edit", &ada, "--legal-hold", "Case 12-345"]);
    assert!(shown.contains("id:            "), "{shown}");

    // Refused, each naming why; nothing written.
    let digest = v.digest();
    fails(&v, &["client", "edit", &ada], 2, "nothing to change");
    fails(
        &v,
        &["client", "edit", &ada, "--profile-stdin", "--name", "X"],
        2,
        "cannot be used with",
    );
    fails(
        &v,
        &["client", "edit", &ada, "--contact", "x", "--no-contact"],
        2,
        "cannot be used with",
    );
    assert_eq!(v.digest(), digest, "refused before unlocking");
    let (code, _, err) = run(v
        .cmd()
        .args(["client", "edit", &ada, "--profile-stdin", "--no-dob"])
        .write_stdin("dob: 1984-05-17\n"));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("standard input sets `dob:` and --no-dob removes it"),
        "{err}"
    );
    let (code, _, err) = run(v
        .cmd()
        .args(["client", "edit", &ada, "--profile-stdin"])
        .write_stdin("# nothing\n"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("names no field to change"), "{err}");
    fails(
        &v,
        &["client", "edit", &ada, "--name", "Ada Exemplar"],
        1,
        "nothing to change: the client's profile already says so",
    );
    fails(
        &v,
        &["client", "edit", &ada, "--name", " "],
        1,
        "the client's name is empty",
    );
    fails(
        &v,
        &[
            "client",
            "edit",
            &ada,
            "--third-party",
            "Cleo",
            "--third-party",
            "",
        ],
        1,
        "a third-party name is empty",
    );
    let shown = v.json(&["client", "show", &ada]);
    assert_eq!(shown["name"], "Ada Exemplar");
    assert!(v.ok(&["audit", "verify"]).contains("audit trail intact"));
}

fn a_client_is_named_by_words_of_their_name_wherever_an_id_is_asked() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let adam = v.add_client("Adam Sample", &[]);
    let zoe = v.add_client("Zoë Łukasz-O’Brien", &[]);

    let shown = v.json(&["client", "show", "zoe LUKASZ"]);
    assert_eq!(shown["id"], zoe.as_str(), "{shown:#}");
    let note = v.ok_stdin(
        &[
            "note",
            "add",
            "--client",
            "example ada",
            "--date",
            "2026-03-01",
        ],
        "Slept better.\n",
    );
    let listed = v.json(&["note", "list", "--client", "Ada Example"]);
    assert_eq!(listed[0]["id"], note.as_str(), "{listed:#}");
    assert_eq!(listed[0]["clients"][0], ada.as_str());
    let joint = v.ok_stdin(
        &[
            "note",
            "add",
            "--client",
            "ada example",
            "--client",
            "sample",
            "--type",
            "couples",
            "--date",
            "2026-03-02",
        ],
        "Together.\n",
    );
    let shown = v.json(&["note", "show", &joint]);
    assert_eq!(
        shown["clients"],
        serde_json::json!([ada.as_str(), adam.as_str()])
    );
    v.ok(&[
        "intake",
        "--client",
        "zoe",
        "--acknowledged-on",
        "2026-01-05",
    ]);
    let consent = v.ok(&[
        "consent",
        "add",
        "--client",
        "o'brien",
        "--recipient",
        "Dr Smith",
        "--purpose",
        "treatment",
        "--allow",
        "progress",
        "--expires",
        "2099-12-31",
    ]);
    assert_eq!(
        v.json(&["consent", "show", &consent])["client"],
        zoe.as_str()
    );
    assert_eq!(
        v.json(&["consent", "list", "--client", "zoe"])[0]["id"],
        consent.as_str()
    );
    assert_eq!(
        v.json(&["accounting", "--client", "zoe"]),
        serde_json::json!([])
    );
    assert_eq!(
        v.json(&["request", "list", "--client", "zoe"]),
        serde_json::json!([])
    );
    assert_eq!(
        v.json(&["restriction", "list", "--client", "zoe"]),
        serde_json::json!([])
    );
    let hits = v
        .cmd()
        .args(["search", "--client", "ada example", "--json"])
        .write_stdin("slept\n")
        .assert()
        .success();
    let hits: Value = serde_json::from_slice(&hits.get_output().stdout).expect("JSON");
    assert_eq!(hits[0]["note"], note.as_str(), "{hits:#}");
    let dry = v.json(&[
        "disclose",
        "--client",
        "zoe",
        "--to",
        "Dr Smith",
        "--purpose",
        "treatment",
        "--categories",
        "progress",
        "--dry-run",
    ]);
    assert_eq!(
        dry["decision"]["request"]["client"],
        zoe.as_str(),
        "{dry:#}"
    );

    // Several match: exit 2, naming each with their id, for the user to pick one.
    let err = fails(&v, &["client", "show", "ada"], 2, "matches 2 clients");
    assert!(err.contains(&format!("Ada Example ({ada})")), "{err}");
    assert!(err.contains(&format!("Adam Sample ({adam})")), "{err}");
    assert!(err.contains("the id of the one you mean"), "{err}");
    // None: exit 1, saying what was looked for.
    let err = fails(
        &v,
        &["note", "list", "--client", "cleo"],
        1,
        "no client with the id or name \"cleo\"",
    );
    assert!(err.contains("client list"), "{err}");

    // A lookup by name is audited as a listing; an id is taken as it is, unlisted.
    let lookups = events(&v, "client.list").len();
    v.ok(&["client", "show", &ada]);
    fails(&v, &["client", "show", "00000000"], 1, "no client 00000000");
    assert_eq!(events(&v, "client.list").len(), lookups);
    v.ok(&["client", "show", "zoe"]);
    assert_eq!(events(&v, "client.list").len(), lookups + 1);
    assert!(v.ok(&["audit", "verify"]).contains("audit trail intact"));
}

#[test]
fn the_help_of_every_client_option_says_a_name_is_seen_and_an_id_is_not() {
    let v = TestVault::empty();
    for args in [
        &["client", "show", "--help"][..],
        &["note", "add", "--help"],
        &["consent", "add", "--help"],
        &["disclose", "--help"],
        &["caseload", "assign", "--help"],
    ] {
        let help = v.ok(args);
        assert!(
            help.contains("or words of their name (an id keeps the name off the command line"),
            "{args:?}: {help}"
        );
    }
}

fn the_acting_member_is_named_when_the_environment_names_no_user() {
    let (v, _) = TestVault::init();
    let actors = |v: &TestVault| -> Vec<String> {
        v.json(&["audit", "log"])
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["actor"].as_str().unwrap().to_owned())
            .collect()
    };
    // As `env -i` leaves it: no USER, no LOGNAME.
    v.cmd()
        .env_remove("USER")
        .args(["client", "add", "--name", "Ada Example"])
        .assert()
        .success();
    v.cmd()
        .env_remove("USER")
        .env("LOGNAME", "dr-logname")
        .args(["client", "list"])
        .assert()
        .success();
    v.cmd()
        .env("USER", "")
        .args(["client", "list"])
        .assert()
        .success();
    let seen = actors(&v);
    // (The listing's own event is appended after it is read.)
    assert_eq!(
        seen,
        ["dr-test", "owner", "dr-logname", "owner"],
        "{seen:?}"
    );

    // A practice whose first member has another name: that name, however it is found.
    let named = TestVault::empty();
    named
        .cmd()
        .env_remove("USER")
        .args(["init", "--member", "dr-osei"])
        .assert()
        .success();
    named
        .cmd()
        .env_remove("USER")
        .args(["client", "list"])
        .assert()
        .success();
    named
        .cmd()
        .env_remove("USER")
        .env("CASEVAULT_MEMBER", "dr-osei")
        .args(["client", "list"])
        .assert()
        .success();
    let seen = actors(&named);
    assert_eq!(seen, ["dr-osei", "dr-osei", "dr-osei"], "{seen:?}");
    assert!(!seen.iter().any(|a| a == "unknown"), "{seen:?}");
    // A member who is not one is refused as before, whoever acts.
    let (code, _, err) = run(named
        .cmd()
        .env_remove("USER")
        .args(["--member", "nobody", "client", "list"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no member named \"nobody\""), "{err}");
}

/// The TZ value for New York: its zone file when the system has one, else the same
/// rules written out (which need none).
fn new_york() -> &'static str {
    if std::path::Path::new("/usr/share/zoneinfo/America/New_York").exists() {
        "America/New_York"
    } else {
        "EST5EDT,M3.2.0,M11.1.0"
    }
}

fn times_are_shown_in_the_local_offset_and_json_keeps_utc() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let utc = v.json(&["client", "show", &ada])["created_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let at: casevault::Timestamp = utc.parse().expect("a casevault time");
    // New York is five hours behind UTC in winter, four in summer.
    let shifted: Vec<String> = [-5, -4]
        .into_iter()
        .map(|hours| {
            let offset = time::UtcOffset::from_hms(hours, 0, 0).unwrap();
            let t = at.to_offset_date_time().to_offset(offset);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02} -0{}:00",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                -hours
            )
        })
        .collect();

    let shown = v
        .cmd()
        .env("TZ", new_york())
        .args(["client", "show", &ada])
        .assert()
        .success();
    let shown = String::from_utf8_lossy(&shown.get_output().stdout).into_owned();
    let created = shown
        .lines()
        .find(|l| l.starts_with("created:"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(
        shifted
            .iter()
            .any(|s| created == format!("created:       {s}")),
        "{created} is none of {shifted:?}"
    );

    // The audit log, likewise; its JSON is UTC whatever the zone.
    let log = v
        .cmd()
        .env("TZ", new_york())
        .args(["audit", "log"])
        .assert()
        .success();
    let log = String::from_utf8_lossy(&log.get_output().stdout).into_owned();
    let added = log
        .lines()
        .find(|l| l.contains("client.add"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        shifted.iter().any(|s| added.contains(s.as_str())),
        "{added}"
    );
    let json = v
        .cmd()
        .env("TZ", new_york())
        .args(["audit", "log", "--json"])
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&json.get_output().stdout).expect("JSON");
    let event = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "client.add")
        .unwrap();
    assert!(event["at"].as_str().unwrap().ends_with('Z'), "{event}");
    let json = v
        .cmd()
        .env("TZ", new_york())
        .args(["client", "show", &ada, "--json"])
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&json.get_output().stdout).expect("JSON");
    assert_eq!(json["created_at"], utc.as_str());

    // In UTC, the offset is written all the same.
    let shown = v.ok(&["client", "show", &ada]);
    let plain = utc.replace('T', " ").replace('Z', " +00:00");
    assert!(
        shown.contains(&format!("created:       {plain}")),
        "{shown}"
    );
}

common::on_both_backends!(
    a_profile_is_edited_from_options_or_standard_input_in_one_version_each_time,
    a_client_is_named_by_words_of_their_name_wherever_an_id_is_asked,
    the_acting_member_is_named_when_the_environment_names_no_user,
    times_are_shown_in_the_local_offset_and_json_keeps_utc,
);
