//! Destruction by crypto-shredding (`client destroy`): after it, nothing of the client
//! opens with any key any member holds, in the vault or in a backup made after; the
//! audit trail still verifies and its tombstone is signed by the member who acted.

#[path = "common/practice.rs"]
mod practice;

use casevault::{
    Action, CareChange, ConsentRecipient, Date, DestroyBasis, Error, KdfParams, NewClient,
    NewConsent, NewNote, NoteType, Relationship, RequestOutcome, RightKind, Session, Vault,
};
use practice::{OWNER, date, everything_opened, keys_of, passphrase, unlock};

/// Words only client A's own records hold.
const A_CANARIES: [&str; 3] = ["Alma Canary", "QUOKKA-7731", "Dr. Osei"];
/// Words of the joint session, which is B's record too.
const JOINT: &str = "WOMBAT-4410";

struct Practice {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    owner: Session,
    a: String,
    b: String,
}

fn practice() -> Practice {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("practice.vault");
    let (mut owner, _) = Vault::create_practice(
        &path,
        &passphrase(OWNER),
        KdfParams::default(),
        OWNER,
        OWNER,
    )
    .expect("create the practice");
    owner
        .add_member(
            "dr-c",
            "clinician",
            &passphrase("dr-c"),
            KdfParams::default(),
        )
        .expect("add dr-c");
    let a = owner
        .add_client(NewClient {
            name: "Alma Canary".into(),
            date_of_birth: Some(date("1980-02-29")),
            ..NewClient::default()
        })
        .unwrap()
        .to_string();
    let b = owner
        .add_client(NewClient {
            name: "Bruno Other".into(),
            ..NewClient::default()
        })
        .unwrap()
        .to_string();
    owner.assign_client("dr-c", &a, None).unwrap();
    owner.assign_client("dr-c", &b, None).unwrap();
    let mut clinician = unlock(&path, "dr-c");
    clinician
        .add_note(NewNote::individual(
            &a,
            date("2018-03-01"),
            "Spoke of QUOKKA-7731.\n\n## psychotherapy-notes\nMy QUOKKA-7731 hypothesis.\n\n## diagnosis\nF41.1 QUOKKA-7731\n",
        ))
        .unwrap();
    clinician
        .add_note(NewNote {
            clients: vec![a.as_str().into(), b.as_str().into()],
            date: date("2018-04-01"),
            note_type: Some(NoteType::Couples),
            body: format!("Both attended; {JOINT}.\n"),
        })
        .unwrap();
    clinician
        .add_note(NewNote::individual(
            &b,
            date("2018-05-01"),
            "Bruno's own session.\n",
        ))
        .unwrap();
    owner
        .add_consent(NewConsent {
            client: a.as_str().into(),
            recipient: ConsentRecipient {
                name: "Dr. Osei".into(),
                organization: None,
                public_key: None,
            },
            purposes: vec!["treatment".into()],
            categories: vec!["diagnosis".into()],
            excluded: Vec::new(),
            effective: date("2018-01-01"),
            expires: date("2019-12-31"),
            signed_by: String::new(),
            relationship: Relationship::Client,
            tpo: None,
        })
        .unwrap();
    Practice {
        _dir: dir,
        path,
        owner,
        a,
        b,
    }
}

fn holds(opened: &[String], word: &str) -> bool {
    opened.iter().any(|p| p.contains(word))
}

fn today() -> Date {
    Date::today()
}

fn end_treatment(session: &mut Session, client: &str, on: &str) {
    session
        .change_care(
            client,
            CareChange {
                treatment_ended: Some(date(on)),
                ..CareChange::default()
            },
            today(),
        )
        .unwrap();
}

