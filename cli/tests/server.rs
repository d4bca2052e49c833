//! What a practice's PostgreSQL server must do, through the real `casevault` binary and
//! a real private server (casevault-pgtest):
//!
//! - four members on four machines (four homes) importing 500 notes each at once: every
//!   note stored, one audit event per note, the trail intact, no command failed;
//! - the server killed while members write: each command succeeds or fails with exit 1
//!   and a clear message; after the restart nothing reported written is lost or
//!   doubled, and the trail verifies;
//! - a thief of the server (a plain dump) finds no client name, note text or consent;
//! - clear failures: unreachable server, missing database, refused password, a database
//!   of something else, init on a vault, a password in the address, a newer schema;
//! - `migrate` from a file to a server and back, and a server vault's backup is a file.
//!
//! Tests that kill or restart a server start their own; the others share one per test
//! process. Without PostgreSQL's programs they skip (CASEVAULT_REQUIRE_POSTGRES=1 makes
//! that a failure).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use casevault_pgtest::{PASSWORD, PASSWORD_ROLE, PgServer};
use common::{PASSPHRASE, TestVault, random_token};
use serde_json::Value;

/// Raw text of the PostgreSQL driver that must never reach the user.
const DRIVER_TEXT: [&str; 4] = [
    "db error",
    "error connecting to server",
    "error communicating with the server",
    "panicked",
];

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Asserts that stderr holds none of the driver's own words.
fn no_driver_text(out: &Output) {
    let err = stderr(out).to_lowercase();
    for raw in DRIVER_TEXT {
        assert!(
            !err.contains(raw),
            "{raw:?} shown to the user:\n{}",
            text(out)
        );
    }
}

/// A server of this test's own, running until the test process ends (its watchdog
/// stops it then); `None` when there is no PostgreSQL here.
fn own_server() -> Option<&'static PgServer> {
    PgServer::start().map(|server| &*Box::leak(Box::new(server)))
}

