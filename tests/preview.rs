//! `Session::preview_disclosure`: what a release of information would send, shown
//! before anything is written. The preview is the disclosure's own text (the same
//! builder, redaction, markers and withheld joint notes), it writes no file and no
//! accounting entry, a denied request shows no text, and the audit trail records it
//! as a dry run with its purpose.

use std::collections::BTreeSet;
use std::path::Path;

use casevault::{
    Action, ConsentRecipient, Date, DisclosureRequest, ExportEncryption, ExportFormat,
    ExportOptions, KdfParams, NewClient, NewConsent, NewNote, NoteType, Outcome, Relationship,
    Session, Vault,
};
use secrecy::SecretString;

/// Words only the permitted section holds: they leave.
const MEDICATION: &str = "SERTRALINE-5521";
/// Words of a section the request does not name: a marker leaves in their place.
const PROGRESS: &str = "PANGOLIN-8830";
/// A third party on the client's profile, named in the permitted section: redacted.
const THIRD_PARTY: &str = "Ben Quillfeather";
/// Words of a joint session whose other participant has given no consent: withheld
/// whole.
const JOINT: &str = "WOMBAT-4410";

struct Fixture {
    dir: tempfile::TempDir,
    session: Session,
    ada: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pass = SecretString::from("correct horse battery staple");
    let (mut session, _) = Vault::create(
        dir.path().join("vault"),
        &pass,
        KdfParams::default(),
        "dr-rivera",
    )
    .expect("create the vault");
    let today = Date::today();
    let ada = session
        .add_client(NewClient {
            name: "Ada Example".into(),
            third_parties: vec![THIRD_PARTY.into()],
            ..NewClient::default()
        })
        .expect("add Ada");
    let bo = session
        .add_client(NewClient {
            name: "Bo Other".into(),
            ..NewClient::default()
        })
        .expect("add Bo");
    session
        .add_note(NewNote::individual(
            &ada,
            today,
            &format!(
                "Calmer.\n\n## medication\n{MEDICATION}; {THIRD_PARTY} drove her.\n\n## progress\n{PROGRESS}\n"
            ),
        ))
        .expect("add Ada's note");
    session
        .add_note(NewNote {
            clients: vec![ada.clone(), bo],
            date: today,
            note_type: Some(NoteType::Couples),
            body: format!("## medication\n{JOINT}\n"),
        })
        .expect("add the joint note");
    session
        .add_consent(NewConsent {
            client: ada.clone(),
            recipient: ConsentRecipient {
                name: "Dr. Osei".into(),
                organization: None,
                public_key: None,
            },
            purposes: vec!["treatment".into()],
            categories: vec!["medication".into(), "progress".into()],
            excluded: Vec::new(),
            effective: today,
            expires: today,
            signed_by: String::new(),
            relationship: Relationship::Client,
            tpo: None,
        })
        .expect("add the consent");
    Fixture {
        dir,
        session,
        ada: ada.to_string(),
    }
}

fn request(client: &str, categories: &[&str]) -> DisclosureRequest {
    DisclosureRequest {
        client: client.into(),
        recipient: "Dr. Osei".into(),
        purpose: "treatment".into(),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        consent: None,
        exception: None,
        from: None,
        until: None,
        recipient_kind: None,
    }
}

/// The names in `dir`, to see that nothing appeared.
fn listing(dir: &Path) -> BTreeSet<std::ffi::OsString> {
    std::fs::read_dir(dir)
        .expect("read the temporary directory")
        .map(|e| e.expect("a directory entry").file_name())
        .collect()
}

