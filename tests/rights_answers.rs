//! Answers that do what they grant: access granted writes the client's copy (part of
//! it withheld on a ground, psychotherapy notes never, a joint note only with its other
//! participant's agreement); an amendment accepted becomes an addendum, with the list
//! of whom to tell. Checked before anything is written: a refused answer leaves no file,
//! no accounting entry and the request open.

#[path = "common/practice.rs"]
mod practice;

use casevault::{
    AccessGrant, ConsentRecipient, Date, DenialGround, DisclosureRequest, Error, ExportEncryption,
    ExportFormat, ExportOptions, KdfParams, NewClient, NewConsent, NewNote, NoteType, Relationship,
    RequestOutcome, RightKind, Session, Vault,
};
use practice::{OWNER, passphrase, unlock};

fn today() -> Date {
    Date::today()
}

struct Case {
    dir: tempfile::TempDir,
    path: std::path::PathBuf,
    owner: Session,
    ada: String,
    note: String,
}

fn plain(dir: &tempfile::TempDir, name: &str) -> ExportOptions {
    ExportOptions {
        format: ExportFormat::Markdown,
        encryption: ExportEncryption::Plaintext,
        out: dir.path().join(name),
    }
}

fn case() -> Case {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("practice.vault");
    let (mut owner, _) = Vault::create_practice(
        &path,
        &passphrase(OWNER),
        KdfParams::default(),
        OWNER,
        OWNER,
    )
    .unwrap();
    owner.use_pack("us-federal").unwrap();
    let ada = owner
        .add_client(NewClient {
            name: "Ada Example".into(),
            ..NewClient::default()
        })
        .unwrap()
        .to_string();
    let ben = owner
        .add_client(NewClient {
            name: "Ben Example".into(),
            ..NewClient::default()
        })
        .unwrap()
        .to_string();
    let note = owner
        .add_note(NewNote::individual(
            &ada,
            Date(today().0 - time::Duration::days(30)),
            "Calmer: LANTERN-PROGRESS.\n\n## risk\nLANTERN-RISK.\n\n## psychotherapy-notes\nLANTERN-PN.\n\n## diagnosis\nLANTERN-DX.\n",
        ))
        .unwrap()
        .to_string();
    owner.sign_note(&note).unwrap();
    owner
        .add_note(NewNote {
            clients: vec![ada.as_str().into(), ben.as_str().into()],
            date: Date(today().0 - time::Duration::days(20)),
            note_type: Some(NoteType::Couples),
            body: "LANTERN-JOINT.\n".into(),
        })
        .unwrap();
    Case {
        dir,
        path,
        owner,
        ada,
        note,
    }
}

fn consent(owner: &mut Session, client: &str, to: &str, purpose: &str, categories: &[&str]) {
    owner
        .add_consent(NewConsent {
            client: client.into(),
            recipient: ConsentRecipient {
                name: to.into(),
                organization: None,
                public_key: None,
            },
            purposes: vec![purpose.into()],
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            excluded: Vec::new(),
            effective: Date(today().0 - time::Duration::days(60)),
            expires: Date(today().0 + time::Duration::days(300)),
            signed_by: String::new(),
            relationship: Relationship::Client,
            tpo: None,
        })
        .unwrap();
}

fn disclose(c: &mut Case, to: &str, purpose: &str, categories: &[&str], file: &str) {
    let options = plain(&c.dir, file);
    c.owner
        .disclose(
            &DisclosureRequest {
                client: c.ada.as_str().into(),
                recipient: to.into(),
                purpose: purpose.into(),
                categories: categories.iter().map(|c| (*c).to_owned()).collect(),
                consent: None,
                exception: None,
                from: None,
                until: None,
                recipient_kind: None,
            },
            today(),
            &options,
        )
        .unwrap_or_else(|e| panic!("disclose to {to}: {e}"));
}

