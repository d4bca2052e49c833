//! Random single-byte changes to a realistic vault: every one must be detected, none
//! may pass as genuine, nothing may panic.
//!
//! 1,000 flips by default (`CASEVAULT_TAMPER_FLIPS` changes the count; the seed is
//! printed, and `CASEVAULT_TAMPER_SEED` replays a run), each one byte of one row XORed
//! with a random non-zero byte, spread over record ciphertexts (every kind), audit rows
//! (MAC and sealed details) and both keyslots. For each flip the vault is first put
//! back to its pristine state, then:
//!
//! - a record or audit row: `audit verify` (the library's `Session::verify_audit`, in
//!   process, so that a flip does not cost an Argon2id unlock) must name that record or
//!   event, and nothing else but what follows from it; a record that has a reader
//!   (`note show`, `client show`, …) must fail to open, naming it, as an integrity
//!   failure;
//! - a keyslot: unlocking through it must fail, as SECURITY.md says for the part that
//!   was changed: a salt or parameter changed within bounds, or a wrapped key changed
//!   into another well-formed one, derives another key and reads as a wrong secret
//!   (exit 3, recorded as a failed unlock); anything else is an unusable keyslot
//!   (exit 5, nothing recorded). A session opened before the change then finds it with
//!   `audit verify` ("the … keyslot is not the ciphertext its last audited write
//!   produced").
//!
//! A sample of the flips (about 50) goes through the `casevault` binary instead, on a
//! fresh copy of the pristine file, to check exit codes and messages end to end.
//!
//! Run with `--nocapture` to see the tally; it is printed on failure too.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use base64::Engine;
use base64::prelude::BASE64_STANDARD_NO_PAD;
use casevault::{Error, ErrorClass, RecoveryCode, Session, Vault, VerifyFinding};
use common::{PASSPHRASE, TestVault, Workflow};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{Connection, params};
use secrecy::SecretString;

const DEFAULT_FLIPS: usize = 1000;
const CLI_SAMPLE: usize = 50;
const WRONG_SECRET: i32 = 3;
const INTEGRITY: i32 = 5;
/// A new passphrase for `recover` (never set: every recovery here must fail).
const NEW_PASSPHRASE: &str = "a new passphrase nobody sets";

/// One row's blob that a flip changes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Record {
        kind: String,
        id: String,
        version: u32,
    },
    AuditMac {
        seq: u64,
    },
    AuditDetails {
        seq: u64,
    },
    /// The signer's Ed25519 signature of the event's chain value.
    AuditSignature {
        seq: u64,
    },
    /// The event's write list, sealed for every member.
    AuditWrites {
        seq: u64,
    },
    Keyslot {
        name: String,
    },
}

impl Target {
    fn read(&self, db: &Connection) -> Vec<u8> {
        let got = match self {
            Target::Record { kind, id, version } => db.query_row(
                "SELECT ciphertext FROM records WHERE kind = ?1 AND id = ?2 AND version = ?3",
                params![kind, id, version],
                |r| r.get(0),
            ),
            Target::AuditMac { seq } => {
                db.query_row("SELECT mac FROM audit WHERE seq = ?1", [*seq as i64], |r| {
                    r.get(0)
                })
            }
            Target::AuditDetails { seq } => db.query_row(
                "SELECT details FROM audit WHERE seq = ?1",
                [*seq as i64],
                |r| r.get(0),
            ),
            Target::AuditSignature { seq } => db.query_row(
                "SELECT signature FROM audit WHERE seq = ?1",
                [*seq as i64],
                |r| r.get(0),
            ),
            Target::AuditWrites { seq } => db.query_row(
                "SELECT writes FROM audit WHERE seq = ?1",
                [*seq as i64],
                |r| r.get(0),
            ),
            Target::Keyslot { name } => db.query_row(
                "SELECT keyslot FROM keyslots WHERE name = ?1",
                [name],
                |r| r.get(0),
            ),
        };
        got.unwrap_or_else(|e| panic!("{self:?} is stored: {e}"))
    }

    fn write(&self, db: &Connection, bytes: &[u8]) {
        let n = match self {
            Target::Record { kind, id, version } => db.execute(
                "UPDATE records SET ciphertext = ?4 WHERE kind = ?1 AND id = ?2 AND version = ?3",
                params![kind, id, version, bytes],
            ),
            Target::AuditMac { seq } => db.execute(
                "UPDATE audit SET mac = ?2 WHERE seq = ?1",
                params![*seq as i64, bytes],
            ),
            Target::AuditDetails { seq } => db.execute(
                "UPDATE audit SET details = ?2 WHERE seq = ?1",
                params![*seq as i64, bytes],
            ),
            Target::AuditSignature { seq } => db.execute(
                "UPDATE audit SET signature = ?2 WHERE seq = ?1",
                params![*seq as i64, bytes],
            ),
            Target::AuditWrites { seq } => db.execute(
                "UPDATE audit SET writes = ?2 WHERE seq = ?1",
                params![*seq as i64, bytes],
            ),
            Target::Keyslot { name } => db.execute(
                "UPDATE keyslots SET keyslot = ?2 WHERE name = ?1",
                params![name, bytes],
            ),
        }
        .expect("rewrite a row");
        assert_eq!(n, 1, "exactly one row for {self:?}");
    }