/// `casevault` as `member` (passphrase `pass`) on `v`, on a machine whose home is `home`.
fn as_member(v: &TestVault, home: &Path, member: &str, pass: &str) -> Command {
    let mut cmd = v.process();
    cmd.env("HOME", home)
        .env("TMPDIR", home)
        .env("CASEVAULT_MEMBER", member)
        .env("CASEVAULT_PASSPHRASE", pass)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn run_ok(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().expect("run casevault");
    assert!(out.status.success(), "{what}: {}", text(&out));
    stdout(&out)
}

/// A vault on `server` made by `casevault init` as member `dr-a`.
fn practice_on(server: &'static PgServer) -> TestVault {
    let v = TestVault::on_server(tempfile::tempdir().expect("a home"), server);
    run_ok(
        as_member(&v, v.dir.path(), "dr-a", PASSPHRASE).args(["init", "--member", "dr-a"]),
        "init",
    );
    v
}

/// The members of the four-machine practice: name, role, passphrase.
const MEMBERS: [(&str, &str, &str); 4] = [
    ("dr-a", "owner", PASSPHRASE),
    ("dr-b", "clinician", "dr-b's own passphrase 2026"),
    ("dr-c", "clinician", "dr-c's own passphrase 2026"),
    ("dr-d", "clinician", "dr-d's own passphrase 2026"),
];

/// Adds the other members and a client for each member (assigned to them); returns
/// each member's home directory and client.
fn four_members(v: &TestVault) -> Vec<(tempfile::TempDir, String)> {
    let owner = |args: &[&str]| {
        let mut cmd = as_member(v, v.dir.path(), "dr-a", PASSPHRASE);
        cmd.args(args);
        run_ok(&mut cmd, &args.join(" "))
    };
    let mut out = Vec::new();
    for (name, role, pass) in MEMBERS {
        if role != "owner" {
            let mut cmd = as_member(v, v.dir.path(), "dr-a", PASSPHRASE);
            cmd.env("CASEVAULT_NEW_PASSPHRASE", pass)
                .args(["member", "add", "--name", name, "--role", role]);
            run_ok(&mut cmd, "member add");
        }
        let client = owner(&["client", "add", "--name", &format!("Client of {name}")]);
        if role != "owner" {
            owner(&["caseload", "assign", name, "--client", &client]);
        }
        out.push((tempfile::tempdir().expect("a member's home"), client));
    }
    out
}

/// The owner's view of the audit log.
fn audit_log(v: &TestVault) -> Vec<Value> {
    let out = run_ok(
        &mut {
            let mut cmd = as_member(v, v.dir.path(), "dr-a", PASSPHRASE);
            cmd.args(["audit", "log", "--json"]);
            cmd
        },
        "audit log",
    );
    match serde_json::from_str(&out).expect("audit log --json") {
        Value::Array(events) => events,
        other => panic!("audit log --json: {other}"),
    }
}

fn audit_verify(v: &TestVault) {
    let out = run_ok(
        &mut {
            let mut cmd = as_member(v, v.dir.path(), "dr-a", PASSPHRASE);
            cmd.args(["audit", "verify"]);
            cmd
        },
        "audit verify",
    );
    assert!(out.contains("audit trail intact"), "{out}");
}

/// The notes of `client` as the owner lists them: id → body.
fn notes_of(v: &TestVault, client: &str) -> BTreeMap<String, String> {
    let out = run_ok(
        &mut {
            let mut cmd = as_member(v, v.dir.path(), "dr-a", PASSPHRASE);
            cmd.args(["note", "list", "--client", client, "--json"]);
            cmd
        },
        "note list",
    );
    let listed: Value = serde_json::from_str(&out).expect("note list --json");
    listed
        .as_array()
        .expect("an array")
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_owned(),
                n["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const PER_MEMBER: usize = 500;

#[test]
fn four_members_importing_500_notes_each_at_once_store_2000_notes_each_audited_once() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let v = practice_on(server);
    let members = four_members(&v);
    // Each member's notes, in a directory on their own machine.
    for ((name, _, _), (home, _)) in MEMBERS.iter().zip(&members) {
        let source = home.path().join("notes");
        std::fs::create_dir(&source).unwrap();
        for i in 0..PER_MEMBER {
            std::fs::write(
                source.join(format!("session-{i:03}.md")),
                format!("---\ndate: 2026-02-10\n---\nSession {i} written by {name}.\n"),
            )
            .unwrap();
        }
    }
    let started = Instant::now();
    let children: Vec<_> = MEMBERS
        .iter()
        .zip(&members)
        .map(|((name, _, pass), (home, client))| {
            let child = as_member(&v, home.path(), name, pass)
                .args(["note", "import", "--client", client])
                .arg(home.path().join("notes"))
                .spawn()
                .expect("start casevault");
            (*name, child)
        })
        .collect();
    for (name, child) in children {
        let out = child.wait_with_output().expect("casevault's output");
        assert!(out.status.success(), "{name}'s import: {}", text(&out));
        no_driver_text(&out);
    }
    let elapsed = started.elapsed();

    let events = audit_log(&v);
    for ((name, _, _), (_, client)) in MEMBERS.iter().zip(&members) {
        let notes = notes_of(&v, client);
        assert_eq!(notes.len(), PER_MEMBER, "{name}'s notes");
        let bodies: BTreeSet<&String> = notes.values().collect();
        assert_eq!(bodies.len(), PER_MEMBER, "{name}'s notes are all different");
        for body in bodies {
            assert!(body.contains(&format!("written by {name}.")), "{body}");
        }
        let imports: Vec<&Value> = events
            .iter()
            .filter(|e| e["action"] == "note.import" && e["member"] == *name)
            .collect();
        assert_eq!(imports.len(), PER_MEMBER, "{name}'s note.import events");
        let written: BTreeSet<&str> = imports
            .iter()
            .map(|e| e["targets"][0]["id"].as_str().expect("a note id"))
            .collect();
        assert_eq!(
            written,
            notes.keys().map(String::as_str).collect(),
            "{name}: one event per note, naming it"
        );
    }
    let all_imports = events
        .iter()
        .filter(|e| e["action"] == "note.import")
        .count();
    assert_eq!(all_imports, 4 * PER_MEMBER);
    audit_verify(&v);
    println!(
        "4 members x {PER_MEMBER} notes imported at once in {:.1} s",
        elapsed.as_secs_f64()
    );
}

/// What one `note add` of the kill test came to.
#[derive(Debug)]
enum Outcome {
    Added(String),
    Failed(i32, String),
}

#[test]
fn a_server_killed_while_members_write_loses_nothing_committed_and_doubles_nothing() {
    let Some(server) = own_server() else {
        return;
    };
    let v = practice_on(server);
    let members = four_members(&v);
    let stop = AtomicBool::new(false);
    let added = AtomicUsize::new(0);
    let started = Instant::now();
    let results: Vec<(String, String, Outcome)> = std::thread::scope(|scope| {
        let writers: Vec<_> = MEMBERS[..2]
            .iter()
            .zip(&members)
            .map(|((name, _, pass), (home, client))| {
                let (v, stop, added) = (&v, &stop, &added);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    let mut i = 0;
                    while !stop.load(Ordering::SeqCst) {
                        i += 1;
                        let body = format!("Kill test note {i} by {name}.\n");
                        let file = home.path().join(format!("note-{i}.md"));
                        std::fs::write(&file, &body).unwrap();
                        let out = as_member(v, home.path(), name, pass)
                            .args(["note", "add", "--client", client, "--date", "2026-03-01"])
                            .arg("--file")
                            .arg(&file)
                            .output()
                            .expect("run casevault");
                        let outcome = if out.status.success() {
                            added.fetch_add(1, Ordering::SeqCst);
                            Outcome::Added(stdout(&out))
                        } else {
                            Outcome::Failed(out.status.code().unwrap_or(-1), stderr(&out))
                        };
                        done.push((client.clone(), body, outcome));
                    }
                    done
                })
            })
            .collect();
        let wait_for = |n: usize| {
            let deadline = Instant::now() + Duration::from_secs(300);
            while added.load(Ordering::SeqCst) < n && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        };
        wait_for(3);
        // A crash while commands are connected, unlocking, or inside a transaction.
        std::thread::sleep(Duration::from_millis(150));
        server.kill();
        let before_restart = added.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(2));
        server.start_again();
        wait_for(before_restart + 3);
        stop.store(true, Ordering::SeqCst);
        writers
            .into_iter()
            .flat_map(|w| w.join().expect("a writer thread"))
            .collect()
    });
    let elapsed = started.elapsed();

    let mut messages = BTreeSet::new();
    let mut failed = 0;
    for (_, body, outcome) in &results {
        if let Outcome::Failed(code, err) = outcome {
            failed += 1;
            assert_eq!(*code, 1, "{body}: {err}");
            let lower = err.to_lowercase();
            for raw in DRIVER_TEXT {
                assert!(!lower.contains(raw), "{body}: {raw:?} in {err}");
            }
            assert!(
                err.contains("cannot reach the server")
                    || err.contains("was lost; nothing of this command was saved")
                    || err.contains("busy"),
                "{body}: not a clear message: {err}"
            );
            messages.insert(
                err.lines()
                    .next()
                    .unwrap_or_default()
                    .replace(&*v.location.to_string_lossy(), "URL"),
            );
        }
    }
    assert!(failed > 0, "the kill made some command fail: {results:?}");

    // Every note a command reported added is there, once; a command that said nothing
    // was saved saved nothing.
    for (_, client) in &members[..2] {
        let notes = notes_of(&v, client);
        let mut seen = BTreeMap::new();
        for body in notes.values() {
            *seen.entry(body.as_str()).or_insert(0) += 1;
        }
        assert!(
            seen.values().all(|&n| n == 1),
            "a note stored twice: {seen:?}"
        );
        for (c, body, outcome) in &results {
            if c != client {
                continue;
            }
            match outcome {
                Outcome::Added(id) => {
                    assert_eq!(notes.get(id), Some(body), "note {id} reported added")
                }
                Outcome::Failed(_, err) if err.contains("nothing of this command was saved") => {
                    assert!(
                        !seen.contains_key(body.as_str()),
                        "{body:?} is stored though its command said nothing was saved: {err}"
                    )
                }
                Outcome::Failed(..) => {}
            }
        }
    }
    let events = audit_log(&v);
    let adds = events.iter().filter(|e| e["action"] == "note.add").count();
    let stored: usize = members[..2]
        .iter()
        .map(|(_, client)| notes_of(&v, client).len())
        .sum();
    assert_eq!(adds, stored, "one note.add event per stored note");
    audit_verify(&v);
    println!(
        "{} commands in {:.1} s, {failed} failed across the kill, with: {messages:#?}",
        results.len(),
        elapsed.as_secs_f64()
    );
    server.stop();
}

