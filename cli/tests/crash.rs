//! Crash safety: the `casevault` binary is killed with SIGKILL at random moments while
//! it adds notes, consents and disclosures, over and over on one vault, and after every
//! kill the vault must open, `audit verify` must pass, every write reported as committed
//! must be there, and nothing half-written may be visible.
//!
//! The writer is a loop in this test that runs one `casevault` process per write, each
//! in a process group of its own, and counts a write as committed only once its process
//! has exited 0. Each round resumes the loop where the last round was killed and kills
//! it again, by one of four triggers chosen with a seeded RNG: after a random delay
//! (spread over a few commands, so most land in the Argon2id unlock), when SQLite's
//! rollback journal appears (inside a transaction or its commit), when the export's
//! temporary file appears, when a disclosure's journal goes away while its temporary
//! export is there (between the commit and the rename: the window in which an
//! accounting entry exists before its file), or when the export appears under its
//! final name.
//!
//! Knobs (environment):
//! - `CASEVAULT_CRASH_ROUNDS=500` runs the long variant (default 50 rounds, about a
//!   minute in a debug build);
//! - `CASEVAULT_CRASH_SEED=N` replays a run's choices (the seed is printed; timing still
//!   differs from run to run).
//!
//! Run with `cargo test --test crash -- --nocapture` to see the figures.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use casevault::{Session, Vault};
use common::{PASSPHRASE, RecipientKey, TestVault};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use secrecy::SecretString;
use serde_json::Value;

const DEFAULT_ROUNDS: usize = 50;
const RECIPIENT: &str = "Dr Osei";
const PURPOSE: &str = "coordination-of-care";
const NOTE_DATE: &str = "2026-01-02";
/// Prefix of the temporary file an export is written to before its rename.
const EXPORT_TEMP: &str = ".casevault-export-";

/// The writes the loop makes, in turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Note,
    Consent,
    Disclose,
}

const STEPS: [Step; 3] = [Step::Note, Step::Consent, Step::Disclose];

/// A write whose process exited 0: it must be in the vault from then on.
#[derive(Debug)]
enum Committed {
    Note {
        id: String,
        body: String,
    },
    Consent {
        id: String,
        signer: String,
    },
    Disclosure {
        decision: String,
        accounting: String,
        out: PathBuf,
    },
}

/// When a round kills the writer.
#[derive(Clone, Copy, Debug)]
enum Trigger {
    /// After this long.
    After(Duration),
    /// This long after the journal is seen while a `step` runs.
    Journal { step: Step, extra: Duration },
    /// As soon as a disclosure's temporary export file is seen.
    ExportTemp,
    /// As soon as a disclosure's transaction has committed (its journal gone) while its
    /// export is still under its temporary name.
    Committed,
    /// As soon as a disclosure's export is seen under its final name.
    ExportRenamed,
}

/// Where a kill landed, judged from what it left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Landing {
    /// No journal had been seen yet in the killed command: start-up, reading the
    /// keyslot, Argon2id.
    BeforeFirstTransaction(Step),
    /// A hot journal was left: killed inside a transaction or during its commit.
    InsideTransaction(Step),
    /// A temporary export file was left and the transaction was torn: killed while the
    /// export was written, before the commit.
    WritingExport,
    /// A temporary export file was left after the commit: the accounting entry exists,
    /// the export never got its final name.
    CommitToRename,
    /// Killed between two transactions of the command, or after its commit.
    BetweenTransactions(Step),
    /// The command had exited 0 just before the kill.
    AfterExit(Step),
}

struct Writer<'a> {
    v: &'a TestVault,
    client: String,
    key: RecipientKey,
    exports: PathBuf,
    /// Every command started, killed or not; numbers bodies, signers and files.
    attempt: u64,
    /// The next step to run (a killed step is run again, as a new attempt).
    next: usize,
    committed: Vec<Committed>,
    /// Temporary export files left by earlier kills.
    temps: BTreeSet<OsString>,
}

