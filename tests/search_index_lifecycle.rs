//! The search index against a full decrypting scan through a practice's life: members
//! removed (new key epochs) and records sealed again (`rekey`), emergency access,
//! caseloads changed, a client destroyed, notes imported, a category added to the
//! policy. After each step every member's searches through the index must find
//! exactly what a reading of every note finds.

#[path = "common/practice.rs"]
mod practice;

use std::path::Path;

use casevault::{DestroyBasis, NewClient, NewNote, NoteType, SearchHit, Session};
use practice::{OWNER, add_member, date, new_vault, unlock};

const MEMBERS: &[&str] = &[OWNER, "bob", "carl", "sue", "bill", "rita"];

const QUERIES: &[&str] = &[
    "insomnia",
    "ideation",
    "wine",
    "transference",
    "session",
    "imported",
    "joint",
    "family history",
    "ins",
];

fn set_ready(path: &Path, ready: bool) {
    let db = rusqlite::Connection::open(path).expect("open the vault file");
    if ready {
        db.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES ('index.ready', x'31')",
            [],
        )
        .unwrap();
    } else {
        db.execute("DELETE FROM meta WHERE name = 'index.ready'", [])
            .unwrap();
    }
}

fn searches(session: &mut Session) -> Vec<Result<Vec<SearchHit>, String>> {
    QUERIES
        .iter()
        .map(|q| session.search(q, None).map_err(|e| e.to_string()))
        .collect()
}

/// Every member's searches through the index and by a full scan, compared.
fn compare(path: &Path, step: &str) {
    for member in MEMBERS {
        let mut session = unlock(path, member);
        let indexed = searches(&mut session);
        set_ready(path, false);
        let scanned = searches(&mut session);
        set_ready(path, true);
        for ((q, i), s) in QUERIES.iter().zip(&indexed).zip(&scanned) {
            assert_eq!(i, s, "after {step}: {member} searching {q:?}");
        }
        let report = session.verify_audit(None).expect("verify");
        assert!(
            report.is_intact(),
            "after {step}: {member}'s audit verify: {:?}",
            report.findings
        );
    }
}

fn client(session: &mut Session, name: &str) -> String {
    session
        .add_client(NewClient {
            name: name.into(),
            ..NewClient::default()
        })
        .unwrap()
        .to_string()
}