/// `needle` and its base64 (at the three alignments) and hex are nowhere in `haystack`.
fn assert_absent(haystack: &[u8], needle: &str, what: &str) {
    use base64::Engine;
    assert!(!common::contains(haystack, needle), "{what} in the dump");
    let lower = needle.to_lowercase();
    assert!(
        !common::contains(&haystack.to_ascii_lowercase(), &lower),
        "{what} (any case) in the dump"
    );
    for pad in 0..3 {
        let mut bytes = vec![b'x'; pad];
        bytes.extend_from_slice(needle.as_bytes());
        let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
        // The characters that depend on the needle alone.
        let inner = &encoded[4..encoded.len() - 4];
        assert!(
            !common::contains(haystack, inner),
            "{what} in base64 in the dump"
        );
    }
    let hex: String = needle.bytes().map(|b| format!("{b:02x}")).collect();
    assert!(
        !common::contains(haystack, &hex),
        "{what} in hex in the dump"
    );
}

#[test]
fn a_thief_of_the_server_finds_no_client_name_note_text_or_consent() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let v = practice_on(server);
    let token = random_token();
    let name = format!("Quillon{token}");
    let body = format!("Dreamt of a lighthouse {token}x");
    let recipient = format!("Dr Marrowby{token}y");
    let owner = |args: &[&str], stdin: &str| {
        let out = v
            .cmd()
            .env("CASEVAULT_MEMBER", "dr-a")
            .args(args)
            .write_stdin(stdin.to_owned())
            .output()
            .expect("run casevault");
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        stdout(&out)
    };
    let client = owner(
        &[
            "client",
            "add",
            "--name",
            &name,
            "--contact",
            &format!("{token}@example.org"),
        ],
        "",
    );
    let note = owner(
        &["note", "add", "--client", &client, "--date", "2026-03-01"],
        &format!("{body}\n## risk\nNone {token}z.\n"),
    );
    owner(
        &[
            "consent",
            "add",
            "--client",
            &client,
            "--recipient",
            &recipient,
            "--purpose",
            "treatment",
            "--allow",
            "progress",
            "--expires",
            "2099-12-31",
            "--signed-by",
            &name,
        ],
        "",
    );
    owner(&["search", &token], "");
    assert!(owner(&["note", "show", &note], "").contains(&body));

    let (_, db) = v.server().unwrap();
    let dump = server.dump_text(db);
    assert!(dump.len() > 1000, "a real dump");
    for (needle, what) in [
        (name.as_str(), "the client's name"),
        (body.as_str(), "the note's text"),
        (recipient.as_str(), "the consent's recipient"),
        (token.as_str(), "the canary"),
        ("lighthouse", "a word of the note"),
        ("Marrowby", "a word of the recipient"),
        ("psychotherapy", "a category name"),
        ("treatment", "the consent's purpose"),
    ] {
        assert_absent(&dump, needle, what);
    }
}