/// What one command run under watch ended with.
enum Ran {
    Done,
    Killed(Landing),
}

impl Writer<'_> {
    fn command(&self, step: Step, attempt: u64) -> (std::process::Command, Option<String>) {
        let mut cmd = self.v.process();
        // Its own process group: casevault starts no processes of its own, so SIGKILL to
        // the child is SIGKILL to the whole group.
        cmd.process_group(0)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let c = self.client.as_str();
        match step {
            Step::Note => {
                cmd.args(["note", "add", "--client", c, "--date", NOTE_DATE]);
                (cmd, Some(note_body(attempt)))
            }
            Step::Consent => {
                cmd.args(["consent", "add", "--client", c, "--recipient", RECIPIENT]);
                cmd.args(["--purpose", PURPOSE, "--allow", "progress"]);
                cmd.args(["--expires", "2099-12-31", "--signed-by", &signer(attempt)]);
                (cmd, None)
            }
            Step::Disclose => {
                cmd.args([
                    "disclose",
                    "--client",
                    c,
                    "--to",
                    RECIPIENT,
                    "--purpose",
                    PURPOSE,
                ]);
                cmd.args(["--categories", "progress", "--recipient", &self.key.public]);
                cmd.args(["--format", "json", "--json", "--out"]);
                cmd.arg(self.out(attempt));
                (cmd, None)
            }
        }
    }

    fn out(&self, attempt: u64) -> PathBuf {
        self.exports.join(format!("disclosure-{attempt}.age"))
    }

    fn new_temps(&self) -> Vec<OsString> {
        std::fs::read_dir(&self.exports)
            .expect("the exports directory")
            .flatten()
            .map(|e| e.file_name())
            .filter(|n| n.to_string_lossy().starts_with(EXPORT_TEMP) && !self.temps.contains(n))
            .collect()
    }

    /// Runs steps until `trigger` fires (or `limit` passes), kills the command then
    /// running, and says where the kill landed.
    fn round(&mut self, trigger: Trigger, limit: Duration) -> Landing {
        let start = Instant::now();
        loop {
            let step = STEPS[self.next % STEPS.len()];
            self.attempt += 1;
            let attempt = self.attempt;
            match self.run_one(step, attempt, trigger, start, limit) {
                Ran::Done => self.next += 1,
                Ran::Killed(landing) => return landing,
            }
        }
    }

    fn run_one(
        &mut self,
        step: Step,
        attempt: u64,
        trigger: Trigger,
        start: Instant,
        limit: Duration,
    ) -> Ran {
        let journal = self.v.journal();
        let out = self.out(attempt);
        let (mut cmd, stdin) = self.command(step, attempt);
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().expect("start casevault");
        if let Some(body) = stdin {
            let mut pipe = child.stdin.take().expect("piped stdin");
            // A killed child closes the pipe; the body is far smaller than its buffer.
            let _ = pipe.write_all(body.as_bytes());
        }
        let mut journal_seen = false;
        let mut kill_at: Option<Instant> = None;
        loop {
            if let Some(status) = child.try_wait().expect("wait for casevault") {
                let output = child.wait_with_output().expect("casevault's output");
                let stdout = String::from_utf8_lossy(&output.stdout);
                assert!(
                    status.success(),
                    "attempt {attempt} ({step:?}) failed on its own ({status}):\n{}{}",
                    stdout,
                    String::from_utf8_lossy(&output.stderr)
                );
                self.record(step, attempt, &stdout);
                return Ran::Done;
            }
            let now = Instant::now();
            let journal_now = journal.exists();
            journal_seen |= journal_now;
            let fire = match trigger {
                Trigger::After(delay) => now >= start + delay,
                Trigger::Journal { step: s, extra } => {
                    if kill_at.is_none() && journal_now && s == step {
                        kill_at = Some(now + extra);
                    }
                    kill_at.is_some_and(|at| now >= at)
                }
                Trigger::ExportTemp => step == Step::Disclose && !self.new_temps().is_empty(),
                Trigger::Committed => {
                    step == Step::Disclose
                        && journal_seen
                        && !journal_now
                        && !out.exists()
                        && !self.new_temps().is_empty()
                }
                Trigger::ExportRenamed => step == Step::Disclose && out.exists(),
            };
            if fire || now >= start + limit {
                child.kill().expect("SIGKILL");
                let output = child.wait_with_output().expect("reap the killed casevault");
                // Reaped: the process is gone, its locks released, nothing more to come.
                if output.status.signal() != Some(9) {
                    // It exited in the instant before the kill: a write like any other.
                    assert!(output.status.success(), "attempt {attempt} ({step:?})");
                    self.record(step, attempt, &String::from_utf8_lossy(&output.stdout));
                    self.next += 1;
                    return Ran::Killed(Landing::AfterExit(step));
                }
                return Ran::Killed(self.landing(step, &out, journal_seen));
            }
            std::thread::sleep(Duration::from_micros(250));
        }
    }

    fn landing(&self, step: Step, out: &Path, journal_seen: bool) -> Landing {
        let hot = self.v.journal().exists();
        let temp = step == Step::Disclose && !self.new_temps().is_empty();
        assert!(
            !(out.exists() && hot),
            "{} appeared before its transaction committed",
            out.display()
        );
        if temp && !hot && journal_seen {
            Landing::CommitToRename
        } else if temp {
            Landing::WritingExport
        } else if hot {
            Landing::InsideTransaction(step)
        } else if !journal_seen {
            Landing::BeforeFirstTransaction(step)
        } else {
            Landing::BetweenTransactions(step)
        }
    }

    fn record(&mut self, step: Step, attempt: u64, stdout: &str) {
        let write = match step {
            Step::Note => Committed::Note {
                id: stdout.trim().to_owned(),
                body: note_body(attempt),
            },
            Step::Consent => Committed::Consent {
                id: stdout.trim().to_owned(),
                signer: signer(attempt),
            },
            Step::Disclose => {
                let done: Value = serde_json::from_str(stdout)
                    .unwrap_or_else(|e| panic!("disclose --json prints JSON ({e}):\n{stdout}"));
                let entries = done["accounting"].as_array().expect("accounting entries");
                assert_eq!(entries.len(), 1, "one client, one entry: {stdout}");
                Committed::Disclosure {
                    decision: done["decision"]["id"].as_str().expect("decision id").into(),
                    accounting: entries[0]["id"].as_str().expect("entry id").into(),
                    out: self.out(attempt),
                }
            }
        };
        match &write {
            Committed::Note { id, .. } => println!("committed note {id}"),
            Committed::Consent { id, .. } => println!("committed consent {id}"),
            Committed::Disclosure { decision, .. } => println!("committed disclosure {decision}"),
        }
        self.committed.push(write);
    }
}