#[test]
fn every_member_finds_what_a_full_scan_finds_through_a_practice_s_life() {
    let (dir, path, mut owner) = new_vault();
    for (name, role) in [
        ("bob", "clinician"),
        ("carl", "clinician"),
        ("sue", "supervisor"),
        ("bill", "biller"),
        ("rita", "records"),
        ("dave", "clinician"),
    ] {
        add_member(&mut owner, name, role);
    }
    let a = client(&mut owner, "Ada Example");
    let b = client(&mut owner, "Ben Example");
    let c = client(&mut owner, "Cy Example");
    owner.assign_client("bob", &a, None).unwrap();
    owner.assign_client("bob", &b, None).unwrap();
    owner.assign_client("carl", &b, None).unwrap();
    owner.assign_client("dave", &a, None).unwrap();
    owner.assign_client("sue", &a, None).unwrap();
    owner
        .add_note(NewNote {
            clients: vec![a.clone().into(), b.clone().into()],
            date: date("2026-03-03"),
            note_type: Some(NoteType::Couples),
            body: "Joint session on insomnia.\n## risk\nNo ideation.\n".into(),
        })
        .unwrap();
    owner
        .add_note(NewNote::individual(
            &c,
            date("2026-03-04"),
            "Session: insomnia.\n## substance-use\nWine nightly.\n",
        ))
        .unwrap();
    drop(owner);
    let mut bob = unlock(&path, "bob");
    let bob_note = bob
        .add_note(NewNote::individual(
            &a,
            date("2026-03-05"),
            "Session one. Insomnia.\n## psychotherapy-notes\nTransference strong.\n## substance-use\nWine at weekends.\n",
        ))
        .unwrap();
    drop(bob);
    let mut dave = unlock(&path, "dave");
    dave.add_note(NewNote::individual(
        &a,
        date("2026-03-06"),
        "Session with dave.\n## psychotherapy-notes\nTransference, dave's view.\n## risk\nIdeation passive.\n",
    ))
    .unwrap();
    drop(dave);
    let mut carl = unlock(&path, "carl");
    carl.add_note(NewNote::individual(
        &b,
        date("2026-03-07"),
        "Ben's session.\n## psychotherapy-notes\nTransference, carl's view.\n",
    ))
    .unwrap();
    drop(carl);
    compare(&path, "the first notes");

    let mut owner = unlock(&path, OWNER);
    owner.remove_member("dave").unwrap();
    drop(owner);
    let mut bob = unlock(&path, "bob");
    bob.edit_note(
        bob_note.as_str(),
        "Session one, edited. Insomnia less.\n## psychotherapy-notes\nTransference eased.\n",
    )
    .unwrap();
    bob.add_note(NewNote::individual(
        &a,
        date("2026-03-08"),
        "Session two. Insomnia gone.\n## risk\nNo ideation.\n",
    ))
    .unwrap();
    drop(bob);
    compare(&path, "dave's removal and bob's notes in the new epoch");

    let mut owner = unlock(&path, OWNER);
    owner.rekey(&mut |_, _| {}).unwrap();
    drop(owner);
    compare(&path, "the owner's rekey");
    let mut bob = unlock(&path, "bob");
    bob.rekey(&mut |_, _| {}).unwrap();
    drop(bob);
    compare(&path, "bob's rekey");

    let mut carl = unlock(&path, "carl");
    let request = carl
        .request_access(&a, "client in crisis, bob away")
        .unwrap();
    drop(carl);
    let mut owner = unlock(&path, OWNER);
    owner.approve_access(&request, 2).unwrap();
    drop(owner);
    compare(&path, "carl's emergency access to A");

    let mut owner = unlock(&path, OWNER);
    owner.unassign_client("bob", &b).unwrap();
    owner.assign_client("sue", &b, None).unwrap();
    drop(owner);
    compare(&path, "caseload changes");

    let import = dir.path().join("import");
    std::fs::create_dir(&import).unwrap();
    std::fs::write(
        import.join("2026-02-01-session.md"),
        "Imported session: insomnia.\n## risk\nImported ideation note.\n",
    )
    .unwrap();
    let mut bob = unlock(&path, "bob");
    let report = bob.import_notes(&a, &import, &mut |_| {}).unwrap();
    assert_eq!(report.imported.len(), 1, "{report:?}");
    drop(bob);
    compare(&path, "an import");

    let mut owner = unlock(&path, OWNER);
    let policy = casevault::DEFAULT_POLICY.replacen(
        "\"third-party\",\n]",
        "\"third-party\", \"family-history\",\n]",
        1,
    );
    assert_ne!(policy, casevault::DEFAULT_POLICY, "the categories line");
    owner.set_policy(&policy).unwrap();
    owner
        .add_note(NewNote::individual(
            &a,
            date("2026-03-09"),
            "Session three.\n## family-history\nFamily history of insomnia.\n",
        ))
        .unwrap();
    drop(owner);
    compare(&path, "a category added");

    let mut owner = unlock(&path, OWNER);
    owner
        .change_care(
            &c,
            casevault::CareChange {
                treatment_ended: Some(date("2026-03-10")),
                ..casevault::CareChange::default()
            },
            casevault::Date::today(),
        )
        .unwrap();
    owner
        .destroy_client(&c, &DestroyBasis::RetentionEnded, date("2060-01-01"))
        .unwrap();
    owner.remove_member("carl").unwrap();
    owner.rekey(&mut |_, _| {}).unwrap();
    drop(owner);
    compare_without(&path, "C destroyed, carl removed, rekey", "carl");
}

fn compare_without(path: &Path, step: &str, gone: &str) {
    for member in MEMBERS.iter().filter(|m| **m != gone) {
        let mut session = unlock(path, member);
        let indexed = searches(&mut session);
        set_ready(path, false);
        let scanned = searches(&mut session);
        set_ready(path, true);
        for ((q, i), s) in QUERIES.iter().zip(&indexed).zip(&scanned) {
            assert_eq!(i, s, "after {step}: {member} searching {q:?}");
        }
        let report = session.verify_audit(None).expect("verify");
        assert!(
            report.is_intact(),
            "after {step}: {member}'s audit verify: {:?}",
            report.findings
        );
    }
}

/// A vault made before practices, migrated at its first unlock: searches read every
/// note until `index rebuild`, and find the same lines after it.
#[test]
fn a_migrated_vault_finds_the_same_after_its_rebuild() {
    let (_dir, path) = practice::fixture_copy();
    let pass = secrecy::SecretString::from(practice::FIXTURE_PASSPHRASE);
    let mut s = casevault::Vault::open(&path)
        .unwrap()
        .unlock(&pass, "dr-fixture")
        .expect("migrate and unlock");
    let queries = [
        "slept",
        "ideation",
        "drinks",
        "transference",
        "reschedule",
        "joint",
        "weekly",
    ];
    let scanned: Vec<_> = queries.iter().map(|q| s.search(q, None).unwrap()).collect();
    assert!(scanned.iter().all(|hits| hits.len() == 1), "{scanned:?}");
    let rebuilt = s.rebuild_search_index().unwrap();
    assert_eq!(rebuilt.incomplete, 0, "{rebuilt:?}");
    let indexed: Vec<_> = queries.iter().map(|q| s.search(q, None).unwrap()).collect();
    assert_eq!(indexed, scanned);
    let report = s.verify_audit(None).unwrap();
    assert!(report.is_intact(), "{:?}", report.findings);
}
