//! Dates after today are refused where they are most likely typos (a session on
//! 2062-03-01 for 2026-03-01, an intake acknowledged next year) unless the user passes
//! `--allow-future`: exit 2, before the passphrase is asked for, nothing written.

mod common;

use casevault::Date;
use common::TestVault;

fn tomorrow() -> String {
    Date(Date::today().0.next_day().expect("a day after today")).to_string()
}

fn refused_as_future(v: &TestVault, args: &[&str], what: &str, date: &str) {
    // A wrong passphrase: the date is refused before any unlocking.
    let out = v
        .cmd_with_passphrase("not the passphrase at all")
        .args(args)
        .write_stdin("A session.\n")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.contains(&format!("the {what} {date} is in the future"))
            && stderr.contains("nothing was written")
            && stderr.contains("pass --allow-future"),
        "{args:?}: {stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_session_date_after_today_needs_allow_future() {
    let (v, _) = TestVault::init();
    let client = v.ok_stdin(&["client", "add"], "name: Ada Example\n");
    let tomorrow = tomorrow();
    for date in [tomorrow.as_str(), "2062-03-01", "2200-12-31"] {
        for extra in [&[][..], &["--file", "/nonexistent/session.md"], &["--edit"]] {
            let mut args = vec!["note", "add", "--client", &client, "--date", date];
            args.extend_from_slice(extra);
            refused_as_future(&v, &args, "session date", date);
        }
    }
    assert_eq!(
        v.json(&["note", "list", "--client", &client]),
        serde_json::json!([])
    );

    // Today is not the future; a future date is accepted when meant.
    let today = Date::today().to_string();
    v.add_note(&client, &today, "Today's session.\n");
    let id = v.ok_stdin(
        &[
            "note",
            "add",
            "--client",
            &client,
            "--date",
            &tomorrow,
            "--allow-future",
        ],
        "Planned session.\n",
    );
    assert_eq!(v.json(&["note", "show", &id])["date"], tomorrow.as_str());
}

#[test]
fn an_intake_acknowledged_after_today_needs_allow_future() {
    let (v, _) = TestVault::init();
    let client = v.ok_stdin(&["client", "add"], "name: Ada Example\n");
    let tomorrow = tomorrow();
    for date in [tomorrow.as_str(), "2062-03-01"] {
        refused_as_future(
            &v,
            &["intake", "--client", &client, "--acknowledged-on", date],
            "acknowledgement date",
            date,
        );
    }
    assert_eq!(
        v.json(&["client", "show", &client])["intake"],
        serde_json::json!([])
    );

    let today = Date::today().to_string();
    v.ok(&["intake", "--client", &client, "--acknowledged-on", &today]);
    v.ok(&[
        "intake",
        "--client",
        &client,
        "--acknowledged-on",
        &tomorrow,
        "--allow-future",
    ]);
    let intake = v.json(&["client", "show", &client])["intake"].clone();
    assert_eq!(intake.as_array().unwrap().len(), 2, "{intake:#}");
}
