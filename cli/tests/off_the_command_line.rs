//! Client details kept off the command line (where every local user reads them in
//! /proc/PID/cmdline and the shell keeps them in its history): `client add` reads the
//! profile from the terminal or standard input, `search` its query, `disclose` the
//! exception's justification and reference from files. Each way in is tested end to
//! end, with the command line checked to hold none of the values; bad forms are usage
//! errors (exit 2) naming the line, and write nothing.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use common::{PASSPHRASE, TestVault, random_token};

/// Checks that no value is in the arguments the test is about to pass.
fn assert_off_argv(args: &[&str], values: &[&str]) {
    for value in values {
        assert!(
            !args.iter().any(|a| a.contains(value)),
            "{value:?} would be on the command line: {args:?}"
        );
    }
}

/// Runs `casevault ARGS` with `stdin`; returns the exit code, stdout and stderr.
fn run(v: &TestVault, args: &[&str], stdin: impl Into<Vec<u8>>) -> (i32, String, String) {
    let out = v.cmd().args(args).write_stdin(stdin).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `casevault ARGS` on a terminal (a pseudo-terminal made by util-linux `script`)
/// typing `typed`; returns what the terminal showed, or `None` where `script` is
/// missing.
fn on_terminal(v: &TestVault, args: &[&str], typed: &str) -> Option<String> {
    let script = Path::new("/usr/bin/script");
    if !script.exists() {
        eprintln!("skipped: no /usr/bin/script to make a terminal with");
        return None;
    }
    // The ids and options passed are plain words: no quoting needed.
    let line = format!("{} {}", env!("CARGO_BIN_EXE_casevault"), args.join(" "));
    let mut child = std::process::Command::new(script)
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", v.dir.path())
        .env("TMPDIR", v.dir.path())
        .env("USER", "dr-test")
        .env("CASEVAULT_VAULT", &v.path)
        .env("CASEVAULT_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    Some(String::from_utf8_lossy(&out.stdout).replace('\r', ""))
}

fn client_count(v: &TestVault) -> usize {
    v.json(&["client", "list"]).as_array().unwrap().len()
}

#[test]
fn a_profile_on_standard_input_is_stored_whole() {
    let (v, _) = TestVault::init();
    let name = format!("Ada Example-{}", random_token());
    let contact = format!("ada-{}@example.org", random_token());
    let third = [
        format!("Ben Example-{}", random_token()),
        format!("Acme: Ltd-{}", random_token()),
    ];
    let profile = format!(
        "# intake form\nname: {name}\r\ndob: 1984-05-17\n\ncontact: {contact}\nthird-party: {}\nthird-party: {}\n",
        third[0], third[1]
    );
    let args = ["client", "add"];
    assert_off_argv(&args, &[&name, &contact, &third[0], &third[1]]);
    let (code, id, err) = run(&v, &args, profile);
    assert_eq!(code, 0, "{err}");
    let shown = v.json(&["client", "show", &id]);
    let client = &shown;
    assert_eq!(client["name"], name.as_str(), "{shown:#}");
    assert_eq!(client["date_of_birth"], "1984-05-17");
    assert_eq!(client["contact"], contact.as_str());
    assert_eq!(client["third_parties"], serde_json::json!(third));
}

#[test]
fn bad_profiles_are_refused_naming_the_line_and_write_nothing() {
    let (v, _) = TestVault::init();
    let secret = format!("Zebulon Private-{}", random_token());
    let cases: Vec<(String, &[&str])> = vec![
        (
            format!("name: {secret}\nphone: 555-0100\n"),
            &["profile line 2", "unknown field \"phone\"", "third-party"],
        ),
        (
            format!("name: {secret}\nname: {secret}\n"),
            &["profile line 2", "given again (first on line 1)"],
        ),
        (
            format!("dob: 1984-05-17\ncontact: {secret}\n"),
            &["no `name:` line", "only the name is required"],
        ),
        (
            format!("name: Ada\n{secret}\n"),
            &["profile line 2", "not a `field: value` line"],
        ),
        (
            "name: Ada\n\ndob: 17/05/1984\n".into(),
            &["profile line 3", "YYYY-MM-DD"],
        ),
        (
            format!("name: {secret}\nthird-party:   \n"),
            &["profile line 2", "`third-party:` has no value"],
        ),
        (
            format!("name: {secret}\ndob: 1984-05-17\ndob: 1984-05-18\n"),
            &["profile line 3", "`dob:` given again"],
        ),
        (
            format!("name: {secret}\ncontact: a\ncontact: b\n"),
            &["profile line 3", "`contact:` given again"],
        ),
        (String::new(), &["no `name:` line"]),
    ];
    for (profile, expected) in &cases {
        let (code, out, err) = run(&v, &["client", "add"], profile.as_str());
        assert_eq!(code, 2, "{profile:?}: {err}");
        assert!(out.is_empty(), "{out}");
        for part in *expected {
            assert!(err.contains(part), "{profile:?}: {err}");
        }
        assert!(err.contains("nothing was written"), "{err}");
        // The error names the line and the field, never the value typed.
        assert!(!err.contains(&secret), "{err}");
    }
    let (code, _, err) = run(&v, &["client", "add"], b"name: Ada \xff\n".to_vec());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not UTF-8"), "{err}");
    // Options that go with --name, without it.
    for args in [
        &["client", "add", "--dob", "1984-05-17"][..],
        &["client", "add", "--contact", "555"],
        &["client", "add", "--third-party", "Ben"],
    ] {
        let (code, _, err) = run(&v, args, "name: Ada\n");
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("go with --name"), "{err}");
    }
    assert_eq!(client_count(&v), 0);

    // The old options still work.
    let id = v.ok(&["client", "add", "--name", "Old Way", "--dob", "1984-05-17"]);
    assert_eq!(v.json(&["client", "show", &id])["name"], "Old Way");
}

#[test]
fn a_profile_is_asked_for_field_by_field_on_a_terminal() {
    let (v, _) = TestVault::init();
    let name = format!("Terminal Person-{}", random_token());
    let third = format!("Ben Example-{}", random_token());
    let args = ["client", "add"];
    assert_off_argv(&args, &[&name, &third]);
    // A date that is not one is asked again; an empty line ends the third parties.
    let typed = format!("\n{name}\n17/05/1984\n1984-05-17\n555-0100\n{third}\nCleo\n\n");
    let Some(screen) = on_terminal(&v, &args, &typed) else {
        return;
    };
    assert!(screen.contains("Name: "), "{screen}");
    assert!(screen.contains("A name is required."), "{screen}");
    assert!(screen.contains("That is not a date"), "{screen}");
    let id = screen
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_owned();
    let client = v.json(&["client", "show", &id]);
    assert_eq!(client["name"], name.as_str(), "{screen}");
    assert_eq!(client["date_of_birth"], "1984-05-17");
    assert_eq!(client["contact"], "555-0100");
    assert_eq!(client["third_parties"], serde_json::json!([third, "Cleo"]));
}

#[test]
fn the_search_query_comes_from_standard_input_or_the_terminal() {
    let (v, _) = TestVault::init();
    let client = v.ok_stdin(&["client", "add"], "name: Ada Example\n");
    let word = format!("sertralinox-{}", random_token());
    let note = v.add_note(&client, "2026-03-01", &format!("Started {word}.\n"));
    v.add_note(&client, "2026-03-02", "Nothing of note.\n");

    let args = ["search", "--client", &client];
    assert_off_argv(&args, &[&word]);
    for stdin in [format!("{word}\n"), word.clone(), format!("{word}\r\n")] {
        let (code, out, err) = run(&v, &args, stdin);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(&note) && out.lines().count() == 1, "{out}");
    }
    for (stdin, expected) in [
        (format!("{word}\nmore\n"), "more than one line"),
        (String::new(), "the search query is empty"),
        ("  \n".into(), "the search query is empty"),
    ] {
        let (code, _, err) = run(&v, &["search"], stdin);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(expected), "{err}");
    }
    // The argument still works.
    assert!(v.ok(&["search", &word]).contains(&note));

    let Some(screen) = on_terminal(&v, &["search"], &format!("{word}\n")) else {
        return;
    };
    assert!(screen.contains("Search for: "), "{screen}");
    assert!(screen.contains(&note), "{screen}");
}

