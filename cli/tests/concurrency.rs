//! Concurrency: several `casevault` processes on one vault at once, and a vault held by
//! someone else.
//!
//! - Two writers add notes at the same time (one process per note) while a reader loops
//!   over `note list`, `search` and `audit verify`: every command succeeds, none shows
//!   SQLite's busy or locked text, every note is there with its text, the audit trail
//!   verifies and holds exactly one event per command.
//! - A vault held by another connection (a write lock, then an exclusive lock, each
//!   kept and never committed): `casevault` waits a bounded time, then says the vault is
//!   busy and what to do, exits 1, and changes nothing.
//!
//! The two-writer test runs on a vault file and on a server database; the busy tests
//! hold SQLite's locks, or the server's lock row.
//!
//! Knob (environment): `CASEVAULT_CONCURRENCY_NOTES=1000` runs the long variant (notes
//! per writer; default 200 on a file, 50 on a server).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::TestVault;
use serde_json::Value;

const DEFAULT_NOTES: usize = 200;
/// Notes per writer on a server (the knob sets both).
const DEFAULT_SERVER_NOTES: usize = 50;

/// One `casevault` run and what it printed.
struct Run {
    args: Vec<String>,
    output: Output,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Why this run counts as a failure, if it does: a non-zero exit, or SQLite's
    /// locking showing through to the user.
    fn problem(&self) -> Option<String> {
        let err = self.stderr().to_lowercase();
        let shows_locking = ["locked", "busy", "sqlite"]
            .iter()
            .any(|word| err.contains(word));
        (!self.output.status.success() || shows_locking).then(|| {
            format!(
                "`casevault {}` ({}):\n{}{}",
                self.args.join(" "),
                self.output.status,
                self.stdout(),
                self.stderr()
            )
        })
    }
}

fn run(v: &TestVault, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = v.process();
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("start casevault");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("piped stdin");
        pipe.write_all(text.as_bytes())
            .expect("write the note body");
    }
    Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        output: child.wait_with_output().expect("casevault's output"),
    }
}

fn body(writer: char, i: usize) -> String {
    format!("concurrency note {writer} {i}\n")
}

fn as_array(value: Value, what: &str) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        other => panic!("{what} --json prints an array, not {other}"),
    }
}

