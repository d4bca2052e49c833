//! Adversarial tests of PRACTICE.md §1–§3's claim: a member's passphrase, with a full
//! copy of the vault file, opens exactly what their role and caseload grant and nothing
//! else; they learn nothing of the rest beyond counts and padded sizes; every event is
//! signed by the member who acted and any member verifies the chain; removal and
//! narrowing start a new key epoch.
//!
//! A test that FAILS is a finding (its comment says what breaks); a test that passes is
//! kept as a regression guard against a plausible attack.

use std::path::{Path, PathBuf};

use casevault::internals::{RecordKind, RecordRef, note_parts, open_part_with};
use casevault::{
    ConsentRecipient, Date, Error, ErrorClass, KdfParams, NewClient, NewConsent, NewNote,
    Relationship, Session, Vault,
};
use secrecy::SecretString;

#[path = "common/practice.rs"]
mod practice;

use practice::*;

/// Every (category, text) of every note part `keys` open, for notes `keys` open.
fn readable_parts(path: &Path, keys: &Keys) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for row in rows(path)
        .iter()
        .filter(|r| r.reference.kind == RecordKind::Note)
    {
        let Some(plain) = open_row(keys, row) else {
            continue;
        };
        for (place, compartment, sealed) in note_parts(&plain) {
            for (_, key) in keys {
                if let Some((category, text)) =
                    open_part_with(key, &row.reference, &place, &compartment, &sealed)
                {
                    out.push((row.reference.id.clone(), category, text));
                    break;
                }
            }
        }
    }
    out
}

/// The compartments named by a record's age stanzas (`-> casevault-record <salt> <id>`).
fn stanza_ids(ciphertext: &[u8]) -> Vec<String> {
    let end = ciphertext
        .windows(4)
        .position(|w| w == b"\n---")
        .unwrap_or(ciphertext.len());
    String::from_utf8_lossy(&ciphertext[..end])
        .lines()
        .filter_map(|l| l.strip_prefix("-> casevault-record "))
        .filter_map(|rest| {
            let mut parts = rest.split(' ');
            let _salt = parts.next()?;
            parts.next().map(str::to_owned)
        })
        .collect()
}

fn new_client(session: &mut Session, name: &str) -> String {
    session
        .add_client(NewClient {
            name: name.into(),
            ..NewClient::default()
        })
        .unwrap_or_else(|e| panic!("add client {name}: {e}"))
        .to_string()
}

fn new_note(session: &mut Session, client: &str, day: &str, body: &str) -> String {
    session
        .add_note(NewNote::individual(client, date(day), body))
        .unwrap_or_else(|e| panic!("{} adds a note: {e}", session.member()))
        .to_string()
}

fn consent_for(client: &str) -> NewConsent {
    NewConsent {
        client: client.into(),
        recipient: ConsentRecipient {
            name: "Dr. Osei".into(),
            organization: None,
            public_key: None,
        },
        purposes: vec!["treatment".into()],
        categories: vec!["diagnosis".into()],
        excluded: Vec::new(),
        effective: date("2020-01-01"),
        expires: date("2099-12-31"),
        signed_by: String::new(),
        relationship: Relationship::Client,
        tpo: None,
    }
}

const SECRET_NOTE: &str =
    "Arrived on time.\n## substance-use\nCANARY-SUBSTANCE\n## psychotherapy-notes\nCANARY-PN\n";

/// A practice: owner, clinician `bob` (caseload: A), clinician `dave` (caseload: B),
/// supervisor `sue` (no caseload), biller `bill`, records `rita`. Client A has a note
/// by bob with substance-use and psychotherapy notes; client B a note by dave.
struct Practice {
    _dir: tempfile::TempDir,
    path: PathBuf,
    owner: Session,
    a: String,
    b: String,
}

fn practice() -> Practice {
    let (dir, path, mut owner) = new_vault();
    add_member(&mut owner, "bob", "clinician");
    add_member(&mut owner, "dave", "clinician");
    add_member(&mut owner, "sue", "supervisor");
    add_member(&mut owner, "bill", "biller");
    add_member(&mut owner, "rita", "records");
    let a = new_client(&mut owner, "Ada Alpha");
    let b = new_client(&mut owner, "Zed Beta");
    owner
        .assign_client("bob", &a, None)
        .expect("assign A to bob");
    owner
        .assign_client("dave", &b, None)
        .expect("assign B to dave");
    {
        let mut bob = unlock(&path, "bob");
        new_note(&mut bob, &a, "2026-03-01", SECRET_NOTE);
    }
    {
        let mut dave = unlock(&path, "dave");
        new_note(
            &mut dave,
            &b,
            "2026-03-02",
            "B's session.\n## risk\nCANARY-B-RISK\n",
        );
    }
    Practice {
        _dir: dir,
        path,
        owner,
        a,
        b,
    }
}

fn is_denied(e: &Error) -> bool {
    matches!(e, Error::KeyDenied { .. } | Error::RoleDenied { .. })
}

// ---------------------------------------------------------------------------------
// Reads beyond role and caseload
// ---------------------------------------------------------------------------------

/// Claim: taking a client off a clinician's caseload deletes every grant of the
/// client's compartments (every epoch) and starts a new epoch, so that what is written
/// after does not open with anything they hold, through the API or the raw keys.
#[test]
fn unassigned_clinician_reads_nothing_of_the_client_afterwards() {
    let mut p = practice();
    p.owner.unassign_client("bob", &p.a).expect("unassign");
    new_note(
        &mut p.owner,
        &p.a,
        "2026-03-05",
        "After.\n## risk\nCANARY-AFTER\n",
    );
    let keys = keys_of(&p.path, "bob");
    for (note, category, text) in readable_parts(&p.path, &keys) {
        assert!(
            text.is_empty() || category == "psychotherapy-notes",
            "bob still opens {category} of note {note}: {text:?}"
        );
    }
    let mut bob = unlock(&p.path, "bob");
    let err = bob.notes_for_client(&p.a).expect_err("bob reads A's notes");
    assert!(is_denied(&err), "{err:?}");
    let hits = bob.search("canary", None).expect("search");
    assert!(hits.is_empty(), "search leaks to bob: {hits:?}");
}

/// Claim: psychotherapy notes belong to their author alone (not the owner, not
/// records, not a clinician sharing the client), through the API and the raw keys.
#[test]
fn only_the_author_opens_psychotherapy_notes() {
    let mut p = practice();
    p.owner
        .assign_client("dave", &p.a, None)
        .expect("assign A to dave too");
    for member in [OWNER, "dave", "rita", "sue", "bill"] {
        let keys = keys_of(&p.path, member);
        for (_, category, text) in readable_parts(&p.path, &keys) {
            assert!(
                !text.contains("CANARY-PN"),
                "{member} opens bob's psychotherapy notes ({category})"
            );
        }
    }
    let mut rita = unlock(&p.path, "rita");
    let hits = rita.search("canary-pn", None).expect("search");
    assert!(hits.is_empty(), "{hits:?}");
}