#[test]
fn a_destroyed_client_opens_with_no_key_and_the_trail_verifies() {
    let mut p = practice();
    let (a, b) = (p.a.clone(), p.b.clone());
    // Before: both members' keys open A's words (else the scan below proves nothing).
    for member in [OWNER, "dr-c"] {
        let opened = everything_opened(&p.path, &keys_of(&p.path, member));
        for word in A_CANARIES.iter().chain([&JOINT]) {
            assert!(holds(&opened, word), "{member} should open {word:?} before");
        }
    }

    // Kept while treatment has not ended, under a legal hold, while a request is open.
    let kept = |r: Result<casevault::Destruction, Error>| match r {
        Err(Error::RecordKept { why, .. }) => why,
        other => panic!("expected the record kept, got {other:?}"),
    };
    let why = kept(
        p.owner
            .destroy_client(&a, &DestroyBasis::RetentionEnded, today()),
    );
    assert!(why.contains("treatment has not ended"), "{why}");
    end_treatment(&mut p.owner, &a, "2018-06-30");
    // Seven years from the last session (the APA floor): ended 2025-06-30.
    p.owner
        .change_care(
            &a,
            CareChange {
                legal_hold: Some(Some("subpoena 24-118".into())),
                ..CareChange::default()
            },
            today(),
        )
        .unwrap();
    let why = kept(
        p.owner
            .destroy_client(&a, &DestroyBasis::RetentionEnded, today()),
    );
    assert!(
        why.contains("legal hold") && why.contains("subpoena 24-118"),
        "{why}"
    );
    p.owner
        .change_care(
            &a,
            CareChange {
                legal_hold: Some(None),
                ..CareChange::default()
            },
            today(),
        )
        .unwrap();
    let request = p
        .owner
        .add_request(&a, RightKind::Access, today(), Vec::new(), today())
        .unwrap();
    let why = kept(
        p.owner
            .destroy_client(&a, &DestroyBasis::RetentionEnded, today()),
    );
    assert!(why.contains(&request.id.to_string()), "{why}");
    p.owner
        .answer_request(
            request.id.as_ref(),
            RequestOutcome::Withdrawn,
            None,
            "the client withdrew it",
            today(),
            today(),
        )
        .unwrap();
    // Before the retention ends: kept, unless the policy allows the reason named.
    let early = kept(
        p.owner
            .destroy_client(&a, &DestroyBasis::RetentionEnded, date("2025-06-29")),
    );
    assert!(early.contains("2025-06-30"), "{early}");
    let unknown = p.owner.destroy_client(
        &a,
        &DestroyBasis::Early {
            reason: "tidiness".into(),
            explanation: "no reason".into(),
        },
        date("2025-06-29"),
    );
    assert!(
        matches!(&unknown, Err(Error::InvalidInput(m)) if m.contains("entered-in-error")),
        "{unknown:?}"
    );
    // A clinician's role does not destroy records.
    let mut clinician = unlock(&p.path, "dr-c");
    assert!(matches!(
        clinician.destroy_client(&a, &DestroyBasis::RetentionEnded, today()),
        Err(Error::RoleDenied { .. })
    ));
    drop(clinician);

    let before = p.path.with_file_name("before.casevault");
    p.owner
        .backup(&before)
        .expect("a backup before the destruction");
    let keys_before = keys_of(&p.path, "dr-c").len();
    let done = p
        .owner
        .destroy_client(&a, &DestroyBasis::RetentionEnded, today())
        .expect("destroy A's record");
    // Every key of A's compartments is gone (the clinician held A's and B's).
    assert!(keys_of(&p.path, "dr-c").len() < keys_before);
    // A backup made before still holds it all: what the docs name as what remains.
    let opened = everything_opened(&before, &keys_of(&before, "dr-c"));
    assert!(A_CANARIES.iter().all(|w| holds(&opened, w)));
    assert_eq!(done.records.get("client"), Some(&1), "{done:?}");
    assert_eq!(done.records.get("note"), Some(&1), "{done:?}");
    assert_eq!(done.records.get("consent"), Some(&1), "{done:?}");
    assert_eq!(done.records.get("rights-request"), Some(&1), "{done:?}");
    assert_eq!(done.joint_notes_kept, 1);
    assert!(done.keys > 0);
    assert!(
        done.rule.contains("retention ended on 2025-06-30"),
        "{}",
        done.rule
    );

    // After: no key any member holds opens anything of A's own, in the vault or in a
    // backup made now; the joint session is still B's record.
    let backup = p.path.with_file_name("after.casevault");
    p.owner
        .backup(&backup)
        .expect("a backup after the destruction");
    for file in [&p.path, &backup] {
        for member in [OWNER, "dr-c"] {
            let opened = everything_opened(file, &keys_of(file, member));
            for word in A_CANARIES {
                assert!(
                    !holds(&opened, word),
                    "{member} still opens {word:?} in {file:?}"
                );
            }
            assert!(holds(&opened, JOINT), "{member} lost B's joint session");
            assert!(
                holds(&opened, "Bruno's own session"),
                "{member} lost B's note"
            );
        }
    }

    // The trail verifies, for the owner and for the clinician, and the tombstone is
    // the owner's, signed, naming the rule and the count.
    let report = p.owner.verify_audit(None).unwrap();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    let mut clinician = unlock(&p.path, "dr-c");
    let report = clinician.verify_audit(None).unwrap();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    let log = p.owner.audit_log().unwrap();
    let tombstone = log
        .iter()
        .rev()
        .find(|e| e.action == Action::ClientDestroy && e.outcome == casevault::Outcome::Ok)
        .expect("a tombstone");
    assert_eq!(tombstone.member.as_deref(), Some(OWNER));
    let purpose = tombstone.purpose.as_deref().unwrap_or_default();
    assert!(
        purpose.contains("retention ended on 2025-06-30"),
        "{purpose}"
    );
    assert!(purpose.contains(&format!("client {a}")), "{purpose}");

    // A is gone; B works as before.
    assert!(matches!(
        p.owner.client_details(&a),
        Err(Error::ClientNotFound(_))
    ));
    assert_eq!(clinician.notes_for_client(&b).unwrap().len(), 2);
    p.owner.client_page(&b, today()).expect("B's page");
}

#[test]
fn an_early_reason_the_policy_allows_is_named_in_the_tombstone() {
    let mut p = practice();
    let a = p.a.clone();
    let done = p
        .owner
        .destroy_client(
            &a,
            &DestroyBasis::Early {
                reason: "entered-in-error".into(),
                explanation: "a duplicate of another client's record".into(),
            },
            today(),
        )
        .expect("destroy a record entered in error");
    assert!(
        done.rule
            .starts_with("early destruction, entered-in-error ("),
        "{}",
        done.rule
    );
    assert!(
        done.rule
            .ends_with("a duplicate of another client's record"),
        "{}",
        done.rule
    );
    let opened = everything_opened(&p.path, &keys_of(&p.path, OWNER));
    assert!(!holds(&opened, "QUOKKA-7731"));
    let report = p.owner.verify_audit(None).unwrap();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    // A blank explanation is refused before anything is touched.
    let b = p.b.clone();
    assert!(matches!(
        p.owner.destroy_client(
            &b,
            &DestroyBasis::Early {
                reason: "entered-in-error".into(),
                explanation: "  ".into(),
            },
            today(),
        ),
        Err(Error::InvalidInput(_))
    ));
    assert!(p.owner.client_details(&b).is_ok());
}