/// The preview's text is the file a disclosure of the same request writes, byte for
/// byte, but for one thing: the decision the cover names ("**From:** casevault vault
/// …, decision <id>" in Markdown, `cover.decision` in JSON). Each decision is its own
/// record with a random identifier, and the preview's is stored as a dry run apart
/// from the disclosure's. Everything else on the cover is the same: the date is the
/// decision's day (`today`, not a clock), the vault is the same, and the redaction
/// counts, markers and withheld joint note come from the same build.
#[test]
fn the_preview_is_the_disclosure_but_for_the_decision_it_names() {
    let Fixture {
        dir,
        mut session,
        ada,
    } = fixture();
    let today = Date::today();
    let request = request(&ada, &["medication"]);
    for format in [ExportFormat::Markdown, ExportFormat::Json] {
        let preview = session
            .preview_disclosure(&request, today, format)
            .expect("preview");
        assert!(preview.decision.dry_run);
        let text = preview.text.as_ref().expect("every category is permitted");
        // What the build does shows in the preview: the permitted section, redacted;
        // a marker for the section not asked for; no joint note.
        assert!(text.contains(MEDICATION), "{format:?}");
        assert!(!text.contains(THIRD_PARTY), "{format:?}");
        assert!(!text.contains(PROGRESS), "{format:?}");
        // Markdown marks the section in its place; JSON flags it (`"withheld": true`).
        match format {
            ExportFormat::Markdown => assert!(text.contains("[withheld: progress]")),
            ExportFormat::Json => assert!(text.contains("\"withheld\": true")),
        }
        assert!(!text.contains(JOINT), "{format:?}");

        let out = dir.path().join(match format {
            ExportFormat::Markdown => "osei.md",
            ExportFormat::Json => "osei.json",
        });
        let done = session
            .disclose(
                &request,
                today,
                &ExportOptions {
                    format,
                    encryption: ExportEncryption::Plaintext,
                    out: out.clone(),
                },
            )
            .expect("disclose");
        let written = std::fs::read_to_string(&out).expect("read the disclosure");
        let (previewed, disclosed) = (
            preview.decision.id.to_string(),
            done.decision.id.to_string(),
        );
        assert_ne!(previewed, disclosed);
        // The preview's decision is named exactly once, where the disclosure names its
        // own; with that one difference put right, the texts are the same bytes.
        assert_eq!(text.matches(&previewed).count(), 1, "{format:?}");
        assert_eq!(written.matches(&disclosed).count(), 1, "{format:?}");
        assert_eq!(
            text.replace(&previewed, &disclosed),
            written,
            "{format:?}: the preview differs from what left"
        );
    }
}

#[test]
fn a_preview_writes_no_file_and_no_accounting() {
    let Fixture {
        dir,
        mut session,
        ada,
    } = fixture();
    let before = listing(dir.path());
    let preview = session
        .preview_disclosure(
            &request(&ada, &["medication"]),
            Date::today(),
            ExportFormat::Markdown,
        )
        .expect("preview");
    assert!(preview.text.is_some());
    assert_eq!(listing(dir.path()), before, "a preview created a file");
    assert!(
        session.accounting(&ada).expect("accounting").is_empty(),
        "a preview was accounted for as a disclosure"
    );
    // Nor does the text reach a log through `{:?}`.
    let debug = format!("{preview:?}");
    assert!(!debug.contains(MEDICATION), "{debug}");
    assert!(debug.contains("bytes"), "{debug}");
}

#[test]
fn a_denied_request_previews_no_text() {
    // The directory is bound, not left to `..`: dropped, it would take the vault.
    let Fixture {
        dir: _dir,
        mut session,
        ada,
    } = fixture();
    // The consent does not name diagnosis.
    let preview = session
        .preview_disclosure(
            &request(&ada, &["medication", "diagnosis"]),
            Date::today(),
            ExportFormat::Markdown,
        )
        .expect("a denial is an answer, not an error");
    assert!(!preview.decision.decision.all_permitted());
    assert!(preview.decision.dry_run);
    assert!(preview.text.is_none());
}

#[test]
fn the_audit_trail_records_a_preview_as_a_dry_run() {
    // The directory is bound, not left to `..`: dropped, it would take the vault.
    let Fixture {
        dir: _dir,
        mut session,
        ada,
    } = fixture();
    for categories in [&["medication"][..], &["diagnosis"][..]] {
        session
            .preview_disclosure(
                &request(&ada, categories),
                Date::today(),
                ExportFormat::Markdown,
            )
            .expect("preview");
    }
    let log = session.audit_log().expect("audit log");
    assert!(
        log.iter().all(|e| e.action != Action::Disclose),
        "a preview was audited as a disclosure"
    );
    let previews: Vec<_> = log
        .iter()
        .filter(|e| e.action == Action::DiscloseDryRun)
        .collect();
    assert_eq!(previews.len(), 2);
    for event in &previews {
        assert_eq!(event.action.as_str(), "disclose.dry-run");
        assert_eq!(event.purpose.as_deref(), Some("treatment"));
    }
    assert!(matches!(previews[0].outcome, Outcome::Permitted { .. }));
    assert!(matches!(previews[1].outcome, Outcome::Denied { .. }));
    // The permitted preview read the notes it shows, and says so.
    assert!(
        previews[0]
            .targets
            .iter()
            .any(|t| t.kind == "note" && t.access == casevault::TargetAccess::Read),
        "{:?}",
        previews[0].targets
    );
}