/// Claim: a biller and a supervisor do not read substance-use; a clinician does not
/// read another clinician's client, by the keys or the API (search included).
#[test]
fn narrower_roles_open_no_substance_use_and_no_other_caseload() {
    let mut p = practice();
    p.owner
        .assign_client("sue", &p.a, None)
        .expect("assign A to sue");
    for member in ["bill", "sue"] {
        let keys = keys_of(&p.path, member);
        for (_, category, text) in readable_parts(&p.path, &keys) {
            assert!(
                !text.contains("CANARY-SUBSTANCE"),
                "{member} opens substance-use ({category})"
            );
        }
        let mut s = unlock(&p.path, member);
        assert!(s.search("canary-substance", None).unwrap().is_empty());
    }
    let mut dave = unlock(&p.path, "dave");
    assert!(
        dave.search("canary", None)
            .unwrap()
            .iter()
            .all(|h| h.line.contains("CANARY-B"))
    );
    let err = dave.notes_for_client(&p.a).expect_err("dave reads A");
    assert!(is_denied(&err), "{err:?}");
    // dave lists only the clients he holds
    let names: Vec<String> = dave
        .list_clients()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["Zed Beta"], "dave's client list");
}

/// Claim: narrowing a role (clinician -> biller) deletes what the new role does not
/// read and starts a new epoch: later substance-use text does not open with anything
/// the member holds.
#[test]
fn narrowed_role_reads_no_later_substance_use() {
    let mut p = practice();
    p.owner
        .set_member_role("bob", "biller")
        .expect("narrow bob");
    new_note(
        &mut p.owner,
        &p.a,
        "2026-03-06",
        "x\n## substance-use\nCANARY-LATER\n",
    );
    let keys = keys_of(&p.path, "bob");
    for (_, category, text) in readable_parts(&p.path, &keys) {
        assert!(
            !text.contains("CANARY-LATER") && !text.contains("CANARY-SUBSTANCE"),
            "narrowed bob opens {category}: {text:?}"
        );
    }
}

/// Claim: emergency access wraps the client's compartments but never psychotherapy
/// notes, and does not extend to other clients.
#[test]
fn emergency_access_is_one_client_without_psychotherapy_notes() {
    let p = practice();
    let id = {
        let mut dave = unlock(&p.path, "dave");
        dave.request_access(&p.a, "covering for bob")
            .expect("request")
    };
    let mut rita = unlock(&p.path, "rita");
    rita.approve_access(&id, 1).expect("approve");
    let keys = keys_of(&p.path, "dave");
    let texts: Vec<String> = readable_parts(&p.path, &keys)
        .into_iter()
        .map(|(_, _, t)| t)
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("CANARY-SUBSTANCE")),
        "access granted"
    );
    assert!(!texts.iter().any(|t| t.contains("CANARY-PN")), "PN leaked");
    // Nothing expires today: end_expired_access ends nothing and leaves the grants.
    assert!(rita.end_expired_access().expect("end").is_empty());
}

/// Found by review, fixed; kept as a guard. Claim: a member learns nothing about clients outside their caseload beyond
/// counts and padded sizes. Broke: emergency access requests are records of the
/// practice compartment (`Access::write`, members.rs `request_access`), which every
/// member holds, and `Session::access_requests` has no permission check: a supervisor
/// with no caseload (or a biller) reads every request, with its client and the
/// requester's free-text justification, which is clinical ("in crisis", "suicidal").
/// Fix: seal a request for the client's compartment (or the audit/approvers' key and
/// the requester's own) and let only approvers and the requester list them.
#[test]
fn emergency_requests_are_not_readable_by_every_member() {
    let p = practice();
    {
        let mut dave = unlock(&p.path, "dave");
        dave.request_access(&p.a, "CANARY-JUSTIFICATION client A in suicidal crisis")
            .expect("request");
    }
    let mut sue = unlock(&p.path, "sue");
    match sue.access_requests() {
        Ok(requests) => assert!(
            requests
                .iter()
                .all(|r| !r.justification.contains("CANARY-JUSTIFICATION")),
            "a supervisor with no caseload reads another member's emergency request about \
             client {}: {:?}",
            p.a,
            requests
        ),
        Err(e) => assert!(is_denied(&e), "{e:?}"),
    }
}

/// Claim: a non-reviewer reads only their own events' details; others' are counted as
/// hidden. And the event purposes of others (a request's justification) do not leak.
#[test]
fn a_non_reviewer_reads_only_their_own_events() {
    let mut p = practice();
    p.owner.add_consent(consent_for(&p.a)).expect("consent");
    for member in ["bob", "bill", "sue"] {
        let mut s = unlock(&p.path, member);
        let (events, hidden) = s.audit_log_counted().expect("log");
        assert!(hidden > 0, "{member} sees every event");
        for e in &events {
            assert_eq!(
                e.member.as_deref(),
                Some(member),
                "{member} reads event {} of {:?}",
                e.seq,
                e.member
            );
        }
        assert!(
            s.verify_audit(None).expect("verify").is_intact(),
            "{member} verifies"
        );
    }
}