fn note_body(attempt: u64) -> String {
    format!("crash note {attempt}\n")
}

fn signer(attempt: u64) -> String {
    format!("signer {attempt}")
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {value:?}")),
    )
}

fn names_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("readable directory")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Figures for the report.
#[derive(Default)]
struct Figures {
    landings: BTreeMap<Landing, usize>,
    clean_reopens: usize,
    hot_journals: usize,
    /// Decisions whose export was left complete under its temporary name.
    unpublished: BTreeSet<String>,
    temps: usize,
    verify_time: Duration,
}

/// Everything checked after a kill, before the next round.
struct Checker {
    session: Session,
    /// Export files already seen complete (they are checked once: they never change).
    opened: BTreeMap<PathBuf, String>,
}

impl Checker {
    fn check(&mut self, w: &mut Writer<'_>, landing: Landing, f: &mut Figures, round: usize) {
        let v = w.v;
        // Before anything opens the vault: the vault, a hot journal when the kill tore a
        // transaction, and the exports directory; nothing else.
        let hot = v.journal().exists();
        let mut expected: BTreeSet<String> = ["exports".to_owned()].into();
        if v.backend() == common::Backend::Sqlite {
            expected.insert("practice.casevault".into());
        }
        if hot {
            f.hot_journals += 1;
            expected.insert("practice.casevault-journal".into());
        }
        assert_eq!(
            names_in(v.dir.path()),
            expected,
            "round {round}: the vault's directory"
        );

        // Temporary export files: private and encrypted. Torn before the commit: empty or
        // an age file cut short. Left after the commit: whole, for a disclosure the
        // accounting lists (checked below).
        let mut unpublished = Vec::new();
        // On a server no journal shows where a kill landed: a whole temporary export is
        // one left after the commit exactly when the accounting lists its decision.
        let mut whole_temps = Vec::new();
        for name in w.new_temps() {
            let path = w.exports.join(&name);
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
            let bytes = std::fs::read(&path).unwrap();
            let header = b"age-encryption.org/v1\n";
            let n = bytes.len().min(header.len());
            assert_eq!(
                &bytes[..n],
                &header[..n],
                "{} is an age file",
                path.display()
            );
            assert!(
                !common::contains(&bytes, "crash note"),
                "{}",
                path.display()
            );
            match landing {
                Landing::WritingExport if v.backend() == common::Backend::Postgres => {
                    if let Ok(text) = w.key.try_open(&bytes) {
                        let bundle: Value = serde_json::from_str(&text).expect("a JSON export");
                        let decision = bundle["cover"]["decision"].as_str().expect("decision");
                        whole_temps.push(decision.to_owned());
                    }
                }
                Landing::WritingExport => {}
                Landing::CommitToRename => {
                    let text = w.key.try_open(&bytes).unwrap_or_else(|e| {
                        panic!("round {round}: {} is not whole: {e}", path.display())
                    });
                    let bundle: Value = serde_json::from_str(&text).expect("a JSON export");
                    let decision = bundle["cover"]["decision"].as_str().expect("decision");
                    unpublished.push(decision.to_owned());
                }
                other => panic!("round {round}: {} left by a kill {other:?}", path.display()),
            }
            w.temps.insert(name);
            f.temps += 1;
        }

        // The vault opens (rolling back a hot journal) and its audit trail verifies.
        let t = Instant::now();
        let verified = v.output(&["audit", "verify"]);
        f.verify_time += t.elapsed();
        assert!(
            verified.status.success(),
            "round {round} ({landing:?}): audit verify failed ({}):\n{}{}",
            verified.status,
            String::from_utf8_lossy(&verified.stdout),
            String::from_utf8_lossy(&verified.stderr)
        );
        assert!(
            String::from_utf8_lossy(&verified.stdout).contains("audit trail intact"),
            "round {round}"
        );
        assert!(
            !v.journal().exists(),
            "round {round}: the journal is rolled back"
        );
        f.clean_reopens += 1;

        // Every write reported committed is there, whole; nothing else is half there.
        let s = &mut self.session;
        let notes: BTreeMap<String, String> = s
            .notes_for_client(&w.client)
            .expect("list notes")
            .into_iter()
            .map(|n| (n.id.into(), n.body))
            .collect();
        let consents: BTreeMap<String, String> = s
            .consents_for_client(&w.client)
            .expect("list consents")
            .into_iter()
            .map(|c| (c.id.into(), c.signed_by))
            .collect();
        let accounting: BTreeMap<String, String> = s
            .accounting(&w.client)
            .expect("the accounting")
            .into_iter()
            .map(|e| (e.decision.into(), e.id.into()))
            .collect();
        let bodies: BTreeSet<&String> = notes.values().collect();
        assert_eq!(
            bodies.len(),
            notes.len(),
            "round {round}: a note written twice"
        );
        for write in &w.committed {
            match write {
                Committed::Note { id, body } => {
                    assert_eq!(notes.get(id), Some(body), "round {round}: note {id}")
                }
                Committed::Consent { id, signer } => {
                    assert_eq!(
                        consents.get(id),
                        Some(signer),
                        "round {round}: consent {id}"
                    )
                }
                Committed::Disclosure {
                    decision,
                    accounting: entry,
                    out,
                } => {
                    assert_eq!(
                        accounting.get(decision),
                        Some(entry),
                        "round {round}: the accounting of decision {decision}"
                    );
                    assert!(out.exists(), "round {round}: {}", out.display());
                }
            }
        }

        // Every export under its final name opens whole; one that no accounting entry
        // names is the documented window between the rename and the commit, and only
        // the export of the command this round killed there.
        let mut decisions = BTreeSet::new();
        for name in names_in(&w.exports) {
            if name.starts_with(EXPORT_TEMP) {
                continue;
            }
            let path = w.exports.join(&name);
            if !self.opened.contains_key(&path) {
                let text = w
                    .key
                    .try_open(&std::fs::read(&path).unwrap())
                    .unwrap_or_else(|e| {
                        panic!("round {round}: {} is not whole: {e}", path.display())
                    });
                let bundle: Value = serde_json::from_str(&text).expect("a JSON export");
                assert_eq!(bundle["format"], "casevault-disclosure/1");
                let decision = bundle["cover"]["decision"]
                    .as_str()
                    .expect("decision")
                    .to_owned();
                self.opened.insert(path.clone(), decision);
            }
            let decision = &self.opened[&path];
            decisions.insert(decision.clone());
            // No export is ever visible without its accounting entry.
            assert!(
                accounting.contains_key(decision),
                "round {round}: {} has no accounting entry",
                path.display()
            );
        }
        unpublished.extend(
            whole_temps
                .into_iter()
                .filter(|decision| accounting.contains_key(decision)),
        );
        for decision in unpublished {
            assert!(
                accounting.contains_key(&decision),
                "round {round}: the export of {decision} was left after a commit the accounting does not show"
            );
            f.unpublished.insert(decision);
        }
        // And every disclosure the accounting lists left its file.
        for decision in accounting.keys() {
            assert!(
                decisions.contains(decision) || f.unpublished.contains(decision),
                "round {round}: decision {decision} is in the accounting but its export is missing"
            );
        }
    }
}