/// A command on `location` with a clean environment and `home` as HOME.
fn cv(location: &str, home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_casevault"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("TMPDIR", home)
        .env("USER", "dr-test")
        .env("TZ", "UTC")
        .env("CASEVAULT_VAULT", location)
        .env("CASEVAULT_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::null());
    cmd
}

fn fails(mut cmd: Command, code: i32) -> String {
    let out = cmd.output().expect("run casevault");
    assert_eq!(out.status.code(), Some(code), "{}", text(&out));
    no_driver_text(&out);
    assert!(stdout(&out).is_empty(), "{}", text(&out));
    stderr(&out)
}

#[test]
fn an_unreachable_server_a_missing_database_and_a_refused_password_are_clear_errors() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    // A socket directory with no server in it.
    let nowhere = tempfile::tempdir().unwrap();
    let unreachable = format!(
        "postgresql://casevault@/casevault?host={}&port=5999",
        nowhere.path().display()
    );
    for args in [&["client", "list"][..], &["init"]] {
        let started = Instant::now();
        let mut cmd = cv(&unreachable, home.path());
        cmd.args(args);
        let err = fails(cmd, 1);
        assert!(
            err.contains(&format!("cannot reach the server for {unreachable}")),
            "{args:?}: {err}"
        );
        assert!(started.elapsed() < Duration::from_secs(30), "{args:?}");
    }

    // A database the server does not have.
    let missing = server.url("no_such_database");
    let mut cmd = cv(&missing, home.path());
    cmd.args(["client", "list"]);
    let err = fails(cmd, 1);
    assert!(err.contains("has no such database"), "{err}");

    // The password role, with a wrong password in ~/.pgpass, then the right one.
    let db = server.create_database();
    let url = server.url(&db).replacen(
        &format!("postgresql://{}@", casevault_pgtest::APP_ROLE),
        &format!("postgresql://{PASSWORD_ROLE}@"),
        1,
    );
    assert!(url.contains(PASSWORD_ROLE), "{url}");
    let pgpass = home.path().join(".pgpass");
    let write_pgpass = |password: &str| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&pgpass, format!("*:*:*:{PASSWORD_ROLE}:{password}\n")).unwrap();
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    };
    write_pgpass("not-the-password");
    let mut cmd = cv(&url, home.path());
    cmd.args(["client", "list"]);
    let err = fails(cmd, 1);
    assert!(
        err.contains("refused the database role's authentication"),
        "{err}"
    );
    assert!(!err.contains("not-the-password"), "{err}");
    write_pgpass(PASSWORD);
    let mut cmd = cv(&url, home.path());
    cmd.args(["client", "list"]);
    let err = fails(cmd, 1);
    assert!(err.contains(&format!("no vault at {url}")), "{err}");
    assert!(!err.contains(PASSWORD), "{err}");
}