fn two_writers_and_a_reader_at_once_all_succeed_and_every_note_is_audited_once() {
    let per_writer = std::env::var("CASEVAULT_CONCURRENCY_NOTES")
        .map(|n| n.parse().expect("CASEVAULT_CONCURRENCY_NOTES is a number"))
        .unwrap_or(match common::backend() {
            common::Backend::Sqlite => DEFAULT_NOTES,
            // Each command's Argon2id dominates on either backend; the server's own
            // concurrency is tested at scale in server.rs (4 x 500 notes).
            common::Backend::Postgres => DEFAULT_SERVER_NOTES,
        });
    let started = Instant::now();
    let (v, _) = TestVault::init();
    let client = v.add_client("Ada Quill", &[]);
    // The events so far, and the one `audit log` itself appends.
    let before = as_array(v.json(&["audit", "log"]), "audit log").len() + 1;

    let writers_done = AtomicBool::new(false);
    let (writes, reads) = std::thread::scope(|scope| {
        let writer = |name: char| {
            let (v, client) = (&v, &client);
            scope.spawn(move || {
                (0..per_writer)
                    .map(|i| {
                        let args = ["note", "add", "--client", client, "--date", "2026-03-01"];
                        (name, i, run(v, &args, Some(&body(name, i))))
                    })
                    .collect::<Vec<_>>()
            })
        };
        let a = writer('a');
        let b = writer('b');
        let reader = scope.spawn(|| {
            let query = ["search", "concurrency note", "--json"];
            let list = ["note", "list", "--client", &client, "--json"];
            let verify = ["audit", "verify"];
            let mut runs = Vec::new();
            let mut seen = 0;
            while !writers_done.load(Ordering::SeqCst) {
                for args in [&list[..], &query[..], &verify[..]] {
                    let r = run(&v, args, None);
                    if r.output.status.success() {
                        match args[0] {
                            "note" => {
                                let n = serde_json::from_slice::<Vec<Value>>(&r.output.stdout)
                                    .expect("note list --json")
                                    .len();
                                assert!(n >= seen, "the note list shrank from {seen} to {n}");
                                seen = n;
                            }
                            "search" => {
                                let hits: Vec<Value> = serde_json::from_slice(&r.output.stdout)
                                    .expect("search --json");
                                assert!(hits.iter().all(|h| {
                                    h["line"]
                                        .as_str()
                                        .is_some_and(|l| l.starts_with("concurrency note "))
                                }));
                            }
                            _ => {
                                assert!(r.stdout().contains("audit trail intact"), "{}", r.stdout())
                            }
                        }
                    }
                    runs.push(r);
                }
            }
            runs
        });
        let mut writes = a.join().expect("writer a");
        writes.extend(b.join().expect("writer b"));
        writers_done.store(true, Ordering::SeqCst);
        (writes, reader.join().expect("reader"))
    });
    let elapsed = started.elapsed();

    let problems: Vec<String> = writes
        .iter()
        .map(|(_, _, r)| r)
        .chain(&reads)
        .filter_map(Run::problem)
        .collect();
    assert!(
        problems.is_empty(),
        "{} of {} commands failed or showed SQLite's locking; the first:\n{}",
        problems.len(),
        writes.len() + reads.len(),
        problems[..problems.len().min(5)].join("\n")
    );

    // Every note, with its text.
    let expected: BTreeMap<String, String> = writes
        .iter()
        .map(|(name, i, r)| (r.stdout().trim().to_owned(), body(*name, *i)))
        .collect();
    assert_eq!(expected.len(), 2 * per_writer, "every note has its own id");
    let listed: BTreeMap<String, String> =
        as_array(v.json(&["note", "list", "--client", &client]), "note list")
            .into_iter()
            .map(|n| {
                let id = n["id"].as_str().expect("id").to_owned();
                (id, n["body"].as_str().expect("body").to_owned())
            })
            .collect();
    assert_eq!(
        listed, expected,
        "the notes in the vault are exactly those added"
    );
    let hits = as_array(v.json(&["search", "concurrency note"]), "search");
    assert_eq!(hits.len(), 2 * per_writer, "search finds every note");

    let verified = v.ok(&["audit", "verify"]);
    assert!(verified.contains("audit trail intact"), "{verified}");

    // One event per command: one `note.add` per note, writing that note, and one event
    // for each of the reader's commands and the checks above; none failed.
    let events = as_array(v.json(&["audit", "log"]), "audit log");
    let added: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "note.add")
        .collect();
    assert_eq!(added.len(), 2 * per_writer, "one note.add event per note");
    let mut written = BTreeSet::new();
    for e in &added {
        assert_eq!(e["outcome"], "ok", "{e}");
        let notes: Vec<&str> = e["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .filter(|t| t["kind"] == "note" && t["access"] == "write")
            .map(|t| t["id"].as_str().expect("id"))
            .collect();
        assert_eq!(notes.len(), 1, "one note written per event: {e}");
        assert!(written.insert(notes[0]), "note {} written twice", notes[0]);
    }
    assert_eq!(
        written,
        expected.keys().map(String::as_str).collect(),
        "the events name exactly the notes added"
    );
    let failed: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e["outcome"]
                .as_str()
                .is_some_and(|o| o.starts_with("failed"))
        })
        .collect();
    assert!(
        failed.is_empty(),
        "failed operations were audited: {failed:?}"
    );
    // The checks after the run: note list, search, audit verify.
    let after = 3;
    assert_eq!(
        events.len(),
        before + 2 * per_writer + reads.len() + after,
        "exactly one event per command"
    );

    println!(
        "{} notes from two writers and {} reader commands at once: all exited 0, none showed \
         SQLite's locking, {} events, one per command; {:.1} s",
        2 * per_writer,
        reads.len(),
        events.len(),
        elapsed.as_secs_f64()
    );
}