    /// How casevault names it: `note 1a2b3c4d version 2`, `the recovery keyslot`, or
    /// `audit event 7`.
    fn label(&self) -> String {
        match self {
            Target::Record { kind, id, version } => format!("{kind} {id} version {version}"),
            Target::AuditMac { seq }
            | Target::AuditDetails { seq }
            | Target::AuditSignature { seq }
            | Target::AuditWrites { seq } => format!("audit event {seq}"),
            Target::Keyslot { name } => format!("the {name} keyslot"),
        }
    }
}

/// The member who appends every event of the workflow (the vault's first member).
const SIGNER: &str = "owner";

/// The kinds of record an unlock opens before any command: a flip there stops the
/// unlock, which names the record.
const UNLOCK_READS: [&str; 3] = ["member", "roster", "caseload"];

/// One flip: `mask` XORed into byte `offset` of `target`.
#[derive(Clone, Debug)]
struct Flip {
    index: usize,
    target: Target,
    offset: usize,
    mask: u8,
}

impl Flip {
    fn apply(&self, db: &Connection) -> Vec<u8> {
        let mut bytes = self.target.read(db);
        bytes[self.offset] ^= self.mask;
        self.target.write(db, &bytes);
        bytes
    }

    fn describe(&self) -> String {
        format!(
            "flip #{} ({}, byte {} ^ {:#04x})",
            self.index,
            self.target.label(),
            self.offset,
            self.mask
        )
    }
}