#[test]
fn init_refuses_a_database_of_something_else_and_an_existing_vault() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let other = server.create_database();
    // Another application's table, made by the role casevault connects as.
    server.psql(
        &other,
        "SET ROLE casevault; CREATE TABLE appointments (id int); INSERT INTO appointments VALUES (1);",
    );
    let url = server.url(&other);
    let mut cmd = cv(&url, home.path());
    cmd.arg("init");
    let err = fails(cmd, 1);
    assert!(err.contains("is not a casevault vault"), "{err}");
    assert_eq!(
        server.psql(&other, "SELECT count(*) FROM appointments;"),
        "1\n"
    );
    let tables = server.psql(
        &other,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public';",
    );
    assert_eq!(tables.trim(), "1", "init added no table");
    // Reading it is refused the same way.
    let mut cmd = cv(&url, home.path());
    cmd.args(["client", "list"]);
    let err = fails(cmd, 1);
    assert!(err.contains("is not a casevault vault"), "{err}");

    let db = server.create_database();
    let url = server.url(&db);
    let out = cv(&url, home.path()).arg("init").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let before = server.dump_text(&db);
    let mut cmd = cv(&url, home.path());
    cmd.arg("init");
    let err = fails(cmd, 1);
    assert!(err.contains("already exists"), "{err}");
    let strip = |dump: &[u8]| -> String {
        String::from_utf8_lossy(dump)
            .lines()
            .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        strip(&server.dump_text(&db)),
        strip(&before),
        "the vault is unchanged"
    );
}

/// A table the role casevault connects as has no privilege on is still a table: the
/// database is not empty, and init must refuse it.
#[test]
fn init_refuses_a_database_holding_a_table_of_another_role() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let other = server.create_database();
    server.psql(&other, "CREATE TABLE appointments (id int);");
    let url = server.url(&other);
    let mut cmd = cv(&url, home.path());
    cmd.arg("init");
    let err = fails(cmd, 1);
    assert!(err.contains("is not a casevault vault"), "{err}");
}

