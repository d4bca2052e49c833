//! `casevault demo`: the whole flow on a throwaway vault, printing each step.

use casevault::{
    ConsentRecipient, Date, DisclosureRequest, ExceptionRequest, ExportEncryption, ExportFormat,
    ExportOptions, KdfParams, NewClient, NewConsent, NewNote, NoteType, Relationship, Vault,
};
use secrecy::SecretString;

use crate::error::CliError;
use crate::output::{Printer, out};

fn step(out: &Printer, n: &mut u32, what: &str) {
    *n += 1;
    out!(out);
    out!(out, "== {n}. {what}");
}

pub fn run(out: &Printer) -> Result<(), CliError> {
    if out.json() {
        return Err(CliError::usage(
            "demo prints a walk-through for people and has no JSON form",
            "run `casevault demo` without --json",
        ));
    }
    let dir = tempfile::Builder::new()
        .prefix("casevault-demo-")
        .tempdir()
        .map_err(|e| {
            CliError::input(
                format!("cannot create a temporary directory: {e}"),
                "check TMPDIR",
            )
        })?;
    let path = dir.path().join("demo.casevault");
    let passphrase = SecretString::from("demo passphrase, never use for real notes");
    let mut n = 0;

    step(
        out,
        &mut n,
        "Create a vault (Argon2id keyslots: passphrase and recovery code)",
    );
    let (mut session, code) = Vault::create(&path, &passphrase, KdfParams::default(), "demo")?;
    out!(out, "vault:         {}", path.display());
    out!(
        out,
        "recovery code: {} (a real vault shows it once)",
        code.expose()
    );

    step(
        out,
        &mut n,
        "Add two clients; a partner's and a child's names are third parties",
    );
    let ada = session.add_client(NewClient {
        name: "Ada Quill".into(),
        date_of_birth: "1984-05-17".parse().ok(),
        contact: Some("ada.quill@example.org".into()),
        third_parties: vec!["Ben Quill".into(), "Cleo Quill".into()],
    })?;
    let ben = session.add_client(NewClient {
        name: "Ben Quill".into(),
        ..NewClient::default()
    })?;
    out!(out, "client {ada}: Ada Quill");
    out!(out, "client {ben}: Ben Quill");

    step(
        out,
        &mut n,
        "Write session notes; `## <category>` headings make sections",
    );
    let body = "Ada arrived on time; sleep is better since the last session.\n\n\
                ## risk\nNo current thoughts of self-harm.\n\n\
                ## psychotherapy-notes\nWonder whether the anger at Ben echoes her father.\n";
    let first = session.add_note(NewNote::individual(
        &ada,
        "2026-03-01"
            .parse()
            .map_err(|e: String| CliError::input(e, ""))?,
        body,
    ))?;
    let joint = session.add_note(NewNote {
        clients: vec![ada.clone(), ben.clone()],
        date: "2026-03-08".parse().map_err(|e: String| CliError::input(e, ""))?,
        note_type: Some(NoteType::Couples),
        body: "Worked on how they argue about Cleo's school.\n## treatment-plan\nWeekly couples sessions for eight weeks.\n".into(),
    })?;
    let note = session.note(&first)?;
    out!(
        out,
        "note {first} (individual): sections {:?}",
        note.sections
            .iter()
            .map(|s| s.category.as_str())
            .collect::<Vec<_>>()
    );
    out!(out, "note {joint} (couples, Ada and Ben)");

    step(
        out,
        &mut n,
        "Edit the draft (the old version is kept), sign it, then add an addendum",
    );
    let v = session.edit_note(
        &first,
        &format!("{body}\n## medication\nStarted sertraline 50 mg (prescriber: Dr. Osei).\n"),
    )?;
    out!(out, "edited: version {v}");
    let v = session.sign_note(&first)?;
    out!(out, "signed: version {v}");
    match session.edit_note(&first, "rewrite") {
        Err(e) => out!(out, "editing a signed note is refused: {e}"),
        Ok(_) => out!(out, "unexpected: a signed note was edited"),
    }
    let v = session.amend_note(&first, "Correction: the session lasted 50 minutes.\n")?;
    out!(out, "addendum: version {v}");

    step(
        out,
        &mut n,
        "Search the decrypted notes (no plaintext index exists)",
    );
    for hit in session.search("sleep", None)? {
        out!(out, "{}  {}  {}", hit.note, hit.date, hit.line);
    }

    step(
        out,
        &mut n,
        "Intake: Ada is told the limits of confidentiality",
    );
    let today = Date::today();
    let intake = session.record_intake(&ada, today)?;
    for e in &intake.exceptions {
        out!(out, "  told of {}", e.kind);
    }

    step(
        out,
        &mut n,
        "Consent: Ada authorizes her psychiatrist to receive what treatment needs",
    );
    let year = today.0.year();
    let period = |y: i32| {
        Date(time::Date::from_calendar_date(y, time::Month::January, 1).unwrap_or(today.0))
    };
    let (consent, _) = session.add_consent(NewConsent {
        client: ada.clone(),
        recipient: ConsentRecipient {
            name: "Dr. Osei".into(),
            organization: Some("Riverside Psychiatry".into()),
            public_key: None,
        },
        purposes: vec!["treatment".into(), "coordination-of-care".into()],
        categories: vec![
            "attendance".into(),
            "diagnosis".into(),
            "medication".into(),
            "risk".into(),
        ],
        excluded: Vec::new(),
        effective: period(year - 1),
        expires: period(year + 2),
        signed_by: String::new(),
        relationship: Relationship::Client,
    })?;
    out!(
        out,
        "consent {consent}: to Dr. Osei for treatment; attendance, diagnosis, medication, risk"
    );

    let ask = |categories: &[&str],
               exception: Option<ExceptionRequest>,
               to: &str,
               purpose: &str| DisclosureRequest {
        client: ada.clone(),
        recipient: to.into(),
        purpose: purpose.into(),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        consent: None,
        exception,
        from: None,
        until: None,
    };
    let show = |title: &str, record: &casevault::DecisionRecord| {
        out!(out, "{title}:");
        for v in &record.decision.verdicts {
            out!(
                out,
                "  {:<9} {:<20} {}",
                if v.permitted { "permitted" } else { "DENIED" },
                v.category,
                v.reason
            );
        }
        for j in record.decision.joint_notes.iter().filter(|j| !j.permitted) {
            out!(out, "  {}", j.reason);
        }
    };

    step(
        out,
        &mut n,
        "Dry runs: what may leave, category by category, and why",
    );
    let permitted = session.decide_disclosure(
        &ask(&["diagnosis", "medication"], None, "Dr. Osei", "treatment"),
        today,
        true,
    )?;
    show(
        "to Dr. Osei for treatment: diagnosis, medication",
        &permitted,
    );
    let denied = session.decide_disclosure(
        &ask(
            &["diagnosis", "psychotherapy-notes"],
            None,
            "Dr. Osei",
            "treatment",
        ),
        today,
        true,
    )?;
    show(
        "to Dr. Osei for treatment: diagnosis, psychotherapy-notes",
        &denied,
    );

    step(
        out,
        &mut n,
        "An exception: a serious threat, without consent, only what the law allows",
    );
    let exception = session.decide_disclosure(
        &ask(
            &["identity", "risk", "diagnosis"],
            Some(ExceptionRequest {
                kind: "duty-to-protect".into(),
                justification: "Client named a specific person and a plan in session".into(),
                reference: None,
                order_categories: Vec::new(),
                about: None,
            }),
            "County Sheriff",
            "legal",
        ),
        today,
        true,
    )?;
    show("duty-to-protect to the County Sheriff", &exception);

    step(out, &mut n, "What someone holding the vault file sees");
    let bytes = std::fs::read(&path).map_err(|e| CliError::input(e.to_string(), ""))?;
    for canary in [
        "Ada Quill",
        "Cleo",
        "sertraline",
        "2026-03-01",
        "psychotherapy-notes",
    ] {
        let found = bytes.windows(canary.len()).any(|w| w == canary.as_bytes());
        out!(
            out,
            "{canary:>20}: {}",
            if found {
                "FOUND (a bug)"
            } else {
                "not in the file"
            }
        );
    }

    step(out, &mut n, "The audit trail: every access, reads included");
    let events = session.audit_log()?;
    for e in events.iter().rev().take(6).rev() {
        out!(out, "{:>4}  {:<14} {}", e.seq, e.action, e.outcome);
    }
    out!(out, "({} events in all)", events.len());

    step(
        out,
        &mut n,
        "Anchor the trail, verify it, and back the vault up",
    );
    let anchor = session.audit_anchor()?;
    out!(out, "anchor (keep it outside the vault): {anchor}");
    let report = session.verify_audit(Some(&anchor))?;
    out!(
        out,
        "verify: {} ({} events, {} records)",
        if report.is_intact() {
            "intact"
        } else {
            "FAILED"
        },
        report.events,
        report.records
    );
    let backup = dir.path().join("backup.casevault");
    session.backup(&backup)?;
    let mut restored = Vault::open(&backup)?.unlock(&passphrase, "demo")?;
    out!(
        out,
        "backup {} opens with the same passphrase and holds {} clients",
        backup.display(),
        restored.list_clients()?.len()
    );

    step(
        out,
        &mut n,
        "Disclose: only what the decision permits, redacted, encrypted to the recipient",
    );
    // The psychiatrist's key; in practice they send their age1… or SSH public key.
    let psychiatrist = age::x25519::Identity::generate();
    let export = dir.path().join("to-dr-osei.age");
    let done = session.disclose(
        &ask(
            &["diagnosis", "medication", "attendance"],
            None,
            "Dr. Osei",
            "treatment",
        ),
        today,
        &ExportOptions {
            format: ExportFormat::Markdown,
            encryption: ExportEncryption::Recipients(vec![psychiatrist.to_public().to_string()]),
            out: export.clone(),
        },
    )?;
    out!(
        out,
        "wrote {} ({} notes, age-encrypted to {}…)",
        export.display(),
        done.notes,
        &psychiatrist.to_public().to_string()[..16]
    );
    let sealed = std::fs::read(&export).map_err(|e| CliError::input(e.to_string(), ""))?;
    let opened = open_export(&sealed, &psychiatrist)
        .map_err(|e| CliError::input(format!("cannot open the demo export: {e}"), ""))?;
    out!(
        out,
        "what Dr. Osei reads after `age -d -i key {}`:",
        export.display()
    );
    for line in opened.lines().filter(|l| !l.trim().is_empty()).take(40) {
        out!(out, "  | {line}");
    }

    step(
        out,
        &mut n,
        "Ada's accounting of disclosures: what left, to whom, why",
    );
    for e in session.accounting(&ada)? {
        out!(
            out,
            "{}  to {}  for {}: {}",
            e.disclosed_on,
            e.recipient,
            e.purpose,
            e.description
        );
        out!(out, "            basis: {}", e.basis);
    }

    out!(out);
    out!(out, "Done. The throwaway vault is deleted now.");
    Ok(())
}

/// Decrypts an export the way its recipient would.
fn open_export(sealed: &[u8], identity: &age::x25519::Identity) -> Result<String, String> {
    use std::io::Read;
    let decryptor = age::Decryptor::new_buffered(sealed).map_err(|e| e.to_string())?;
    let mut reader = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|e| e.to_string())?;
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    Ok(text)
}
