//! Dates at every way in: outside 1900-01-01 to 2200-12-31 they are refused with a clear
//! error (a usage error on the command line, invalid input from the library), and the
//! vault is left as it was. Revocations: one before the consent began is refused; an
//! earlier one replaces a later one.

mod common;

use common::TestVault;

/// Years just outside the range, at its ends, and far outside.
const OUTSIDE: [&str; 6] = [
    "0000-01-01",
    "0001-06-15",
    "1899-12-31",
    "2201-01-01",
    "5000-03-01",
    "9999-12-31",
];

/// `consent add` for Ada to Dr Smith, for treatment, allowing progress, from `from`
/// until `expires`.
fn consent_add<'a>(ada: &'a str, from: &'a str, expires: &'a str) -> Vec<&'a str> {
    vec![
        "consent",
        "add",
        "--client",
        ada,
        "--recipient",
        "Dr Smith",
        "--purpose",
        "treatment",
        "--allow",
        "progress",
        "--from",
        from,
        "--expires",
        expires,
    ]
}

fn records(v: &TestVault) -> i64 {
    v.sqlite()
        .query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn dates_outside_the_range_are_refused_at_every_way_in() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let consent = v.ok(&consent_add(&ada, "2020-01-01", "2099-12-31"));
    let note = v.dir.path().join("note.md");
    std::fs::write(&note, "Progress.\n").unwrap();
    let note = note.to_str().unwrap().to_owned();
    let before = records(&v);
    for date in OUTSIDE {
        let commands: Vec<Vec<&str>> = vec![
            vec![
                "note",
                "add",
                "--client",
                &ada,
                "--date",
                date,
                "--file",
                &note,
                "--allow-future",
            ],
            vec![
                "intake",
                "--client",
                &ada,
                "--acknowledged-on",
                date,
                "--allow-future",
            ],
            consent_add(&ada, date, "2099-12-31"),
            consent_add(&ada, "2020-01-01", date),
            vec!["consent", "revoke", &consent, "--on", date],
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
                "--from",
                date,
                "--dry-run",
            ],
            vec!["client", "add", "--name", "Bea Example", "--dob", date],
        ];
        for args in commands {
            let out = v.cmd().args(&args).assert().code(2);
            let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
            assert!(
                stderr.contains("outside the dates casevault keeps (1900-01-01 to 2200-12-31)"),
                "{args:?}: {stderr}"
            );
        }
        // The profile read from standard input is bounded the same way.
        let out = v
            .cmd()
            .args(["client", "add"])
            .write_stdin(format!("name: Bea Example\ndob: {date}\n"))
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.contains("line 2"), "{stderr}");
    }
    assert_eq!(records(&v), before, "nothing written");
}

#[test]
fn the_library_bounds_dates_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.casevault");
    let passphrase = secrecy::SecretString::from("correct horse battery staple".to_owned());
    let (mut s, _) = casevault::Vault::create(
        &path,
        &passphrase,
        casevault::KdfParams::default(),
        "dr-test",
    )
    .unwrap();
    let ada = s
        .add_client(casevault::NewClient {
            name: "Ada Example".into(),
            date_of_birth: None,
            contact: None,
            third_parties: Vec::new(),
            care: Default::default(),
        })
        .unwrap();
    for date in OUTSIDE {
        let date = casevault::Date(
            time::Date::parse(
                date,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .unwrap(),
        );
        let err = s
            .add_note(casevault::NewNote::individual(&ada, date, "Progress."))
            .unwrap_err();
        assert!(err.to_string().contains("the session date"), "{err}");
        let err = s.record_intake(&ada, date).unwrap_err();
        assert!(err.to_string().contains("outside the dates"), "{err}");
    }
}

#[test]
fn a_revocation_before_the_consent_began_is_refused() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let consent = v.ok(&consent_add(&ada, "2024-03-10", "2099-12-31"));
    for before in ["2024-03-09", "2024-01-01", "1990-05-05"] {
        let out = v
            .cmd()
            .args(["consent", "revoke", &consent, "--on", before])
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(
            stderr.contains(&format!(
                "consent {consent} begins on 2024-03-10, after {before}; revoke it from 2024-03-10 or later"
            )),
            "{stderr}"
        );
    }
    assert_eq!(v.json(&["consent", "show", &consent])["version"], 1);
    // From its first day, and then earlier still than a far-off mistake: accepted.
    v.ok(&["consent", "revoke", &consent, "--on", "2150-01-01"]);
    let c = v.json(&["consent", "revoke", &consent, "--on", "2024-03-10"]);
    assert_eq!(c["revoked"]["effective"], "2024-03-10");
}