/// On a server, the kills land in the client's unlock, inside its transaction (the server
/// rolls it back when the connection drops) or after its commit; no journal shows which,
/// so the journal triggers there fall back to their time limit.
fn sigkill_at_random_moments_loses_no_committed_write_and_leaves_nothing_half_written() {
    let rounds = env_number("CASEVAULT_CRASH_ROUNDS").unwrap_or(DEFAULT_ROUNDS as u64) as usize;
    let seed = env_number("CASEVAULT_CRASH_SEED").unwrap_or_else(rand::random);
    println!("crash test: {rounds} rounds, seed {seed} (CASEVAULT_CRASH_SEED={seed} replays it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();

    let (v, _) = TestVault::init();
    let client = v.add_client("Ada Quill", &[]);
    // One consent from the start, so that every disclosure is permitted.
    let t = Instant::now();
    v.ok(&[
        "consent",
        "add",
        "--client",
        &client,
        "--recipient",
        RECIPIENT,
        "--purpose",
        PURPOSE,
        "--allow",
        "progress",
        "--expires",
        "2099-12-31",
    ]);
    // One command's time on this machine now: the scale of the random delays.
    let command = t.elapsed();
    let exports = v.dir.path().join("exports");
    std::fs::create_dir(&exports).unwrap();
    let session = Vault::open(v.vault_location())
        .and_then(|vault| vault.unlock(&SecretString::from(PASSPHRASE), "crash-checker"))
        .expect("unlock");
    let mut checker = Checker {
        session,
        opened: BTreeMap::new(),
    };
    let mut w = Writer {
        v: &v,
        client,
        key: RecipientKey::new(),
        exports,
        attempt: 0,
        next: 0,
        committed: Vec::new(),
        temps: BTreeSet::new(),
    };
    let mut f = Figures::default();
    let mut missed = 0;
    for round in 1..=rounds {
        let trigger = match rng.gen_range(0..10) {
            0..=4 => Trigger::After(command.mul_f64(rng.gen_range(0.0..3.0))),
            5..=7 => Trigger::Journal {
                step: STEPS[rng.gen_range(0..STEPS.len())],
                extra: if rng.gen_bool(0.5) {
                    Duration::ZERO
                } else {
                    Duration::from_micros(rng.gen_range(0..10_000))
                },
            },
            8 => Trigger::ExportTemp,
            _ if rng.gen_bool(0.5) => Trigger::Committed,
            _ => Trigger::ExportRenamed,
        };
        // A trigger not seen within a few commands (the window fell between two looks)
        // kills wherever the writer is then.
        let limit = command * 5;
        let t = Instant::now();
        let landing = w.round(trigger, limit);
        if !matches!(trigger, Trigger::After(_)) && t.elapsed() >= limit {
            missed += 1;
        }
        *f.landings.entry(landing).or_default() += 1;
        checker.check(&mut w, landing, &mut f, round);
    }

    // Last, through the CLI only: every reported write, and `note show`/`consent show`
    // for some of them.
    let listed = v.json(&["note", "list", "--client", &w.client]);
    let listed: BTreeMap<&str, &str> = listed
        .as_array()
        .expect("note list --json prints an array")
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n["body"].as_str().unwrap()))
        .collect();
    let consents = v.json(&["consent", "list", "--client", &w.client]);
    let consents: BTreeSet<&str> = consents
        .as_array()
        .expect("consent list --json prints an array")
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let accounting = v.json(&["accounting", "--client", &w.client]);
    let accounting: BTreeSet<&str> = accounting
        .as_array()
        .expect("accounting --json prints an array")
        .iter()
        .map(|e| e["decision"].as_str().unwrap())
        .collect();
    let (mut notes, mut consents_n, mut disclosures) = (0, 0, 0);
    for write in &w.committed {
        match write {
            Committed::Note { id, body } => {
                notes += 1;
                assert_eq!(listed.get(id.as_str()), Some(&body.as_str()), "note {id}");
                if rng.gen_ratio(1, 10) {
                    let shown = v.json(&["note", "show", id]);
                    assert_eq!(shown["body"], body.as_str(), "note show {id}");
                }
            }
            Committed::Consent { id, signer } => {
                consents_n += 1;
                assert!(consents.contains(id.as_str()), "consent {id}");
                if rng.gen_ratio(1, 10) {
                    let shown = v.json(&["consent", "show", id]);
                    assert_eq!(shown["signed_by"], signer.as_str(), "consent show {id}");
                }
            }
            Committed::Disclosure { decision, .. } => {
                disclosures += 1;
                assert!(
                    accounting.contains(decision.as_str()),
                    "decision {decision}"
                );
            }
        }
    }
    let verified = v.ok(&["audit", "verify"]);
    assert!(verified.contains("audit trail intact"), "{verified}");

    let gap = f
        .landings
        .get(&Landing::CommitToRename)
        .copied()
        .unwrap_or(0);
    println!(
        "{rounds} kills: {} clean reopens with `audit verify` passing, 0 lost writes \
         ({notes} notes, {consents_n} consents, {disclosures} disclosures reported committed, \
         all present); {} hot journals rolled back; 0 exports without an accounting entry; \
         {} accounted exports left under their temporary name (commit-to-rename window) \
         from {gap} kills there; {} temporary export files left in all; \
         {missed} triggers not seen in time",
        f.clean_reopens,
        f.hot_journals,
        f.unpublished.len(),
        f.temps,
    );
    for (landing, n) in &f.landings {
        println!("  {n:>4} killed {landing:?}");
    }
    println!(
        "{:.1} s in all, {:.2} s per `audit verify` after a kill, {:.2} s per command at the start",
        started.elapsed().as_secs_f64(),
        f.verify_time.as_secs_f64() / rounds as f64,
        command.as_secs_f64()
    );
}

common::on_both_backends!(
    sigkill_at_random_moments_loses_no_committed_write_and_leaves_nothing_half_written
);
