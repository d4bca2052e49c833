//! Whole operations on a vault, through the library, with the default KDF
//! (Argon2id, 64 MiB, t = 3, p = 4): unlock, add a note, show a note, search, and
//! `audit verify`, on a vault of `CASEVAULT_BENCH_NOTES` notes (default 2,000) of about
//! 2 KiB each. Each group builds its own vault once (so one group's audit events do
//! not weigh on the next), with the notes brought in by `import_notes`.
//!
//! `cargo bench --bench vault`; see docs/PERFORMANCE.md.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use casevault::{ClientId, KdfParams, NewClient, NewNote, NoteId, Session, Vault};
use criterion::{Criterion, criterion_group, criterion_main};
use secrecy::SecretString;

const ACTOR: &str = "bench";

fn notes_in_vault() -> usize {
    std::env::var("CASEVAULT_BENCH_NOTES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000)
}

fn passphrase() -> SecretString {
    SecretString::from("correct horse battery staple")
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    session: Session,
    client: ClientId,
    notes: Vec<NoteId>,
}

/// A vault with one client and `count` imported notes.
fn fixture(count: usize) -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("bench.vault");
    let (mut session, _code) =
        Vault::create(&path, &passphrase(), KdfParams::default(), ACTOR).expect("create");
    let client = session
        .add_client(NewClient {
            name: "Ada Example".into(),
            ..NewClient::default()
        })
        .expect("add a client");
    let files = dir.path().join("notes");
    std::fs::create_dir(&files).expect("a notes directory");
    common::write_note_files(&files, count, 5);
    let report = session
        .import_notes(&client, &files, &mut |_| {})
        .expect("import");
    assert_eq!(report.imported.len(), count, "{:?}", report.failed);
    let notes = report.imported.into_iter().map(|(_, id)| id).collect();
    Fixture {
        _dir: dir,
        path,
        session,
        client,
        notes,
    }
}

fn unlock(c: &mut Criterion) {
    let f = fixture(notes_in_vault());
    let pass = passphrase();
    let mut group = c.benchmark_group("vault");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("unlock (open + Argon2id default)", |b| {
        b.iter(|| {
            Vault::open(&f.path)
                .expect("open")
                .unlock(&pass, ACTOR)
                .expect("unlock")
        })
    });
    group.finish();
}

fn add_note(c: &mut Criterion) {
    let mut f = fixture(notes_in_vault());
    let mut rng = common::Rng::new(11);
    let body = common::note_body(&mut rng, 1, 2048);
    let date = "2026-03-01".parse().expect("a date");
    let mut group = c.benchmark_group("vault");
    group.bench_function(
        format!("add_note (2 KiB, vault of {})", f.notes.len()),
        |b| {
            b.iter(|| {
                f.session
                    .add_note(NewNote::individual(&f.client, date, &body))
                    .expect("add a note")
            })
        },
    );
    group.finish();
}

fn show_note(c: &mut Criterion) {
    let mut f = fixture(notes_in_vault());
    let id = f.notes[f.notes.len() / 2].clone();
    let mut group = c.benchmark_group("vault");
    group.bench_function(format!("note show (vault of {})", f.notes.len()), |b| {
        b.iter(|| f.session.note(&id).expect("show a note"))
    });
    group.finish();
}

fn search(c: &mut Criterion) {
    let mut f = fixture(notes_in_vault());
    let mut group = c.benchmark_group("vault");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function(format!("search (over {} notes)", f.notes.len()), |b| {
        b.iter(|| {
            let hits = f
                .session
                .search(common::RARE_WORD, Some(&f.client))
                .expect("search");
            assert!(!hits.is_empty());
            hits
        })
    });
    group.finish();
}

fn verify(c: &mut Criterion) {
    let mut f = fixture(notes_in_vault());
    let mut group = c.benchmark_group("vault");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function(
        format!("audit verify (vault of {} notes)", f.notes.len()),
        |b| {
            b.iter(|| {
                let report = f.session.verify_audit(None).expect("verify");
                assert!(report.is_intact());
                report
            })
        },
    );
    group.finish();
}

/// A practice of 20 members (an owner, 15 clinicians, a supervisor, two billers and a
/// records member) and `CASEVAULT_BENCH_CLIENTS` clients (default 2,000), each assigned
/// to a clinician: unlocking as a clinician (who holds the keys of their caseload) and
/// as a biller (every client's identity, attendance and diagnosis). Each has unlocked
/// once before, so their grants are taken in.
fn unlock_practice(c: &mut Criterion) {
    let clients: usize = std::env::var("CASEVAULT_BENCH_CLIENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("practice.vault");
    let pass = passphrase();
    let (mut owner, _) = Vault::create(&path, &pass, KdfParams::default(), ACTOR).expect("create");
    let mut members = Vec::new();
    for i in 0..15 {
        members.push((format!("clinician-{i}"), "clinician"));
    }
    members.push(("supervisor".into(), "supervisor"));
    members.push(("biller-1".into(), "biller"));
    members.push(("biller-2".into(), "biller"));
    members.push(("records".into(), "records"));
    for (name, role) in &members {
        owner
            .add_member(name, role, &pass, KdfParams::default())
            .expect("add a member");
    }
    for i in 0..clients {
        let id = owner
            .add_client(NewClient {
                name: format!("Client {i}"),
                ..NewClient::default()
            })
            .expect("add a client");
        owner
            .assign_client(&format!("clinician-{}", i % 15), &id, None)
            .expect("assign");
    }
    drop(owner);
    for name in ["clinician-0", "biller-1"] {
        Vault::open(&path)
            .expect("open")
            .unlock_member(&pass, ACTOR, Some(name))
            .expect("a first unlock takes the grants in");
    }
    let mut group = c.benchmark_group("practice");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    for name in ["clinician-0", "biller-1"] {
        group.bench_function(
            format!("unlock as {name}, 20 members, {clients} clients"),
            |b| {
                b.iter(|| {
                    Vault::open(&path)
                        .expect("open")
                        .unlock_member(&pass, ACTOR, Some(name))
                        .expect("unlock")
                })
            },
        );
    }
    group.finish();
}

criterion_group!(
    benches,
    unlock,
    add_note,
    show_note,
    search,
    verify,
    unlock_practice
);
criterion_main!(benches);