#[test]
fn a_password_in_the_address_is_refused_before_connecting_and_never_echoed() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let secret = format!("pw{}", random_token());
    let db = server.create_database();
    for url in [
        format!(
            "postgresql://casevault:{secret}@/{db}?host={}&port={}",
            server.socket_dir().display(),
            server.port()
        ),
        format!(
            "postgres://casevault@/{db}?host={}&port={}&password={secret}",
            server.socket_dir().display(),
            server.port()
        ),
    ] {
        for args in [&["client", "list"][..], &["init"]] {
            let mut cmd = cv(&url, home.path());
            cmd.args(args);
            let out = cmd.output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
            let all = text(&out);
            assert!(all.contains("password"), "{all}");
            assert!(!all.contains(&secret), "the password is echoed: {all}");
        }
    }
    let tables = server.psql(
        &db,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public';",
    );
    assert_eq!(tables.trim(), "0", "nothing was made");
}

#[test]
fn a_schema_newer_than_the_program_is_refused_naming_both_versions() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let db = server.create_database();
    let url = server.url(&db);
    let out = cv(&url, home.path()).arg("init").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    server.psql(&db, "UPDATE casevault_schema SET version = 99;");
    let mut cmd = cv(&url, home.path());
    cmd.args(["client", "list"]);
    let err = fails(cmd, 1);
    assert!(err.contains("99"), "names the vault's version: {err}");
    assert!(
        err.contains("than the 2 "),
        "names the program's version: {err}"
    );
}

#[test]
fn migrate_copies_a_file_vault_to_a_server_and_back_and_backups_are_files() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let file = TestVault::file();
    file.ok(&["init"]);
    let ada = file.add_client("Ada Migrated", &["Ben Example"]);
    let mut notes = BTreeMap::new();
    for i in 0..5 {
        let body = format!("Migrated note {i}.\n## risk\nNone {i}.\n");
        notes.insert(file.add_note(&ada, &format!("2026-01-1{i}"), &body), body);
    }
    file.ok(&["note", "sign", notes.keys().next().unwrap()]);

    let db = server.create_database();
    let url = server.url(&db);
    let said = file.ok(&["migrate", "--to", &url]);
    assert!(!said.is_empty());
    let on = |location: &str, args: &[&str]| -> String {
        let out = file
            .cmd()
            .env("CASEVAULT_VAULT", location)
            .args(args)
            .output()
            .expect("run casevault");
        assert!(out.status.success(), "{location} {args:?}: {}", text(&out));
        stdout(&out)
    };
    for (id, body) in &notes {
        let shown: Value =
            serde_json::from_str(&on(&url, &["note", "show", id, "--json"])).unwrap();
        assert_eq!(shown["body"], body.as_str(), "note {id} on the server");
    }
    assert!(on(&url, &["client", "show", &ada]).contains("Ada Migrated"));
    assert!(on(&url, &["audit", "verify"]).contains("audit trail intact"));
    // The server vault takes writes.
    let later = on(&url, &["client", "add", "--name", "Cleo Later"]);

    // Back to a new file.
    let back = file.dir.path().join("back.casevault");
    let back = back.to_str().unwrap();
    on(&url, &["migrate", "--to", back]);
    for (id, body) in &notes {
        let shown: Value =
            serde_json::from_str(&on(back, &["note", "show", id, "--json"])).unwrap();
        assert_eq!(shown["body"], body.as_str(), "note {id} in the file");
    }
    assert!(on(back, &["client", "show", &later]).contains("Cleo Later"));
    assert!(on(back, &["audit", "verify"]).contains("audit trail intact"));

    // A backup of the server vault is a vault file.
    let backup = file.dir.path().join("server-backup.casevault");
    let backup = backup.to_str().unwrap();
    on(&url, &["backup", "--out", backup]);
    assert!(
        std::fs::read(backup)
            .unwrap()
            .starts_with(b"SQLite format 3\0")
    );
    assert!(on(backup, &["client", "list"]).contains("Cleo Later"));
    assert!(on(backup, &["audit", "verify"]).contains("audit trail intact"));

    // A migration onto a database that holds a vault is refused.
    let out = file.cmd().args(["migrate", "--to", &url]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    no_driver_text(&out);
}