#[test]
fn a_justification_and_a_reference_come_from_files_or_standard_input() {
    let (v, _) = TestVault::init();
    let client = v.ok_stdin(&["client", "add"], "name: Ada Example\n");
    v.add_note(&client, "2026-03-01", "Text.\n## risk\nNamed a plan.\n");
    let justification = format!("  Order to produce records {}  ", random_token());
    let reference = format!("CV-{}", random_token());
    let why = v.dir.path().join("why.txt");
    let order = v.dir.path().join("order.txt");
    // Only the trailing line ending is dropped.
    std::fs::write(&why, format!("{justification}\r\n")).unwrap();
    std::fs::write(&order, format!("{reference}\n")).unwrap();
    let request = |extra: &[&str]| {
        let mut args = vec![
            "disclose",
            "--client",
            &client,
            "--to",
            "Superior Court",
            "--purpose",
            "legal",
            "--categories",
            "risk",
            "--exception",
            "court-order",
            "--dry-run",
            "--json",
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let (why, order) = (why.to_str().unwrap(), order.to_str().unwrap());
    for (extra, stdin) in [
        (
            vec!["--justification-file", why, "--reference-file", order],
            String::new(),
        ),
        (
            vec!["--justification-file", "-", "--reference-file", order],
            format!("{justification}\n"),
        ),
        (
            vec!["--justification-file", why, "--reference-file", "-"],
            format!("{reference}\r\n"),
        ),
    ] {
        let args = request(&extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_off_argv(&args, &[justification.trim(), &reference]);
        let (code, out, err) = run(&v, &args, stdin);
        assert_eq!(code, 0, "{extra:?}: {err}");
        let decision: serde_json::Value = serde_json::from_str(&out).unwrap();
        let exception = &decision["decision"]["request"]["exception"];
        assert_eq!(exception["justification"], justification.as_str(), "{out}");
        assert_eq!(exception["reference"], reference.as_str(), "{out}");
    }

    let empty = v.dir.path().join("empty.txt");
    std::fs::write(&empty, "\n").unwrap();
    let latin1 = v.dir.path().join("latin1.txt");
    std::fs::write(&latin1, b"caf\xe9\n").unwrap();
    let (empty, latin1) = (empty.to_str().unwrap(), latin1.to_str().unwrap());
    for (extra, expected) in [
        (
            vec!["--justification-file", "-", "--reference-file", "-"],
            "read standard input",
        ),
        (
            vec![
                "--justification-file",
                why,
                "--justification",
                "x",
                "--reference-file",
                order,
            ],
            "cannot be used with",
        ),
        (
            vec![
                "--justification-file",
                why,
                "--reference-file",
                order,
                "--reference",
                "CV-1",
            ],
            "cannot be used with",
        ),
        (
            vec!["--justification-file", empty, "--reference-file", order],
            "the justification is empty",
        ),
        (
            vec!["--justification-file", why, "--reference-file", empty],
            "needs the order's reference",
        ),
        (
            vec!["--justification-file", latin1, "--reference-file", order],
            "not UTF-8",
        ),
        (vec!["--reference-file", order], "--justification"),
    ] {
        let args = request(&extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = run(&v, &args, "");
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains(expected), "{extra:?}: {err}");
    }
    // A file that cannot be read is an error naming it (exit 1), decided nothing.
    let args = request(&[
        "--justification-file",
        "/nonexistent/why.txt",
        "--reference-file",
        order,
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = run(&v, &args, "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("/nonexistent/why.txt"), "{err}");
}