/// Found by review, fixed; kept as a guard (cross-client). Claim: a clinician reads only their caseload's clients.
/// A disclosure decision on client A is sealed for A's `disclosures` compartment; when
/// the range holds a joint note with client B, the decision stores B's consent ids and
/// whether B permits (`JointVerdict.participants`/`missing`), and A's holders (a
/// clinician of A only, the biller) read it, learning about B's consents which their
/// keys do not open. Checked through the API: bob (A only) reads A's decision and
/// finds B's consent there.
#[test]
fn a_decision_on_a_joint_note_does_not_reveal_the_other_clients_consents() {
    let mut p = practice();
    // owner writes a couples note for A and B
    p.owner
        .add_note({
            let mut n =
                NewNote::individual(&p.a, date("2026-03-03"), "Joint.\n## diagnosis\nF41\n");
            n.clients.push(p.b.as_str().into());
            n.note_type = Some(casevault::NoteType::Couples);
            n
        })
        .expect("joint note");
    let (b_consent, _) = p.owner.add_consent(consent_for(&p.b)).expect("B consent");
    p.owner.add_consent(consent_for(&p.a)).expect("A consent");
    let request = casevault::DisclosureRequest {
        client: p.a.as_str().into(),
        recipient: "Dr. Osei".into(),
        purpose: "treatment".into(),
        categories: vec!["diagnosis".into()],
        consent: None,
        exception: None,
        from: None,
        until: None,
        recipient_kind: None,
    };
    let mut rita = unlock(&p.path, "rita");
    let decided = rita
        .decide_disclosure(&request, date("2026-04-01"), true)
        .expect("dry run");
    drop(rita);
    // bob (caseload: A only) reads every record his keys open; B's consent id must not
    // appear in anything he can read.
    let keys = keys_of(&p.path, "bob");
    let b_consent = b_consent.to_string();
    for row in rows(&p.path) {
        if matches!(row.reference.kind, RecordKind::Consent) && row.reference.id == b_consent {
            assert!(
                open_row(&keys, &row).is_none(),
                "bob opens B's consent itself"
            );
            continue;
        }
        if let Some(plain) = open_row(&keys, &row) {
            let text = String::from_utf8_lossy(&plain);
            assert!(
                !text.contains(&b_consent),
                "bob (not B's clinician) reads B's consent {b_consent} in {} {} \
                 (decision {})",
                row.reference.kind.as_str(),
                row.reference.id,
                decided.id
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// Writes beyond the role
// ---------------------------------------------------------------------------------

/// Claim: writes are the role's to allow: a biller writes no note, a supervisor no
/// consent, a clinician no policy and no member, a records member no note; each
/// refusal leaves no grant or record behind.
#[test]
fn writes_the_role_does_not_allow_are_refused() {
    let mut p = practice();
    p.owner
        .assign_client("sue", &p.a, None)
        .expect("assign A to sue");
    let count = |path: &Path, table: &str| -> i64 {
        let db = rusqlite::Connection::open(path).unwrap();
        db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    let before = (count(&p.path, "records"), count(&p.path, "grants"));
    let mut bill = unlock(&p.path, "bill");
    let e = bill
        .add_note(NewNote::individual(
            &p.a,
            date("2026-03-09"),
            "biller's note",
        ))
        .expect_err("biller writes a note");
    assert!(is_denied(&e), "{e:?}");
    let e = bill
        .add_client(NewClient {
            name: "Sneaky".into(),
            ..NewClient::default()
        })
        .expect_err("biller adds a client");
    assert!(is_denied(&e), "{e:?}");
    let mut sue = unlock(&p.path, "sue");
    let e = sue
        .add_consent(consent_for(&p.a))
        .expect_err("supervisor consent");
    assert!(is_denied(&e), "{e:?}");
    let e = sue
        .record_intake(&p.a, date("2026-03-01"))
        .expect_err("supervisor intake");
    assert!(is_denied(&e), "{e:?}");
    let mut bob = unlock(&p.path, "bob");
    let (_, policy) = bob.policy().expect("policy");
    let _ = policy;
    let e = bob
        .set_policy(casevault::DEFAULT_POLICY)
        .expect_err("clinician sets the policy");
    assert!(is_denied(&e), "{e:?}");
    let e = bob
        .add_member(
            "mallory",
            "owner",
            &passphrase("mallory"),
            KdfParams::default(),
        )
        .err()
        .expect("clinician adds a member");
    assert!(is_denied(&e), "{e:?}");
    let e = bob
        .assign_client("bob", &p.b, None)
        .expect_err("self-assign");
    assert!(is_denied(&e), "{e:?}");
    let e = bob
        .approve_access("00000000", 5)
        .expect_err("clinician approves");
    assert!(
        is_denied(&e) || matches!(e, Error::InvalidInput(_)),
        "{e:?}"
    );
    let mut rita = unlock(&p.path, "rita");
    let e = rita
        .add_note(NewNote::individual(
            &p.a,
            date("2026-03-09"),
            "records' note",
        ))
        .expect_err("records writes a note");
    assert!(is_denied(&e), "{e:?}");
    drop((bill, sue, bob, rita));
    let after = (count(&p.path, "records"), count(&p.path, "grants"));
    // Unlocking takes grants in (same count) and writes no record.
    assert_eq!(
        before, after,
        "a refused write left records or grants behind"
    );
}

/// Claim: a clinician who adds a client is assigned it; they cannot use that to reach
/// an existing client (the ids are random and assignment is members-only). And a
/// member may not request emergency access and approve it themselves unless their
/// role approves.
#[test]
fn a_clinician_cannot_self_approve_emergency_access() {
    let p = practice();
    let mut bob = unlock(&p.path, "bob");
    let id = bob.request_access(&p.b, "curious").expect("request");
    let e = bob.approve_access(&id, 30).expect_err("self approve");
    assert!(is_denied(&e), "{e:?}");
    assert!(bob.notes_for_client(&p.b).is_err());
}

// ---------------------------------------------------------------------------------
// What the file shows a thief (or a biller)
// ---------------------------------------------------------------------------------

/// Claim (SECURITY.md, "What someone holding the file sees"): no plaintext names,
/// categories or text anywhere in the file, in any table.
#[test]
fn no_plaintext_in_any_table() {
    let p = practice();
    let bytes = std::fs::read(&p.path).expect("read the file");
    let text = String::from_utf8_lossy(&bytes);
    for needle in [
        "Ada Alpha",
        "Zed Beta",
        "CANARY",
        "substance-use",
        "psychotherapy",
        "clinician",
        "supervisor",
        "biller",
        "diagnosis",
    ] {
        assert!(!text.contains(needle), "the file holds {needle:?} in clear");
    }
}

/// Claim: a biller (who opens every note's record, not its parts) cannot tell which
/// note has substance-use text: every note lists the same categories with parts of
/// the same size.
#[test]
fn a_biller_sees_the_same_part_shape_with_and_without_substance_use() {
    let mut p = practice();
    let (with, without) = {
        let mut bob = unlock(&p.path, "bob");
        let with = new_note(&mut bob, &p.a, "2026-03-07", "x\n## substance-use\nshort\n");
        let without = new_note(&mut bob, &p.a, "2026-03-08", "x\n## risk\nshort\n");
        (with, without)
    };
    let _ = &mut p.owner;
    let keys = keys_of(&p.path, "bill");
    let shape = |id: &str| -> Vec<usize> {
        let row = rows(&p.path)
            .into_iter()
            .find(|r| r.reference.kind == RecordKind::Note && r.reference.id == id)
            .unwrap();
        let plain = open_row(&keys, &row).expect("the biller opens the record");
        note_parts(&plain).iter().map(|(_, _, s)| s.len()).collect()
    };
    assert_eq!(shape(&with), shape(&without));
}

// ---------------------------------------------------------------------------------
// Audit trail
// ---------------------------------------------------------------------------------

fn audit_exec(path: &Path, sql: &str) {
    let db = rusqlite::Connection::open(path).unwrap();
    db.execute_batch(sql).unwrap();
}

/// Claim: an event's signer column changed to another member fails `audit verify`.
#[test]
fn changing_an_events_signer_is_caught() {
    let p = practice();
    drop(p.owner);
    audit_exec(
        &p.path,
        "UPDATE audit SET signer = 'dr-owner' WHERE seq = (SELECT max(seq) FROM audit WHERE signer = 'dave')",
    );
    let mut sue = unlock_or_verify(&p.path, "sue");
    let report = sue.verify_audit(None).expect("verify");
    assert!(!report.is_intact(), "a re-attributed event passed verify");
}

/// A member's session for verifying, even if the chain no longer takes events.
fn unlock_or_verify(path: &Path, member: &str) -> Session {
    unlock(path, member)
}

/// Claim: an event's details swapped for another event's (same signer) fail verify.
#[test]
fn swapping_event_details_is_caught() {
    let p = practice();
    drop(p.owner);
    let db = rusqlite::Connection::open(&p.path).unwrap();
    let seqs: Vec<i64> = db
        .prepare("SELECT seq FROM audit WHERE signer = 'dr-owner' ORDER BY seq DESC LIMIT 2")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    db.execute(
        "UPDATE audit SET details = (SELECT details FROM audit WHERE seq = ?1) WHERE seq = ?2",
        [seqs[1], seqs[0]],
    )
    .unwrap();
    drop(db);
    let mut rita = unlock(&p.path, "rita");
    assert!(!rita.verify_audit(None).expect("verify").is_intact());
}

/// Claim: the trail cut back (last events deleted) is refused: the sealed head no
/// longer matches, verify reports it, and no event is appended.
#[test]
fn truncating_the_trail_is_caught() {
    let p = practice();
    drop(p.owner);
    audit_exec(
        &p.path,
        "DELETE FROM audit WHERE seq > (SELECT max(seq) - 3 FROM audit)",
    );
    match Vault::open(&p.path)
        .unwrap()
        .unlock_member(&passphrase("rita"), "rita", Some("rita"))
    {
        Ok(mut rita) => {
            let report = rita.verify_audit(None).expect("verify");
            assert!(!report.is_intact(), "a truncated trail verifies");
            let e = rita.list_clients().expect_err("append after truncation");
            assert_eq!(e.class(), ErrorClass::Integrity, "{e:?}");
        }
        Err(e) => assert_eq!(e.class(), ErrorClass::Integrity, "{e:?}"),
    }
}

/// Claim: a removed member's old events still verify (their public key stays on the
/// roster), and the trail stays intact for every remaining member after removals,
/// narrowing and rekey.
#[test]
fn events_of_removed_members_still_verify() {
    let mut p = practice();
    p.owner.remove_member("dave").expect("remove dave");
    p.owner
        .set_member_role("bob", "supervisor")
        .expect("narrow bob");
    p.owner.rekey(&mut |_, _| {}).expect("rekey");
    for member in [OWNER, "rita", "bob", "bill", "sue"] {
        let mut s = unlock(&p.path, member);
        let report = s.verify_audit(None).expect("verify");
        assert!(report.is_intact(), "{member}: {:?}", report.findings);
    }
    let e = Vault::open(&p.path)
        .unwrap()
        .unlock_member(&passphrase("dave"), "dave", Some("dave"))
        .err()
        .expect("a removed member unlocks");
    assert!(matches!(e, Error::MemberRemoved(_)), "{e:?}");
}

/// Claim: after removal + rekey, nothing in the file opens with the keys the removed
/// member held before (taken from a copy made before the removal) except what they
/// could already read then and that was not rewritten... rekey re-seals everything
/// the running member holds, so a removed clinician's old keys open no current record.
#[test]
fn rekey_leaves_nothing_under_a_removed_members_old_keys() {
    let mut p = practice();
    let old_keys = keys_of(&p.path, "dave");
    p.owner.remove_member("dave").expect("remove dave");
    p.owner.rekey(&mut |_, _| {}).expect("rekey by the owner");
    {
        // dave's own psychotherapy notes are only his to re-seal; he is gone, so those
        // stay as they were. Everything else must be current.
        let keys = old_keys.clone();
        for row in rows(&p.path) {
            if row.reference.kind == RecordKind::Member {
                continue;
            }
            if let Some(plain) = open_row(&keys, &row) {
                panic!(
                    "dave's pre-removal keys still open {} {} v{} after rekey ({} bytes)",
                    row.reference.kind.as_str(),
                    row.reference.id,
                    row.reference.version,
                    plain.len()
                );
            }
        }
        for (note, category, text) in readable_parts(&p.path, &keys) {
            assert!(
                text.is_empty() || category == "psychotherapy-notes",
                "dave's old keys open {category} of note {note} after rekey: {text:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// Migration of a vault made before practices
// ---------------------------------------------------------------------------------

#[test]
fn the_single_user_fixture_migrates_completely() {
    let (_dir, path) = fixture_copy();
    let pass = SecretString::from(FIXTURE_PASSPHRASE);
    let mut s = Vault::open(&path)
        .unwrap()
        .unlock(&pass, "dr-fixture")
        .expect("migrate and unlock");
    let clients = s.list_clients().expect("clients");
    assert_eq!(clients.len(), 2);
    let ada = s.note("a10dc38a").expect("Ada's note");
    for needle in [
        "Slept better this week.",
        "No current ideation.",
        "Drinks twice a week.",
        "Transference noted.",
    ] {
        assert!(ada.body.contains(needle), "lost {needle:?}: {:?}", ada.body);
    }
    assert_eq!(ada.addenda.len(), 1);
    for version in 1..=3 {
        s.note_version("a10dc38a", version)
            .expect("every version reads");
    }
    let joint = s.note("e83b2823").expect("joint note");
    assert!(joint.body.contains("Weekly for eight weeks."));
    s.consent("014b8ac9").expect("consent");
    for c in &clients {
        s.accounting(c.id.as_str()).expect("accounting");
        s.client_details(c.id.as_str()).expect("details");
    }
    let report = s.verify_audit(None).expect("verify");
    assert!(report.is_intact(), "{:?}", report.findings);
    drop(s);
    // Nothing left under the old records key: every record row names a compartment,
    // except members' own keys.
    let legacy: Vec<String> = rows(&path)
        .into_iter()
        .filter(|r| r.reference.kind != RecordKind::Member)
        .filter(|r| stanza_ids(&r.ciphertext).is_empty())
        .map(|r| {
            format!(
                "{} {} v{}",
                r.reference.kind.as_str(),
                r.reference.id,
                r.reference.version
            )
        })
        .collect();
    assert!(
        legacy.is_empty(),
        "still under the old records key: {legacy:?}"
    );
}

/// Found by review, fixed; kept as a guard. Claim: "every member verifies the whole chain" and, for a migrated vault,
/// a member without the vault-wide keys counts the legacy prefix as
/// `legacy_unchecked` while "every record is checked from then on" (the migration's
/// event lists every record it sealed again). Broke: the keyslots `passphrase` and
/// `recovery` were last written by legacy events (MAC'd, sealed under the old records
/// key); the migration's event (migrate.rs `reseal`, mod.rs `PracticeFound`) lists the
/// records but not the keyslots, so any member other than the first reports
/// `RecordUnaudited` for both keyslots: `audit verify` exits 5 on a healthy vault.
/// Fix: list each keyslot's digest (a `keyslot` write target) in the migration's event.
#[test]
fn a_second_member_verifies_a_migrated_vault() {
    let (_dir, path) = fixture_copy();
    let pass = SecretString::from(FIXTURE_PASSPHRASE);
    drop(
        Vault::open(&path)
            .unwrap()
            .unlock(&pass, "dr-fixture")
            .expect("migrate"),
    );
    let mut s = Vault::open(&path)
        .unwrap()
        .unlock(&pass, "dr-fixture")
        .expect("second unlock");
    s.add_member("rita", "records", &passphrase("rita"), KdfParams::default())
        .expect("add records");
    drop(s);
    let mut rita = unlock(&path, "rita");
    let report = rita.verify_audit(None).expect("rita verifies");
    assert!(report.is_intact(), "{:?}", report.findings);
    assert!(
        rita.note("a10dc38a")
            .expect("rita reads")
            .body
            .contains("Drinks twice")
    );
    assert!(!rita.note("a10dc38a").unwrap().body.contains("Transference"));
}

// ---------------------------------------------------------------------------------
// Robustness against a hostile file
// ---------------------------------------------------------------------------------

/// Claim: a hostile grant row (garbage wrapping, unknown form, a grant for a member
/// that does not exist) causes an error, never a panic, and no mis-grant.
#[test]
fn hostile_grant_rows_do_not_panic() {
    let p = practice();
    drop(p.owner);
    let db = rusqlite::Connection::open(&p.path).unwrap();
    db.execute(
        "INSERT INTO grants (member, compartment, form, wrapped) VALUES ('bill', 'cdeadbeef', 'x25519', x'00')",
        [],
    )
    .unwrap();
    db.execute(
        "INSERT INTO grants (member, compartment, form, wrapped) VALUES ('sue', 'cfeed', 'weird', x'0102')",
        [],
    )
    .unwrap();
    drop(db);
    for member in ["bill", "sue"] {
        let result = std::panic::catch_unwind(|| {
            Vault::open(&p.path)
                .unwrap()
                .unlock_member(&passphrase(member), member, Some(member))
                .map(|mut s| s.list_clients().map(|c| c.len()))
        });
        let result = result.unwrap_or_else(|_| panic!("{member}'s unlock panicked"));
        if let Err(e) = &result {
            let text = e.to_string();
            assert!(!text.contains("Ada") && !text.contains("Zed"), "{text}");
        }
    }
}

/// Claim: a note row whose ciphertext is swapped for another note's (a member with
/// file access re-pointing a record) does not open as the other note.
#[test]
fn swapped_note_ciphertexts_do_not_open() {
    let p = practice();
    drop(p.owner);
    let all = rows(&p.path);
    let notes: Vec<&Row> = all
        .iter()
        .filter(|r| r.reference.kind == RecordKind::Note)
        .collect();
    let db = rusqlite::Connection::open(&p.path).unwrap();
    db.execute(
        "UPDATE records SET ciphertext = ?1 WHERE kind = 'note' AND id = ?2 AND version = ?3",
        rusqlite::params![
            notes[1].ciphertext,
            notes[0].reference.id,
            notes[0].reference.version
        ],
    )
    .unwrap();
    drop(db);
    let mut owner = unlock(&p.path, OWNER);
    let e = owner
        .note(&notes[0].reference.id)
        .expect_err("swapped note opens");
    assert_eq!(e.class(), ErrorClass::Integrity, "{e:?}");
}

// ---------------------------------------------------------------------------------
// A removed member who kept their own keys (from a copy of the file made before their
// removal, or simply from their passphrase and that copy) forging on the live file
// ---------------------------------------------------------------------------------

mod forge {
    use std::collections::HashSet;
    use std::io::Write;
    use std::iter;

    use age_core::format::{FileKey, Stanza};
    use age_core::primitives::{aead_encrypt, hkdf};
    use base64::Engine;
    use base64::prelude::BASE64_STANDARD_NO_PAD;
    use casevault::internals::RecordRef;
    use secrecy::ExposeSecret;
    use sha2::{Digest, Sha256};

    pub use super::practice::member_keys::{MemberSecrets, member_secrets};

    struct Rec<'a> {
        key: &'a [u8; 32],
        label: Vec<u8>,
        compartment: String,
    }

    impl age::Recipient for Rec<'_> {
        fn wrap_file_key(
            &self,
            file_key: &FileKey,
        ) -> Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
            let salt = [7u8; 16];
            let wrapping = hkdf(&salt, &self.label, self.key);
            let body = aead_encrypt(&wrapping, file_key.expose_secret());
            Ok((
                vec![Stanza {
                    tag: "casevault-record".into(),
                    args: vec![
                        BASE64_STANDARD_NO_PAD.encode(salt),
                        self.compartment.clone(),
                    ],
                    body,
                }],
                HashSet::new(),
            ))
        }
    }

    /// A record sealed as casevault seals it, for one compartment.
    pub fn seal_in(
        compartment: &str,
        key: &[u8; 32],
        reference: &RecordRef,
        plain: &[u8],
    ) -> Vec<u8> {
        let mut label = b"casevault.org/v1/record".to_vec();
        for part in [
            reference.kind.as_str().as_bytes(),
            reference.id.as_bytes(),
            &reference.version.to_be_bytes(),
        ] {
            label.extend_from_slice(&(part.len() as u32).to_be_bytes());
            label.extend_from_slice(part);
        }
        let rec = Rec {
            key,
            label,
            compartment: compartment.to_owned(),
        };
        let mut padded = (plain.len() as u32).to_le_bytes().to_vec();
        padded.extend_from_slice(plain);
        padded.resize((plain.len() + 4).next_power_of_two().max(512), 0);
        let encryptor =
            age::Encryptor::with_recipients(iter::once(&rec as &dyn age::Recipient)).unwrap();
        let mut out = Vec::new();
        let mut w = encryptor.wrap_output(&mut out).unwrap();
        w.write_all(&padded).unwrap();
        w.finish().unwrap();
        out
    }

    pub fn hash(parts: &[&[u8]]) -> [u8; 32] {
        let mut h = Sha256::new();
        for part in parts {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.finalize().into()
    }

    pub fn sha256_hex(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn sha256(bytes: &[u8]) -> [u8; 32] {
        Sha256::digest(bytes).into()
    }
}

/// Found by review, fixed; kept as a guard. Claim: "every event is signed by the member who acted" and removal takes
/// a member's access away; `audit verify` catches records "added outside casevault".
/// Broke: a removed member keeps their Ed25519 key (their passphrase opens their
/// keyslot in any copy made before the removal; the `member <name>` record holding
/// the key is never deleted) and their public key stays on the roster, which the
/// verifier uses for every event whatever its position (keyring.rs
/// `refresh_verifying` takes every member ever, `check_row`/`open_signed_head` never
/// ask whether the signer was active). The write list needs only a practice key of any
/// epoch (`open_writes` tries every epoch the verifier holds). So a removed clinician
/// writes a new version of a client's profile under a key of the epoch before their
/// removal, appends an event listing that write, signs it and the head with their own
/// key, and every remaining member's `audit verify` says intact while `list_clients`
/// shows the forged name. Fix: verify each signed event against the roster as it stood
/// at that event (refuse a signer removed before it; refuse a head signed by a removed
/// member), and accept a write list only under the practice key of the current epoch
/// at that event; read records only through keys of the current epoch once `rekey`
/// has run, or refuse records sealed under old epochs that were written after the epoch
/// changed.
#[test]
fn a_removed_member_cannot_append_verified_events_or_records() {
    let mut p = practice();
    // What dave takes with him: his keyslot and keys record (any copy has them) and
    // the compartment keys his passphrase unwraps today.
    let db = rusqlite::Connection::open(&p.path).unwrap();
    let keyslot: Vec<u8> = db
        .query_row(
            "SELECT keyslot FROM keyslots WHERE name = 'member/dave/passphrase'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(db);
    let old_keys = keys_of(&p.path, "dave");
    p.owner.remove_member("dave").expect("remove dave");
    drop(p.owner);

    let db = rusqlite::Connection::open(&p.path).unwrap();
    let member_record: Vec<u8> = db
        .query_row(
            "SELECT ciphertext FROM records WHERE kind = 'member' AND id = 'dave' AND version = 1",
            [],
            |r| r.get(0),
        )
        .expect("a removed member's keys record stays in the file");
    let dave = forge::member_secrets(
        &keyslot,
        &member_record,
        "dave",
        "the passphrase of dave, long enough",
    );
    // A new version of client B's profile, sealed for B's identity compartment of
    // epoch 1 (dave held it).
    let b_v1: Vec<u8> = db
        .query_row(
            "SELECT ciphertext FROM records WHERE kind = 'client' AND id = ?1 AND version = 1",
            [&p.b],
            |r| r.get(0),
        )
        .unwrap();
    let identity_id = stanza_ids(&b_v1)[0].clone();
    let identity_key = old_keys
        .iter()
        .find(|(id, _)| *id == identity_id)
        .expect("dave held B's identity key")
        .1;
    let reference = RecordRef::new(RecordKind::Client, p.b.clone(), 2);
    let forged = serde_json::json!({
        "id": p.b, "name": "FORGED NAME", "date_of_birth": null, "contact": null,
        "third_parties": [], "created_at": "2026-03-01T10:00:00Z",
    });
    let forged = forge::seal_in(
        &identity_id,
        &identity_key,
        &reference,
        serde_json::to_string(&forged).unwrap().as_bytes(),
    );
    db.execute(
        "INSERT INTO records (kind, id, version, ciphertext) VALUES ('client', ?1, 2, ?2)",
        rusqlite::params![p.b, forged],
    )
    .unwrap();
    // The event: details readable by dave alone, write list under epoch 1's practice key.
    let (last_seq, last_mac): (i64, Vec<u8>) = db
        .query_row(
            "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let seq = (last_seq + 1) as u64;
    let details = serde_json::json!({
        "seq": seq, "at": "2026-03-10T10:00:00Z", "actor": "dave", "action": "client.edit",
        "targets": [], "outcome": "ok", "member": "dave",
    });
    let details = forge::seal_in(
        "member-dave",
        &dave.personal,
        &RecordRef::new(RecordKind::AuditEvent, seq.to_string(), 1),
        details.to_string().as_bytes(),
    );
    let practice_key = old_keys
        .iter()
        .find(|(id, _)| id == "practice-1")
        .expect("dave held practice-1")
        .1;
    let writes = serde_json::json!({ "member": "dave", "writes": [{
        "kind": "client", "id": p.b, "version": 2, "access": "write",
        "sha256": forge::sha256_hex(&forged),
    }]});
    let writes = forge::seal_in(
        "practice-1",
        &practice_key,
        &RecordRef::new(RecordKind::AuditEvent, format!("{seq}/writes"), 1),
        writes.to_string().as_bytes(),
    );
    let value = forge::hash(&[
        b"casevault.org/v2/event",
        &last_mac,
        &seq.to_be_bytes(),
        b"dave",
        &forge::sha256(&details),
        &forge::sha256(&writes),
    ]);
    use ed25519_dalek::Signer;
    let signature = dave.signing.sign(&value).to_bytes().to_vec();
    db.execute(
        "INSERT INTO audit (seq, mac, details, signer, signature, writes) VALUES (?1, ?2, ?3, 'dave', ?4, ?5)",
        rusqlite::params![seq as i64, value.to_vec(), details, signature, writes],
    )
    .unwrap();
    let head_digest = forge::hash(&[b"casevault.org/v2/head", &seq.to_be_bytes(), &value]);
    let mut head = seq.to_be_bytes().to_vec();
    head.extend_from_slice(&value);
    head.extend_from_slice(&4u16.to_be_bytes());
    head.extend_from_slice(b"dave");
    head.extend_from_slice(&dave.signing.sign(&head_digest).to_bytes());
    db.execute(
        "UPDATE meta SET value = ?1 WHERE name = 'audit_head'",
        rusqlite::params![head],
    )
    .unwrap();
    drop(db);

    let mut owner = unlock(&p.path, OWNER);
    let report = owner.verify_audit(None).expect("verify");
    // The vault refuses to go on from a head a removed member signed (exit 5), or
    // lists what it holds: either way the forged version must not pass as genuine.
    let names: Vec<String> = owner
        .list_clients()
        .map(|clients| clients.into_iter().map(|c| c.name).collect())
        .unwrap_or_default();
    assert!(
        !report.is_intact() && !names.contains(&"FORGED NAME".to_owned()),
        "removed member dave appended event {seq} and a client version that every \
         member accepts: verify intact = {}, clients = {names:?}",
        report.is_intact()
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| matches!(f, casevault::VerifyFinding::EventSignatureInvalid { seq: s, signer } if *s == seq && signer == "dave")),
        "{:?}",
        report.findings
    );
}

/// A member's secrets, from their passphrase and the file.
fn secrets_of(path: &Path, member: &str) -> forge::MemberSecrets {
    let db = rusqlite::Connection::open(path).unwrap();
    let keyslot: Vec<u8> = db
        .query_row(
            "SELECT keyslot FROM keyslots WHERE name = ?1",
            [keyslot_of(member)],
            |r| r.get(0),
        )
        .unwrap();
    let record: Vec<u8> = db
        .query_row(
            "SELECT ciphertext FROM records WHERE kind = 'member' AND id = ?1 AND version = 1",
            [member],
            |r| r.get(0),
        )
        .unwrap();
    forge::member_secrets(
        &keyslot,
        &record,
        member,
        &format!("the passphrase of {member}, long enough"),
    )
}

/// Stores event `seq` (replacing it if present) as signed by `signer`, chained from
/// `prev`, and a head sealing it.
fn store_signed_event(
    path: &Path,
    seq: u64,
    prev: &[u8],
    signer: &str,
    key: &ed25519_dalek::SigningKey,
    details: &[u8],
    writes: &[u8],
) {
    use ed25519_dalek::Signer;
    let value = forge::hash(&[
        b"casevault.org/v2/event",
        prev,
        &seq.to_be_bytes(),
        signer.as_bytes(),
        &forge::sha256(details),
        &forge::sha256(writes),
    ]);
    let db = rusqlite::Connection::open(path).unwrap();
    db.execute(
        "INSERT OR REPLACE INTO audit (seq, mac, details, signer, signature, writes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            seq as i64,
            value.to_vec(),
            details,
            signer,
            key.sign(&value).to_bytes().to_vec(),
            writes
        ],
    )
    .unwrap();
    let digest = forge::hash(&[b"casevault.org/v2/head", &seq.to_be_bytes(), &value]);
    let mut head = seq.to_be_bytes().to_vec();
    head.extend_from_slice(&value);
    head.extend_from_slice(&(signer.len() as u16).to_be_bytes());
    head.extend_from_slice(signer.as_bytes());
    head.extend_from_slice(&key.sign(&digest).to_bytes());
    db.execute(
        "UPDATE meta SET value = ?1 WHERE name = 'audit_head'",
        rusqlite::params![head],
    )
    .unwrap();
}

/// Found by review, fixed; kept as a guard. Claim: "writes are the role's to allow (and each is signed by its member in
/// the audit trail)" and `audit verify` checks every record against its last audited
/// write. Broke: a key opens and seals alike, and the verifier never asks whether the
/// signer's role writes what their event lists (verify.rs `Verifier::events` takes
/// every write target of every signed event). A biller (reads identity, writes only
/// disclosures) with the file seals a new version of a client's profile under the
/// identity key they hold, appends an event listing it signed with their own key, and
/// `audit verify` is intact for every member while every member reads the new name.
/// Fix: in `audit verify` (and when reading), refuse a write target whose compartment
/// the signer's role (at that event) does not write; a record version whose last
/// audited writer may not write it is "unaudited".
#[test]
fn a_biller_cannot_write_a_profile_that_verifies() {
    let p = practice();
    drop(p.owner);
    let bill = secrets_of(&p.path, "bill");
    let keys = keys_of(&p.path, "bill");
    let db = rusqlite::Connection::open(&p.path).unwrap();
    let a_v1: Vec<u8> = db
        .query_row(
            "SELECT ciphertext FROM records WHERE kind = 'client' AND id = ?1 AND version = 1",
            [&p.a],
            |r| r.get(0),
        )
        .unwrap();
    let identity_id = stanza_ids(&a_v1)[0].clone();
    let identity_key = keys
        .iter()
        .find(|(id, _)| *id == identity_id)
        .expect("bill reads identity")
        .1;
    let practice_id = {
        let mut ids: Vec<&String> = keys
            .iter()
            .map(|(id, _)| id)
            .filter(|id| id.starts_with("practice-"))
            .collect();
        ids.sort();
        ids.last().unwrap().to_string()
    };
    let practice_key = keys.iter().find(|(id, _)| *id == practice_id).unwrap().1;
    let reference = RecordRef::new(RecordKind::Client, p.a.clone(), 2);
    let forged = serde_json::json!({
        "id": p.a, "name": "BILLER WAS HERE", "date_of_birth": null, "contact": null,
        "third_parties": [], "created_at": "2026-03-01T10:00:00Z",
    });
    let forged = forge::seal_in(
        &identity_id,
        &identity_key,
        &reference,
        forged.to_string().as_bytes(),
    );
    db.execute(
        "INSERT INTO records (kind, id, version, ciphertext) VALUES ('client', ?1, 2, ?2)",
        rusqlite::params![p.a, forged],
    )
    .unwrap();
    let (last_seq, last_mac): (i64, Vec<u8>) = db
        .query_row(
            "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(db);
    let seq = (last_seq + 1) as u64;
    let details = serde_json::json!({
        "seq": seq, "at": "2026-03-10T10:00:00Z", "actor": "bill", "action": "client.add",
        "targets": [], "outcome": "ok", "member": "bill",
    });
    let details = forge::seal_in(
        "member-bill",
        &bill.personal,
        &RecordRef::new(RecordKind::AuditEvent, seq.to_string(), 1),
        details.to_string().as_bytes(),
    );
    let writes = serde_json::json!({ "member": "bill", "writes": [{
        "kind": "client", "id": p.a, "version": 2, "access": "write",
        "sha256": forge::sha256_hex(&forged),
    }]});
    let writes = forge::seal_in(
        &practice_id,
        &practice_key,
        &RecordRef::new(RecordKind::AuditEvent, format!("{seq}/writes"), 1),
        writes.to_string().as_bytes(),
    );
    store_signed_event(
        &p.path,
        seq,
        &last_mac,
        "bill",
        &bill.signing,
        &details,
        &writes,
    );
    let mut rita = unlock(&p.path, "rita");
    let report = rita.verify_audit(None).expect("verify");
    let name = rita.client(&p.a).expect("read A").name;
    assert!(
        !report.is_intact() || name != "BILLER WAS HERE",
        "a biller wrote client A's profile and it verifies: intact = {}, name = {name:?}",
        report.is_intact()
    );
}

/// Found by review, fixed; kept as a guard. Claim (SECURITY.md, Audit trail): "An event edited, or re-signed by another
/// member, fails `audit verify` (exit 5) naming the event and the member", and "every
/// member verifies the whole chain". Broke: the only thing binding an event to the
/// member who acted is the `member` field inside its details (verify.rs `check_row`,
/// `event_member`), which only reviewers and the appender can open; the chain value and
/// the write list (readable by all) do not name the acting member beyond the `signer`
/// column itself. So a member (here the biller) re-signs the owner's last event as
/// theirs (signer column, signature, chain value, head) and a non-reviewer's
/// `audit verify` (bob's) is intact: only reviewers catch it. Fix: put the acting
/// member in the write list (sealed under the practice key every member holds) and
/// check it equals the signer, or sign over a hash of the plaintext details as well.
#[test]
fn an_event_re_signed_by_another_member_fails_every_members_verify() {
    let mut p = practice();
    p.owner
        .assign_client("sue", &p.a, None)
        .expect("an owner's event, last");
    drop(p.owner);
    let bill = secrets_of(&p.path, "bill");
    let db = rusqlite::Connection::open(&p.path).unwrap();
    let (seq, signer, details, writes): (i64, String, Vec<u8>, Vec<u8>) = db
        .query_row(
            "SELECT seq, signer, details, writes FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(signer, OWNER);
    let prev: Vec<u8> = db
        .query_row("SELECT mac FROM audit WHERE seq = ?1", [seq - 1], |r| {
            r.get(0)
        })
        .unwrap();
    drop(db);
    store_signed_event(
        &p.path,
        seq as u64,
        &prev,
        "bill",
        &bill.signing,
        &details,
        &writes,
    );
    let mut findings = Vec::new();
    for member in [OWNER, "rita", "bob", "sue"] {
        let mut s = unlock(&p.path, member);
        let report = s.verify_audit(None).expect("verify");
        if report.is_intact() {
            findings.push(member);
        }
    }
    assert!(
        findings.is_empty(),
        "the owner's event {seq}, re-signed by the biller, verifies for {findings:?}"
    );
}

/// Robustness. Claim: `rekey` re-seals every record the member holds after an epoch
/// change. Tries: a policy that drops a category (its notes keep their parts of it),
/// then a removal (new epoch), then `rekey`. `rekey_note` (admin.rs) maps a part's
/// compartment id only over the policy's current categories and refuses any other as
/// malformed, so if this fails, one policy change makes `rekey` impossible for good.
#[test]
fn rekey_survives_a_policy_that_drops_a_category() {
    let mut p = practice();
    let narrower = casevault::DEFAULT_POLICY
        .replace(
            "\"sexual-health\", \"third-party\",\n]",
            "\"third-party\",\n]",
        )
        .replace("\"sexual-health\", ", "");
    assert!(
        narrower
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .all(|l| !l.contains("sexual-health")),
        "the test's policy still has it"
    );
    p.owner
        .set_policy(&narrower)
        .expect("set a policy without sexual-health");
    p.owner
        .remove_member("dave")
        .expect("remove dave (new epoch)");
    let report = p.owner.rekey(&mut |_, _| {});
    assert!(
        report.is_ok(),
        "rekey after a category was dropped: {report:?}"
    );
    let notes = p
        .owner
        .notes_for_client(&p.a)
        .expect("A's notes still read");
    assert!(notes[0].body.contains("CANARY-SUBSTANCE"));
}

/// Found by review, fixed; kept as a guard. Claim (PRACTICE.md §2, SECURITY.md): a supervisor reads "supervisees'
/// caseloads, for a period", "until the assignment's end"; a caseload-scoped member
/// holds a client's keys exactly while `holders` says so. Broke: nothing takes keys
/// back when an assignment ends. `assign_client` with an end date (here: ending an
/// open-ended assignment as of yesterday, the API's way to end it) only writes the
/// caseload and calls `grant_entitled` (members.rs `assign_client`): no
/// `take_unentitled`, no new epoch; and no unlock pass ends assignments whose `until`
/// has passed (only emergency access has `end_expired_access`). So the supervisor's
/// keys open notes written after the period. Fix: in `assign_client`, when the new
/// assignment does not stand today, take the keys back and rotate as
/// `unassign_client` does; at unlock of a `members` member, end every assignment whose
/// `until` has passed the same way (as `end_expired_access` does).
#[test]
fn an_ended_assignment_leaves_no_keys() {
    let mut p = practice();
    p.owner
        .assign_client("sue", &p.a, None)
        .expect("assign A to sue");
    let yesterday = Date(date("2026-01-01").0); // any day before today
    p.owner
        .assign_client("sue", &p.a, Some(yesterday))
        .expect("end sue's assignment");
    let caseload = p.owner.caseloads().expect("caseloads");
    assert!(
        caseload
            .assignments
            .iter()
            .filter(|a| a.member == "sue")
            .all(|a| a.until == Some(yesterday)),
        "{caseload:?}"
    );
    new_note(
        &mut p.owner,
        &p.a,
        "2026-03-09",
        "later\n## risk\nCANARY-AFTER-PERIOD\n",
    );
    let keys = keys_of(&p.path, "sue");
    let leaked: Vec<String> = readable_parts(&p.path, &keys)
        .into_iter()
        .filter(|(_, _, t)| t.contains("CANARY-AFTER-PERIOD"))
        .map(|(n, c, _)| format!("{c} of note {n}"))
        .collect();
    assert!(
        leaked.is_empty(),
        "after her assignment ended, the supervisor's keys open {leaked:?}"
    );
}

// ---------------------------------------------------------------------------------
// Grants planted by whoever writes the rows (a server, a thief with write access)
// ---------------------------------------------------------------------------------

/// The pending grants (wrapped to the member's public key) of `member`, as stored.
fn pending_grants(path: &Path, member: &str) -> Vec<(String, Vec<u8>)> {
    let db = rusqlite::Connection::open(path).unwrap();
    let mut stmt = db
        .prepare("SELECT compartment, wrapped FROM grants WHERE member = ?1 AND form = 'x25519'")
        .unwrap();
    stmt.query_map([member], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The age file inside a signed grant (`CVG1`, name length, name, signature, file).
fn unsigned(wrapped: &[u8]) -> Vec<u8> {
    assert_eq!(
        &wrapped[..4],
        b"CVG1",
        "grants to another member are signed"
    );
    let len = usize::from(u16::from_be_bytes([wrapped[4], wrapped[5]]));
    wrapped[6 + len + 64..].to_vec()
}

/// Claim: anyone may encrypt a key to a member's public key (a server could plant
/// one it knows, to read what the member then seals under it), so a member takes in
/// only grants a member of the practice signed, for that member and that compartment.
/// An unsigned grant of a client's key is never used (the client stays closed); an
/// unsigned grant of the practice's key, which the unlock needed, refuses the unlock.
#[test]
fn a_grant_no_member_signed_is_never_taken_in() {
    let (_dir, path, mut owner) = new_vault();
    add_member(&mut owner, "bob", "clinician");
    let client = new_client(&mut owner, "Ada Alpha");
    owner.assign_client("bob", &client, None).unwrap();
    drop(owner);
    let pending = pending_grants(&path, "bob");
    assert!(pending.len() >= 2, "bob's keys wait for his first unlock");

    // The same key without its signature is no grant at all: strip each grant on
    // its own, in a copy of the vault, and see what bob's unlock makes of it.
    let practice_keys: Vec<String> = {
        let mut needed = Vec::new();
        for (compartment, wrapped) in &pending {
            let copy = path.with_extension("trial");
            let _ = std::fs::remove_file(&copy);
            std::fs::copy(&path, &copy).unwrap();
            rusqlite::Connection::open(&copy)
                .unwrap()
                .execute(
                    "UPDATE grants SET wrapped = ?1 WHERE member = 'bob' AND compartment = ?2",
                    rusqlite::params![unsigned(wrapped), compartment],
                )
                .unwrap();
            let opened =
                Vault::open(&copy)
                    .unwrap()
                    .unlock_member(&passphrase("bob"), "bob", Some("bob"));
            match opened {
                Err(Error::Integrity(_)) => needed.push(compartment.clone()),
                Err(e) => panic!("an unsigned grant: {e}"),
                Ok(_) => {}
            }
        }
        needed
    };
    assert_eq!(
        practice_keys.len(),
        1,
        "exactly the practice's key is needed to unlock"
    );
    // Every other grant unsigned (a key planted in each), or signed but moved from
    // another compartment: never taken in, never used; the client stays closed.
    let (practice, signed) = pending
        .iter()
        .find(|(c, _)| practice_keys.contains(c))
        .expect("the practice grant");
    for trial in ["unsigned", "moved"] {
        let copy = path.with_extension(trial);
        std::fs::copy(&path, &copy).unwrap();
        let db = rusqlite::Connection::open(&copy).unwrap();
        for (compartment, wrapped) in pending.iter().filter(|(c, _)| c != practice) {
            let planted = if trial == "unsigned" {
                unsigned(wrapped)
            } else {
                signed.clone()
            };
            db.execute(
                "UPDATE grants SET wrapped = ?1 WHERE member = 'bob' AND compartment = ?2",
                rusqlite::params![planted, compartment],
            )
            .unwrap();
        }
        let mut bob = Vault::open(&copy)
            .unwrap()
            .unlock_member(&passphrase("bob"), "bob", Some("bob"))
            .unwrap_or_else(|e| panic!("{trial}: the practice grant is intact: {e}"));
        let e = bob
            .client(&casevault::ClientId::from(client.as_str()))
            .expect_err("no planted key is used");
        assert!(is_denied(&e), "{trial}: {e}");
        drop(bob);
        assert_eq!(
            pending_grants(&copy, "bob").len(),
            pending.len() - 1,
            "{trial}: left aside, not taken in"
        );
    }

    // Signed and in place, bob takes them in and reads the client.
    let mut bob = unlock(&path, "bob");
    assert_eq!(
        bob.client(&casevault::ClientId::from(client.as_str()))
            .unwrap()
            .name,
        "Ada Alpha"
    );
    drop(bob);
    assert!(
        pending_grants(&path, "bob").is_empty(),
        "the signed grants were taken in"
    );
}