#[test]
fn access_granted_writes_the_clients_copy_less_what_is_withheld_and_closes_the_request() {
    let mut c = case();
    let request = c
        .owner
        .add_request(&c.ada, RightKind::Access, today(), Vec::new(), today())
        .unwrap();
    let id = request.id.to_string();
    let options = plain(&c.dir, "copy.md");

    // Refused before anything is written: a ground with nothing withheld, something
    // withheld without a ground, an unknown category, a date before receipt.
    let refusals = [
        AccessGrant {
            withhold: Vec::new(),
            ground: Some(DenialGround::DangerToLife),
            note: String::new(),
        },
        AccessGrant {
            withhold: vec!["risk".into()],
            ground: None,
            note: String::new(),
        },
        AccessGrant {
            withhold: vec!["rsik".into()],
            ground: Some(DenialGround::DangerToLife),
            note: String::new(),
        },
    ];
    for grant in &refusals {
        let refused = c.owner.grant_access(&id, grant, today(), today(), &options);
        assert!(refused.is_err(), "{grant:?}");
    }
    let early = Date(today().0 - time::Duration::days(1));
    assert!(matches!(
        c.owner
            .grant_access(&id, &AccessGrant::default(), early, today(), &options),
        Err(Error::InvalidInput(_))
    ));
    assert!(!options.out.exists());
    assert!(c.owner.accounting(&c.ada).unwrap().is_empty());

    let done = c
        .owner
        .grant_access(
            &id,
            &AccessGrant {
                withhold: vec!["risk".into()],
                ground: Some(DenialGround::DangerToLife),
                note: "the risk section is kept back".into(),
            },
            today(),
            today(),
            &options,
        )
        .expect("grant access in part");
    let copy = std::fs::read_to_string(&options.out).unwrap();
    assert!(
        copy.contains("LANTERN-PROGRESS") && copy.contains("LANTERN-DX"),
        "{copy}"
    );
    for absent in ["LANTERN-RISK", "LANTERN-PN", "LANTERN-JOINT"] {
        assert!(!copy.contains(absent), "{absent} in the copy:\n{copy}");
    }
    let answer = done.request.answer.as_ref().expect("answered");
    assert_eq!(answer.outcome, RequestOutcome::Partly);
    assert_eq!(answer.ground, Some(DenialGround::DangerToLife));
    assert!(
        answer
            .note
            .starts_with("the risk section is kept back; copy produced on"),
        "{}",
        answer.note
    );
    assert!(answer.note.contains("withheld: risk"), "{}", answer.note);
    assert!(
        answer.note.contains("1 joint note(s) withheld whole"),
        "{}",
        answer.note
    );
    let entries = c.owner.accounting(&c.ada).unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].client_request);
    // Answered once.
    let again = c.owner.grant_access(
        &id,
        &AccessGrant::default(),
        today(),
        today(),
        &plain(&c.dir, "again.md"),
    );
    assert!(matches!(again, Err(Error::InvalidInput(m)) if m.contains("was answered")));
}

#[test]
fn a_clinical_ground_is_a_clinicians_and_is_checked_before_the_copy_is_written() {
    let mut c = case();
    c.owner
        .add_member("rec", "records", &passphrase("rec"), KdfParams::default())
        .unwrap();
    let id = c
        .owner
        .add_request(&c.ada, RightKind::Access, today(), Vec::new(), today())
        .unwrap()
        .id
        .to_string();
    let mut records = unlock(&c.path, "rec");
    let options = plain(&c.dir, "copy.md");
    let refused = records.grant_access(
        &id,
        &AccessGrant {
            withhold: vec!["risk".into()],
            ground: Some(DenialGround::DangerToLife),
            note: "kept back".into(),
        },
        today(),
        today(),
        &options,
    );
    assert!(
        matches!(refused, Err(Error::RoleDenied { .. })),
        "{refused:?}"
    );
    assert!(!options.out.exists());
    assert!(c.owner.accounting(&c.ada).unwrap().is_empty());
    // The records member grants it whole.
    records
        .grant_access(&id, &AccessGrant::default(), today(), today(), &options)
        .expect("the records member grants access");
    assert!(
        std::fs::read_to_string(&options.out)
            .unwrap()
            .contains("LANTERN-RISK")
    );
}

#[test]
fn an_accepted_amendment_is_an_addendum_and_names_whom_to_tell() {
    let mut c = case();
    let ada = c.ada.clone();
    consent(&mut c.owner, &ada, "Dr. Osei", "treatment", &["progress"]);
    consent(
        &mut c.owner,
        &ada,
        "Acme Health Plan",
        "payment",
        &["diagnosis"],
    );
    disclose(&mut c, "Dr. Osei", "treatment", &["progress"], "osei.md");
    disclose(
        &mut c,
        "Acme Health Plan",
        "payment",
        &["diagnosis"],
        "acme.md",
    );
    let access = c
        .owner
        .add_request(&ada, RightKind::Access, today(), Vec::new(), today())
        .unwrap()
        .id
        .to_string();
    let id = c
        .owner
        .add_request(
            &ada,
            RightKind::Amendment,
            today(),
            vec!["progress".into()],
            today(),
        )
        .unwrap()
        .id
        .to_string();
    // Not an amendment request; a note of another client; a blank name.
    assert!(
        c.owner
            .accept_amendment(&access, &c.note, "x\n", &[], today(), today())
            .is_err()
    );
    assert!(
        c.owner
            .accept_amendment(&id, &c.note, "x\n", &["  ".into()], today(), today())
            .is_err()
    );
    let versions_before = c.owner.note(&c.note).unwrap().version;

    let done = c
        .owner
        .accept_amendment(
            &id,
            &c.note,
            "She was calm, not calmer: LANTERN-AMENDED.\n",
            &["Her sister, Dora Example".into()],
            today(),
            today(),
        )
        .expect("accept the amendment");
    assert_eq!(done.version, versions_before + 1);
    assert_eq!(done.named, vec!["Her sister, Dora Example".to_owned()]);
    // Dr. Osei received the progress notes; the health plan only the diagnosis.
    let told: Vec<&str> = done.received.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(told, vec!["Dr. Osei"]);
    let answer = done.request.answer.as_ref().unwrap();
    assert_eq!(answer.outcome, RequestOutcome::Granted);
    assert!(
        answer.note.contains("Dr. Osei") && answer.note.contains("Dora Example"),
        "{}",
        answer.note
    );
    // The addendum goes with the next disclosure of the note.
    disclose(&mut c, "Dr. Osei", "treatment", &["progress"], "osei-2.md");
    let sent = std::fs::read_to_string(c.dir.path().join("osei-2.md")).unwrap();
    assert!(sent.contains("LANTERN-AMENDED"), "{sent}");
}