/// Holds a lock on the vault with SQLite (`BEGIN IMMEDIATE`: a write lock, as a
/// casevault command holds while it works; `BEGIN EXCLUSIVE`: as one holds while it
/// commits), runs `note add`, and checks it gives up in bounded time, saying the vault
/// is busy, with exit 1, and that nothing changed.
fn busy_vault(begin: &str) {
    let (v, _) = TestVault::init();
    let client = v.add_client("Ada Quill", &[]);
    v.add_note(&client, "2026-03-01", "Before the lock.\n");
    let before = std::fs::read(&v.path).unwrap();

    let holder = v.sqlite();
    holder.execute_batch(begin).expect("take the lock");
    let started = Instant::now();
    let r = run(
        &v,
        &["note", "add", "--client", &client, "--date", "2026-03-02"],
        Some("During the lock.\n"),
    );
    let waited = started.elapsed();
    holder.execute_batch("ROLLBACK").expect("release the lock");
    drop(holder);
    println!("{begin}: gave up after {:.1} s", waited.as_secs_f64());

    // Every expectation is checked, so that one failure shows all that is wrong.
    let mut wrong = Vec::new();
    let mut expect = |ok: bool, what: &str| {
        if !ok {
            wrong.push(what.to_owned());
        }
    };
    expect(waited < Duration::from_secs(30), "it gives up within 30 s");
    expect(r.output.status.code() == Some(1), "it exits 1");
    let lower = r.stderr().to_lowercase();
    expect(
        lower.contains("busy") && lower.contains("another casevault"),
        "it says the vault is busy, in use by another casevault",
    );
    expect(lower.contains("hint:"), "it says what to do (a hint: line)");
    for raw in [
        "database is locked",
        "not a casevault vault",
        "database error",
    ] {
        expect(!lower.contains(raw), &format!("it does not say {raw:?}"));
    }
    expect(
        r.stdout().is_empty(),
        "it prints nothing on standard output",
    );
    expect(
        std::fs::read(&v.path).unwrap() == before,
        "the vault is unchanged",
    );
    expect(!v.journal().exists(), "no journal is left");
    assert!(
        wrong.is_empty(),
        "{begin}, after {waited:?} ({}):\n{}\nexpected: {}",
        r.output.status,
        r.stderr(),
        wrong.join("; ")
    );

    // Once the lock is gone, the same command works.
    v.add_note(&client, "2026-03-02", "After the lock.\n");
    let verified = v.ok(&["audit", "verify"]);
    assert!(verified.contains("audit trail intact"), "{verified}");
}

#[test]
fn a_vault_held_by_another_writer_is_reported_busy_after_a_bounded_wait() {
    busy_vault("BEGIN IMMEDIATE");
}

#[test]
fn a_vault_held_while_another_commits_is_reported_busy_not_as_a_foreign_file() {
    busy_vault("BEGIN EXCLUSIVE");
}

/// On a server, a transaction held open on the vault's lock row (as a casevault command
/// on another machine holds it while it writes): `note add` gives up after the lock
/// timeout, says the vault is busy, exits 1, and changes nothing.
fn a_server_vault_held_by_another_writer_is_reported_busy_after_a_bounded_wait() {
    use std::io::BufRead;
    let (v, _) = TestVault::init();
    let (server, db) = v.server().expect("a vault on the server");
    let client = v.add_client("Ada Quill", &[]);
    v.add_note(&client, "2026-03-01", "Before the lock.\n");
    let before = v.digest();

    let mut holder = server
        .command("psql")
        .args(["-X", "-q", "-At", "-d", db])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start psql");
    let mut input = holder.stdin.take().expect("piped stdin");
    input
        .write_all(b"BEGIN;\nSELECT one FROM casevault_lock FOR UPDATE;\n")
        .expect("take the lock");
    let mut line = String::new();
    std::io::BufReader::new(holder.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("psql answers");
    assert_eq!(line.trim(), "t", "the lock row is held");

    let started = Instant::now();
    let r = run(
        &v,
        &["note", "add", "--client", &client, "--date", "2026-03-02"],
        Some("During the lock.\n"),
    );
    let waited = started.elapsed();
    input.write_all(b"ROLLBACK;\n").expect("release the lock");
    drop(input);
    holder.wait().expect("psql ends");
    println!("gave up after {:.1} s", waited.as_secs_f64());

    let lower = r.stderr().to_lowercase();
    assert_eq!(r.output.status.code(), Some(1), "{}", r.stderr());
    assert!(waited < Duration::from_secs(30), "{waited:?}");
    assert!(lower.contains("busy"), "{}", r.stderr());
    for raw in ["db error", "lock timeout", "canceling statement"] {
        assert!(!lower.contains(raw), "{raw:?} in {}", r.stderr());
    }
    assert!(r.stdout().is_empty(), "{}", r.stdout());
    assert_eq!(v.digest(), before, "the vault is unchanged");

    v.add_note(&client, "2026-03-02", "After the lock.\n");
    let verified = v.ok(&["audit", "verify"]);
    assert!(verified.contains("audit trail intact"), "{verified}");
}

common::on_both_backends!(
    two_writers_and_a_reader_at_once_all_succeed_and_every_note_is_audited_once
);

#[test]
fn a_server_vault_is_reported_busy() {
    common::run_on(
        common::Backend::Postgres,
        a_server_vault_held_by_another_writer_is_reported_busy_after_a_bounded_wait,
    );
}