/// What a keyslot flip must do to an unlock through that keyslot, and which part it
/// hit.
fn keyslot_expectation(original: &[u8], offset: usize, mask: u8) -> (&'static str, i32) {
    const STANZA: &[u8] = b"\n-> casevault-argon2id ";
    let find = |needle: &[u8], from: usize| {
        original[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
            .expect("a well-formed keyslot")
    };
    let line_end = |from: usize| find(b"\n", from);
    let stanza = find(STANZA, 0) + 1;
    let args_start = stanza + STANZA.len() - 1;
    let args_end = line_end(args_start);
    let body_end = line_end(args_end + 1);
    let mac_line = find(b"\n--- ", 0) + 1;
    let mac_end = line_end(mac_line);
    let mut flipped = original.to_vec();
    flipped[offset] ^= mask;
    let text =
        |range: std::ops::Range<usize>| String::from_utf8_lossy(&flipped[range]).into_owned();

    if offset < stanza {
        return ("version line", INTEGRITY);
    }
    if offset < args_start {
        return ("stanza tag", INTEGRITY);
    }
    if offset < args_end {
        // Which argument: salt, memory, iterations, lanes.
        let mut start = args_start;
        for (i, arg) in original[args_start..args_end]
            .split(|&b| b == b' ')
            .enumerate()
        {
            let end = start + arg.len();
            if offset == end {
                return ("stanza arguments' separators", INTEGRITY);
            }
            if offset < end {
                let new = text(start..end);
                let well_formed = match i {
                    0 => BASE64_STANDARD_NO_PAD
                        .decode(&new)
                        .is_ok_and(|salt| salt.len() == 16),
                    _ => params_in_bounds(&text(args_start..args_end)),
                };
                let part = ["salt", "memory", "iterations", "lanes"][i];
                // SECURITY.md: within bounds, a different key, so a wrong secret.
                return (part, if well_formed { WRONG_SECRET } else { INTEGRITY });
            }
            start = end + 1;
        }
        unreachable!("the offset is inside the arguments");
    }
    if offset == args_end || offset == body_end {
        return ("stanza line breaks", INTEGRITY);
    }
    if offset < body_end {
        // Another canonical base64 line unwraps to other bytes: the AEAD fails exactly
        // as for a wrong secret. Anything else (a character outside base64, or other
        // bits in the last character's unused low bits) is not a well-formed stanza.
        let base64 = BASE64_STANDARD_NO_PAD
            .decode(&flipped[args_end + 1..body_end])
            .is_ok_and(|key| key.len() == 32);
        return ("wrapped key", if base64 { WRONG_SECRET } else { INTEGRITY });
    }
    if offset < mac_line {
        return ("other stanzas", INTEGRITY);
    }
    if offset <= mac_end {
        return ("header MAC", INTEGRITY);
    }
    ("payload", INTEGRITY)
}

/// The byte range of a keyslot's casevault-argon2id stanza: its arguments and the
/// wrapped key.
fn stanza_span(keyslot: &[u8]) -> (usize, usize) {
    const STANZA: &[u8] = b"\n-> casevault-argon2id ";
    let start = keyslot
        .windows(STANZA.len())
        .position(|w| w == STANZA)
        .expect("a casevault-argon2id stanza")
        + STANZA.len();
    let args_end = start + keyslot[start..].iter().position(|&b| b == b'\n').unwrap();
    let body_end = args_end
        + 1
        + keyslot[args_end + 1..]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap();
    (start, body_end)
}

/// True when `args` (salt, memory KiB, iterations, lanes) are canonical numbers
/// within the bounds SECURITY.md gives.
fn params_in_bounds(args: &str) -> bool {
    let parts: Vec<&str> = args.split(' ').collect();
    let [_, m, t, p] = parts[..] else {
        return false;
    };
    let canonical = |s: &str| {
        (!s.is_empty()
            && s.bytes().all(|b| b.is_ascii_digit())
            && !(s.len() > 1 && s.starts_with('0')))
        .then(|| s.parse::<u64>().ok())
        .flatten()
    };
    let (Some(m), Some(t), Some(p)) = (canonical(m), canonical(t), canonical(p)) else {
        return false;
    };
    (65_536..=4_194_304).contains(&m)
        && (3..=32).contains(&t)
        && (1..=64).contains(&p)
        && m * t <= 16 * 1024 * 1024
}

/// Per-area counts, and how each flip was detected.
#[derive(Default)]
struct Tally {
    flips: usize,
    detected: usize,
    how: BTreeMap<String, usize>,
}

#[derive(Default)]
struct Results {
    tally: BTreeMap<String, Tally>,
    failures: Vec<String>,
    cli_runs: usize,
}

impl Results {
    fn count(&mut self, area: &str, detected: bool, how: String) {
        let t = self.tally.entry(area.to_owned()).or_default();
        t.flips += 1;
        t.detected += usize::from(detected);
        *t.how.entry(how).or_default() += 1;
    }
}

fn area_of(target: &Target, part: Option<&str>) -> String {
    match target {
        Target::Record { kind, .. } => format!("record: {kind}"),
        Target::AuditMac { .. } => "audit row: mac".into(),
        Target::AuditDetails { .. } => "audit row: details".into(),
        Target::AuditSignature { .. } => "audit row: signature".into(),
        Target::AuditWrites { .. } => "audit row: write list".into(),
        Target::Keyslot { name } => format!("keyslot: {name}: {}", part.unwrap_or("?")),
    }
}

fn class_code(e: &Error) -> i32 {
    match e.class() {
        ErrorClass::Failure => 1,
        ErrorClass::Usage => 2,
        ErrorClass::WrongSecret => WRONG_SECRET,
        ErrorClass::Denied => 4,
        ErrorClass::Integrity => INTEGRITY,
        _ => 1,
    }
}

/// The pristine vault, what is in it, and the flips to make.
struct Plan {
    pristine: TestVault,
    workflow: Workflow,
    /// For each event, the records (and keyslots) it wrote, by label.
    writes: BTreeMap<u64, Vec<String>>,
    last_seq: u64,
    flips: Vec<Flip>,
    seed: u64,
}

fn plan() -> Plan {
    let (pristine, workflow) = TestVault::realistic_at(TestVault::empty_fast());
    let count: usize = std::env::var("CASEVAULT_TAMPER_FLIPS")
        .ok()
        .map(|n| n.parse().expect("CASEVAULT_TAMPER_FLIPS is a number"))
        .unwrap_or(DEFAULT_FLIPS);
    let seed: u64 = std::env::var("CASEVAULT_TAMPER_SEED")
        .ok()
        .map(|n| n.parse().expect("CASEVAULT_TAMPER_SEED is a number"))
        .unwrap_or_else(|| rand::rngs::OsRng.r#gen());
    println!(
        "tamper_random: {count} flips, seed {seed} (CASEVAULT_TAMPER_SEED={seed} replays this run)"
    );

    // What each event wrote, read once from a copy (reading the log appends an event).
    let copy = pristine.dir.path().join("copy-for-the-log.casevault");
    std::fs::copy(&pristine.path, &copy).unwrap();
    let mut session = Vault::open(&copy)
        .unwrap()
        .unlock(&SecretString::from(PASSPHRASE), "tamper-test")
        .unwrap();
    let mut writes: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for event in session.audit_log().unwrap() {
        for t in event.targets {
            if t.access == casevault::TargetAccess::Write {
                let label = if t.kind == "keyslot" {
                    format!("the {} keyslot", t.id)
                } else {
                    format!("{} {} version {}", t.kind, t.id, t.version)
                };
                writes.entry(event.seq).or_default().push(label);
            }
        }
    }
    drop(session);
    std::fs::remove_file(&copy).unwrap();

    let db = pristine.sqlite();
    let records: Vec<(Target, usize)> = db
        .prepare(
            "SELECT kind, id, version, length(ciphertext) FROM records ORDER BY kind, id, version",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((
                Target::Record {
                    kind: r.get(0)?,
                    id: r.get(1)?,
                    version: r.get(2)?,
                },
                r.get::<_, i64>(3)? as usize,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let audit: Vec<(u64, usize, usize, usize, usize)> = db
        .prepare(
            "SELECT seq, length(mac), length(details), length(signature), length(writes)
             FROM audit ORDER BY seq",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, i64>(1)? as usize,
                r.get::<_, i64>(2)? as usize,
                r.get::<_, i64>(3)? as usize,
                r.get::<_, i64>(4)? as usize,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let keyslots: Vec<(Target, usize)> = ["passphrase", "recovery"]
        .iter()
        .map(|name| {
            let t = Target::Keyslot {
                name: (*name).to_owned(),
            };
            let len = t.read(&db).len();
            (t, len)
        })
        .collect();
    let keyslot_bytes: BTreeMap<&str, Vec<u8>> = ["passphrase", "recovery"]
        .iter()
        .map(|name| (*name, common::keyslot(&db, name)))
        .collect();
    let kinds: BTreeSet<&str> = records
        .iter()
        .map(|(t, _)| match t {
            Target::Record { kind, .. } => kind.as_str(),
            _ => unreachable!(),
        })
        .collect();
    for kind in [
        "client",
        "note",
        "consent",
        "intake",
        "policy",
        "decision",
        "accounting",
    ] {
        assert!(kinds.contains(kind), "the workflow wrote a {kind} record");
    }
    let last_seq = audit.last().unwrap().0;

    // Half the flips in records, three in ten in audit rows, one in five in keyslots.
    let mut rng = StdRng::seed_from_u64(seed);
    let flips = (0..count)
        .map(|index| {
            let roll = rng.gen_range(0..100);
            let (target, len) = if roll < 50 {
                records[rng.gen_range(0..records.len())].clone()
            } else if roll < 80 {
                let (seq, mac, details, signature, writes) = audit[rng.gen_range(0..audit.len())];
                match rng.gen_range(0..10) {
                    0..3 => (Target::AuditMac { seq }, mac),
                    3..7 => (Target::AuditDetails { seq }, details),
                    7..8 => (Target::AuditSignature { seq }, signature),
                    _ => (Target::AuditWrites { seq }, writes),
                }
            } else {
                keyslots[rng.gen_range(0..keyslots.len())].clone()
            };
            // Half the keyslot flips land in the stanza (arguments and wrapped key),
            // where SECURITY.md tells exit 3 from exit 5; the rest anywhere.
            let offset = match &target {
                Target::Keyslot { name } if rng.gen_bool(0.5) => {
                    let (start, end) = stanza_span(&keyslot_bytes[name.as_str()]);
                    rng.gen_range(start..end)
                }
                _ => rng.gen_range(0..len),
            };
            Flip {
                index,
                target,
                offset,
                mask: rng.gen_range(1..=255),
            }
        })
        .collect();
    drop(db);
    Plan {
        pristine,
        workflow,
        writes,
        last_seq,
        flips,
        seed,
    }
}

/// A worker's own copy of the vault: a session unlocked on it, and a plain SQLite
/// connection that tampers with it and puts it back.
struct Worker {
    path: PathBuf,
    session: Session,
    db: Connection,
}

impl Worker {
    fn new(plan: &Plan, n: usize) -> Worker {
        let path = plan
            .pristine
            .dir
            .path()
            .join(format!("worker-{n}.casevault"));
        std::fs::copy(&plan.pristine.path, &path).unwrap();
        let session = Vault::open(&path)
            .unwrap()
            .unlock(&SecretString::from(PASSPHRASE), "tamper-test")
            .unwrap();
        let db = Connection::open(&path).unwrap();
        db.pragma_update(None, "synchronous", "OFF").unwrap();
        db.execute(
            "ATTACH DATABASE ?1 AS pristine",
            [plan.pristine.path.to_str().unwrap()],
        )
        .unwrap();
        Worker { path, session, db }
    }

    /// Puts every table back as it is in the pristine file.
    fn restore(&self) {
        self.db
            .execute_batch(
                "BEGIN IMMEDIATE;
                 DELETE FROM main.meta; INSERT INTO main.meta SELECT * FROM pristine.meta;
                 DELETE FROM main.keyslots; INSERT INTO main.keyslots SELECT * FROM pristine.keyslots;
                 DELETE FROM main.records; INSERT INTO main.records SELECT * FROM pristine.records;
                 DELETE FROM main.audit; INSERT INTO main.audit SELECT * FROM pristine.audit;
                 DELETE FROM main.failed_unlocks;
                 INSERT INTO main.failed_unlocks SELECT * FROM pristine.failed_unlocks;
                 COMMIT;",
            )
            .expect("restore the pristine vault");
    }

    fn failed_unlocks(&self) -> i64 {
        self.db
            .query_row("SELECT COUNT(*) FROM main.failed_unlocks", [], |r| r.get(0))
            .unwrap()
    }
}

/// The findings `audit verify` may report for `flip` besides the one naming it: what
/// follows from it (an event that no longer opens hides the writes it vouched for; an
/// altered MAC breaks the link to the next event, or the sealed head).
fn allowed_findings(plan: &Plan, flip: &Flip) -> (VerifyFinding, Vec<VerifyFinding>) {
    match &flip.target {
        Target::Record { .. } => (
            VerifyFinding::RecordChanged {
                record: flip.target.label(),
            },
            Vec::new(),
        ),
        Target::Keyslot { .. } => (
            VerifyFinding::RecordChanged {
                record: flip.target.label(),
            },
            Vec::new(),
        ),
        Target::AuditDetails { seq } => (
            VerifyFinding::EventAltered { seq: *seq },
            std::iter::once(VerifyFinding::EventUnreadable { seq: *seq })
                .chain(plan.writes.get(seq).into_iter().flatten().map(|record| {
                    VerifyFinding::RecordUnaudited {
                        record: record.clone(),
                    }
                }))
                .collect(),
        ),
        Target::AuditMac { seq } => (
            VerifyFinding::EventAltered { seq: *seq },
            // The signature is of the chain value as stored: it no longer verifies.
            std::iter::once(VerifyFinding::EventSignatureInvalid {
                seq: *seq,
                signer: SIGNER.into(),
            })
            .chain(if *seq == plan.last_seq {
                Some(VerifyFinding::HeadMismatch { last_seq: *seq })
            } else {
                Some(VerifyFinding::EventAltered { seq: seq + 1 })
            })
            .collect(),
        ),
        Target::AuditSignature { seq } => (
            VerifyFinding::EventSignatureInvalid {
                seq: *seq,
                signer: SIGNER.into(),
            },
            Vec::new(),
        ),
        Target::AuditWrites { seq } => (
            VerifyFinding::EventAltered { seq: *seq },
            std::iter::once(VerifyFinding::EventUnreadable { seq: *seq })
                .chain(plan.writes.get(seq).into_iter().flatten().map(|record| {
                    VerifyFinding::RecordUnaudited {
                        record: record.clone(),
                    }
                }))
                .collect(),
        ),
    }
}

fn finding_name(f: &VerifyFinding) -> &'static str {
    match f {
        VerifyFinding::EventAltered { .. } => "event altered",
        VerifyFinding::EventsMissing { .. } => "events missing",
        VerifyFinding::EventUnreadable { .. } => "event unreadable",
        VerifyFinding::HeadMismatch { .. } => "head mismatch",
        VerifyFinding::AnchorNotExtended { .. } => "anchor not extended",
        VerifyFinding::RecordChanged { .. } => "record changed",
        VerifyFinding::RecordMissing { .. } => "record missing",
        VerifyFinding::RecordUnaudited { .. } => "record unaudited",
        VerifyFinding::EventSignatureInvalid { .. } => "event signature invalid",
        VerifyFinding::WriteNotAllowed { .. } => "write not allowed",
        VerifyFinding::SearchIndexDamaged { .. } => "search index damaged",
        VerifyFinding::SearchIndexIncomplete { .. } => "search index incomplete",
    }
}

/// Runs `audit verify` in the worker's session and checks it names the flip.
fn check_verify(plan: &Plan, w: &mut Worker, flip: &Flip) -> Result<String, String> {
    let report = w
        .session
        .verify_audit(None)
        .map_err(|e| format!("audit verify failed instead of reporting: {e}"))?;
    if report.is_intact() {
        return Err("PASSED AS GENUINE: audit verify found nothing".into());
    }
    let (naming, allowed) = allowed_findings(plan, flip);
    if !report.findings.contains(&naming) {
        return Err(format!(
            "audit verify does not say {naming:?}: {:?}",
            report.findings
        ));
    }
    let extra: Vec<_> = report
        .findings
        .iter()
        .filter(|f| **f != naming && !allowed.contains(f))
        .collect();
    if !extra.is_empty() {
        return Err(format!("audit verify also reports unrelated {extra:?}"));
    }
    let names: BTreeSet<&str> = report.findings.iter().map(finding_name).collect();
    Ok(format!(
        "verify: {}",
        names.into_iter().collect::<Vec<_>>().join(" + ")
    ))
}

/// Reads the flipped record through the library where a reader exists; it must fail
/// as an integrity failure naming the record. `None` when no reader opens it.
fn check_read(plan: &Plan, w: &mut Worker, flip: &Flip) -> Option<Result<(), String>> {
    let Target::Record { kind, id, version } = &flip.target else {
        return None;
    };
    let latest = |kind: &str, id: &str| -> u32 {
        w.db.query_row(
            "SELECT MAX(version) FROM main.records WHERE kind = ?1 AND id = ?2",
            params![kind, id],
            |r| r.get(0),
        )
        .unwrap()
    };
    let ada = plan.workflow.clients[0].clone();
    let result = match kind.as_str() {
        "note" => w.session.note_version(id, *version).map(drop),
        "client" => w.session.client(id).map(drop),
        "consent" if *version == latest(kind, id) => w.session.consent(id).map(drop),
        "policy" if *version == latest(kind, id) => w.session.policy().map(drop),
        "intake" => w.session.client_details(&ada).map(drop),
        "accounting" => w.session.accounting(&ada).map(drop),
        _ => return None,
    };
    let label = flip.target.label();
    Some(match result {
        Ok(()) => Err(format!("PASSED AS GENUINE: reading {label} succeeded")),
        Err(e) if e.class() == ErrorClass::Integrity && e.to_string().contains(&label) => Ok(()),
        Err(e) => Err(format!(
            "reading {label} failed as {:?}, not an integrity failure naming it: {e}",
            e.class()
        )),
    })
}

/// Unlocks through the flipped keyslot (a fresh `Vault::open` on the worker's file),
/// then has the worker's session verify.
fn check_keyslot(
    plan: &Plan,
    w: &mut Worker,
    flip: &Flip,
    expected: i32,
) -> Result<String, String> {
    let Target::Keyslot { name } = &flip.target else {
        unreachable!()
    };
    let vault = Vault::open(&w.path).map_err(|e| format!("Vault::open failed: {e}"))?;
    let attempt = match name.as_str() {
        "passphrase" => vault
            .unlock(&SecretString::from(PASSPHRASE), "tamper-test")
            .map(drop),
        _ => vault
            .recover(
                &RecoveryCode::parse(&SecretString::from(plan.workflow.recovery_code.clone())),
                &SecretString::from(NEW_PASSPHRASE),
                None,
                "tamper-test",
            )
            .map(drop),
    };
    let error = match attempt {
        Ok(()) => return Err(format!("PASSED AS GENUINE: the {name} keyslot still opens")),
        Err(e) => e,
    };
    let code = class_code(&error);
    let message = error.to_string();
    if message.contains(PASSPHRASE) || message.contains(&plan.workflow.recovery_code) {
        return Err(format!("the error shows the secret: {message}"));
    }
    if code != expected {
        return Err(format!(
            "unlocking gave exit {code} ({message}), SECURITY.md says {expected}"
        ));
    }
    let failed = w.failed_unlocks();
    if failed != i64::from(code == WRONG_SECRET) {
        return Err(format!(
            "{failed} failed unlocks recorded after an exit-{code} unlock"
        ));
    }
    let how = match code {
        WRONG_SECRET => "unlock: wrong secret (3)".to_owned(),
        _ => {
            let wanted = format!("the {name} keyslot cannot be used");
            if !message.contains(&wanted) {
                return Err(format!("the message does not say {wanted:?}: {message}"));
            }
            format!(
                "unlock: keyslot unusable (5): {}",
                message.split(": ").last().unwrap_or("")
            )
        }
    };
    let verified = check_verify(plan, w, flip)?;
    Ok(format!("{how}; {verified}"))
}

fn run_one(plan: &Plan, w: &mut Worker, flip: &Flip) -> (String, Result<String, String>) {
    w.restore();
    let original = flip.target.read(&w.db);
    let part = match &flip.target {
        Target::Keyslot { .. } => Some(keyslot_expectation(&original, flip.offset, flip.mask)),
        _ => None,
    };
    flip.apply(&w.db);
    let area = area_of(&flip.target, part.map(|p| p.0));
    let outcome = catch_unwind(AssertUnwindSafe(|| match part {
        Some((_, expected)) => check_keyslot(plan, w, flip, expected),
        None => {
            let read = check_read(plan, w, flip);
            let verified = check_verify(plan, w, flip);
            match (read, verified) {
                (Some(Err(e)), _) | (_, Err(e)) => Err(e),
                (Some(Ok(())), Ok(how)) => Ok(format!("read: integrity (5); {how}")),
                (None, Ok(how)) => Ok(how),
            }
        }
    }))
    .unwrap_or_else(|_| Err("PANICKED".into()));
    (area, outcome)
}

/// The sampled flip through the binary, on a fresh copy of the pristine file.
fn run_cli(plan: &Plan, flip: &Flip) -> Result<usize, String> {
    let v = TestVault::empty_fast();
    std::fs::copy(&plan.pristine.path, &v.path).unwrap();
    let original = flip.target.read(&v.sqlite());
    flip.apply(&v.sqlite());
    let label = flip.target.label();
    let code = &plan.workflow.recovery_code;
    let mut runs = 0;
    let mut run =
        |cmd: &mut assert_cmd::Command, args: &[&str]| -> Result<(i32, String, String), String> {
            runs += 1;
            let out = cmd.args(args).output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            let status = out.status.code().unwrap_or(-1);
            if status == 101 || stderr.contains("panicked") {
                return Err(format!("casevault {args:?} PANICKED: {stderr}"));
            }
            for secret in [PASSPHRASE, code.as_str(), NEW_PASSPHRASE] {
                if stdout.contains(secret) || stderr.contains(secret) {
                    return Err(format!("casevault {args:?} printed a secret"));
                }
            }
            Ok((status, stdout, stderr))
        };
    let expect_verify = |(status, stdout, stderr): (i32, String, String), naming: &str| {
        if status != INTEGRITY
            || !stdout.contains(naming)
            || !stderr.contains("audit verification found")
        {
            return Err(format!(
                "audit verify: exit {status}, expected 5 naming {naming:?}\nstdout: {stdout}\nstderr: {stderr}"
            ));
        }
        Ok(())
    };
    match &flip.target {
        Target::Record { kind, .. } if UNLOCK_READS.contains(&kind.as_str()) => {
            // The unlock itself opens these (the member's keys, the roster, the
            // caseloads): it fails, naming the record, before any command runs.
            let (status, stdout, stderr) = run(&mut v.cmd(), &["audit", "verify"])?;
            if status != INTEGRITY
                || !stderr.contains(&format!("{label} failed its integrity check"))
            {
                return Err(format!(
                    "audit verify: exit {status}, expected 5 naming {label} at unlock\nstdout: {stdout}\nstderr: {stderr}"
                ));
            }
        }
        Target::Record { kind, id, version } => {
            let out = run(&mut v.cmd(), &["audit", "verify"])?;
            expect_verify(
                out,
                &format!("{label} is not the ciphertext its last audited write produced"),
            )?;
            let version = version.to_string();
            let read: Option<Vec<&str>> = match kind.as_str() {
                "note" => Some(vec!["note", "show", id, "--version", &version]),
                "client" => Some(vec!["client", "show", id]),
                _ => None,
            };
            if let Some(args) = read {
                let (status, stdout, stderr) = run(&mut v.cmd(), &args)?;
                if status != INTEGRITY
                    || !stderr.contains(&format!("{label} failed its integrity check"))
                    || !stderr.contains("audit verify")
                    || !stdout.is_empty()
                {
                    return Err(format!(
                        "casevault {args:?}: exit {status}, expected 5 naming {label}\nstdout: {stdout}\nstderr: {stderr}"
                    ));
                }
            }
        }
        Target::AuditMac { .. } | Target::AuditDetails { .. } | Target::AuditWrites { .. } => {
            let out = run(&mut v.cmd(), &["audit", "verify"])?;
            expect_verify(
                out,
                &format!("{label} has been altered, reordered or inserted"),
            )?;
        }
        Target::AuditSignature { .. } => {
            let out = run(&mut v.cmd(), &["audit", "verify"])?;
            expect_verify(out, &format!("{label} is not signed by {SIGNER}"))?;
        }
        Target::Keyslot { name } => {
            let (part, expected) = keyslot_expectation(&original, flip.offset, flip.mask);
            let (status, _, stderr) = if name == "passphrase" {
                run(&mut v.cmd(), &["client", "list"])?
            } else {
                run(
                    v.cmd()
                        .env("CASEVAULT_RECOVERY_CODE", code)
                        .env("CASEVAULT_NEW_PASSPHRASE", NEW_PASSPHRASE),
                    &["recover"],
                )?
            };
            let wanted = match expected {
                WRONG_SECRET if name == "passphrase" => "wrong passphrase".to_owned(),
                WRONG_SECRET => "wrong recovery code".to_owned(),
                _ => format!("the {name} keyslot cannot be used"),
            };
            if status != expected || !stderr.contains(&wanted) || !stderr.contains("hint:") {
                return Err(format!(
                    "unlocking through the {name} keyslot ({part}): exit {status}, expected {expected} saying {wanted:?}\nstderr: {stderr}"
                ));
            }
            if name == "recovery" {
                let out = run(&mut v.cmd(), &["audit", "verify"])?;
                expect_verify(
                    out,
                    "the recovery keyslot is not the ciphertext its last audited write produced",
                )?;
            }
        }
    }
    Ok(runs)
}

#[test]
fn random_byte_flips_are_all_detected() {
    let started = Instant::now();
    let plan = plan();
    let built = started.elapsed();
    let results = Mutex::new(Results::default());
    let workers = 2;
    let sample_every = (plan.flips.len() / CLI_SAMPLE).max(1);

    let in_process = Mutex::new(std::time::Duration::ZERO);
    std::thread::scope(|scope| {
        for n in 0..workers {
            let in_process = &in_process;
            let plan = &plan;
            let results = &results;
            scope.spawn(move || {
                let mut w = Worker::new(plan, n);
                for flip in plan.flips.iter().skip(n).step_by(workers) {
                    let (area, outcome) = run_one(plan, &mut w, flip);
                    let mut r = results.lock().unwrap();
                    match outcome {
                        Ok(how) => r.count(&area, true, how),
                        Err(e) => {
                            r.count(&area, !e.starts_with("PASSED AS GENUINE"), "FAILED".into());
                            r.failures.push(format!("{}: {e}", flip.describe()));
                        }
                    }
                }
                // Put back, the worker's copy is whole: the restore is a real one.
                w.restore();
                let report = w.session.verify_audit(None).unwrap();
                assert!(report.is_intact(), "restored copy: {:?}", report.findings);
                let mut t = in_process.lock().unwrap();
                *t = (*t).max(started.elapsed());
            });
        }
        let plan = &plan;
        let results = &results;
        scope.spawn(move || {
            for flip in plan.flips.iter().step_by(sample_every) {
                let outcome = catch_unwind(AssertUnwindSafe(|| run_cli(plan, flip)))
                    .unwrap_or_else(|_| Err("the CLI check PANICKED".into()));
                let mut r = results.lock().unwrap();
                match outcome {
                    Ok(runs) => r.cli_runs += runs,
                    Err(e) => r
                        .failures
                        .push(format!("{} through the CLI: {e}", flip.describe())),
                }
            }
        });
    });

    let results = results.into_inner().unwrap();
    let total: usize = results.tally.values().map(|t| t.flips).sum();
    let detected: usize = results.tally.values().map(|t| t.detected).sum();
    let by_area = |prefix: &str| -> (usize, usize) {
        results
            .tally
            .iter()
            .filter(|(area, _)| area.starts_with(prefix))
            .fold((0, 0), |(f, d), (_, t)| (f + t.flips, d + t.detected))
    };
    let (rf, rd) = by_area("record");
    let (af, ad) = by_area("audit");
    let (kf, kd) = by_area("keyslot");
    println!(
        "\n{total} byte flips (seed {}): {detected} detected (records {rd}/{rf}, audit rows {ad}/{af}, keyslots {kd}/{kf}); {} CLI runs on {} sampled flips, all in {:.1} s (vault built in {:.1} s, in-process flips done at {:.1} s)",
        plan.seed,
        results.cli_runs,
        plan.flips.iter().step_by(sample_every).count(),
        started.elapsed().as_secs_f64(),
        built.as_secs_f64(),
        in_process.lock().unwrap().as_secs_f64(),
    );
    println!("\n| area | flips | detected | how (count) |\n|---|---|---|---|");
    for (area, t) in &results.tally {
        let how: Vec<String> = t.how.iter().map(|(h, n)| format!("{h} ({n})")).collect();
        println!(
            "| {area} | {} | {} | {} |",
            t.flips,
            t.detected,
            how.join("; ")
        );
    }
    assert_eq!(total, plan.flips.len(), "every flip was tried");
    assert!(
        results.failures.is_empty(),
        "{} of {total} flips failed (seed {}):\n{}",
        results.failures.len(),
        plan.seed,
        results
            .failures
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_keyslot_classifier_follows_security_md() {
    // A keyslot as casevault writes it, checked against the parts SECURITY.md names.
    let (v, _) = TestVault::init();
    let slot = common::keyslot(&v.sqlite(), "passphrase");
    let text = String::from_utf8_lossy(&slot);
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {text}"))
    };
    let args = at("-> casevault-argon2id ") + "-> casevault-argon2id ".len();
    assert_eq!(
        keyslot_expectation(&slot, 3, 0x01),
        ("version line", INTEGRITY)
    );
    assert_eq!(
        keyslot_expectation(&slot, args - 3, 0x01),
        ("stanza tag", INTEGRITY)
    );
    // Salt 'A' <-> 'C' stays base64 (a wrong secret); to '!' it is malformed.
    let salt_byte = slot[args + 1];
    assert_eq!(
        keyslot_expectation(&slot, args + 1, salt_byte ^ b'!').1,
        INTEGRITY
    );
    // Memory 65536 -> 75536: in bounds, another key. 65536 -> 05536: not canonical.
    let memory = at(" 65536 ") + 1;
    assert_eq!(
        keyslot_expectation(&slot, memory, b'6' ^ b'7'),
        ("memory", WRONG_SECRET)
    );
    assert_eq!(
        keyslot_expectation(&slot, memory, b'6' ^ b'0'),
        ("memory", INTEGRITY)
    );
    // Iterations 3 -> 2: below the minimum.
    let iterations = memory + "65536 ".len();
    assert_eq!(
        keyslot_expectation(&slot, iterations, b'3' ^ b'2'),
        ("iterations", INTEGRITY)
    );
    let mac = at("\n--- ") + 6;
    assert_eq!(keyslot_expectation(&slot, mac, 0x01).0, "header MAC");
    assert_eq!(
        keyslot_expectation(&slot, slot.len() - 1, 0x01),
        ("payload", INTEGRITY)
    );
}
