//! `casevault demo`: the whole flow on a throwaway vault, printing each step.

use std::path::Path;

use casevault::{
    ClientId, ConsentRecipient, Date, DecisionRecord, DisclosureRequest, ExceptionRequest,
    ExportEncryption, ExportFormat, ExportOptions, KdfParams, NewClient, NewConsent, NewNote,
    NoteId, NoteType, Relationship, Session, Vault,
};
use secrecy::SecretString;

use crate::error::CliError;
use crate::output::{Printer, out};

/// Prints the heading of the next step.
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

    let mut demo = Demo::create(out, &path, &passphrase)?;
    let (ada, ben) = demo.clients()?;
    let first = demo.notes(&ada, &ben)?;
    demo.edit_sign_amend(&first)?;
    demo.search()?;
    let today = Date::today();
    demo.intake(&ada, today)?;
    demo.consent(&ada, today)?;
    demo.dry_runs(&ada, today)?;
    demo.exception(&ada, today)?;
    demo.file_bytes(&path)?;
    demo.audit_trail()?;
    demo.anchor_verify_backup(dir.path(), &passphrase)?;
    demo.disclose(&ada, today, dir.path())?;
    demo.accounting(&ada)?;

    out!(out);
    out!(out, "Done. The throwaway vault is deleted now.");
    Ok(())
}

/// The demo's vault, open, and where its steps are printed.
struct Demo<'a> {
    out: &'a Printer,
    /// The steps printed so far.
    steps: u32,
    session: Session,
}

impl<'a> Demo<'a> {
    fn step(&mut self, what: &str) {
        step(self.out, &mut self.steps, what);
    }

    fn create(
        out: &'a Printer,
        path: &Path,
        passphrase: &SecretString,
    ) -> Result<Demo<'a>, CliError> {
        let mut steps = 0;
        step(
            out,
            &mut steps,
            "Create a vault (Argon2id keyslots: passphrase and recovery code)",
        );
        let (session, code) = Vault::create(path, passphrase, KdfParams::default(), "demo")?;
        out!(out, "vault:         {}", path.display());
        out!(
            out,
            "recovery code: {} (a real vault shows it once)",
            code.expose()
        );
        Ok(Demo {
            out,
            steps,
            session,
        })
    }

    /// Adds Ada and Ben; returns their ids.
    fn clients(&mut self) -> Result<(ClientId, ClientId), CliError> {
        self.step("Add two clients; a partner's and a child's names are third parties");
        let ada = self.session.add_client(NewClient {
            name: "Ada Quill".into(),
            date_of_birth: "1984-05-17".parse().ok(),
            contact: Some("ada.quill@example.org".into()),
            third_parties: vec!["Ben Quill".into(), "Cleo Quill".into()],
            care: Default::default(),
        })?;
        let ben = self.session.add_client(NewClient {
            name: "Ben Quill".into(),
            ..NewClient::default()
        })?;
        out!(self.out, "client {ada}: Ada Quill");
        out!(self.out, "client {ben}: Ben Quill");
        Ok((ada, ben))
    }

    /// Writes Ada's note and a couples note; returns the id of Ada's.
    fn notes(&mut self, ada: &ClientId, ben: &ClientId) -> Result<NoteId, CliError> {
        self.step("Write session notes; `## <category>` headings make sections");
        let first = self.session.add_note(NewNote::individual(
            ada,
            "2026-03-01"
                .parse()
                .map_err(|e: String| CliError::input(e, ""))?,
            FIRST_NOTE,
        ))?;
        let joint = self.session.add_note(NewNote {
            clients: vec![ada.clone(), ben.clone()],
            date: "2026-03-08".parse().map_err(|e: String| CliError::input(e, ""))?,
            note_type: Some(NoteType::Couples),
            body: "Worked on how they argue about Cleo's school.\n## treatment-plan\nWeekly couples sessions for eight weeks.\n".into(),
        })?;
        let note = self.session.note(&first)?;
        out!(
            self.out,
            "note {first} (individual): sections {:?}",
            note.sections
                .iter()
                .map(|s| s.category.as_str())
                .collect::<Vec<_>>()
        );
        out!(self.out, "note {joint} (couples, Ada and Ben)");
        Ok(first)
    }

    fn edit_sign_amend(&mut self, first: &NoteId) -> Result<(), CliError> {
        self.step("Edit the draft (the old version is kept), sign it, then add an addendum");
        let v = self.session.edit_note(
            first,
            &format!(
                "{FIRST_NOTE}\n## medication\nStarted sertraline 50 mg (prescriber: Dr. Osei).\n"
            ),
        )?;
        out!(self.out, "edited: version {v}");
        let v = self.session.sign_note(first)?;
        out!(self.out, "signed: version {v}");
        match self.session.edit_note(first, "rewrite") {
            Err(e) => out!(self.out, "editing a signed note is refused: {e}"),
            Ok(_) => out!(self.out, "unexpected: a signed note was edited"),
        }
        let v = self
            .session
            .amend_note(first, "Correction: the session lasted 50 minutes.\n")?;
        out!(self.out, "addendum: version {v}");
        Ok(())
    }

    fn search(&mut self) -> Result<(), CliError> {
        self.step("Search the decrypted notes (no plaintext index exists)");
        for hit in self.session.search("sleep", None)? {
            out!(self.out, "{}  {}  {}", hit.note, hit.date, hit.line);
        }
        Ok(())
    }

    fn intake(&mut self, ada: &ClientId, today: Date) -> Result<(), CliError> {
        self.step("Intake: Ada is told the limits of confidentiality");
        let intake = self.session.record_intake(ada, today)?;
        for e in &intake.exceptions {
            out!(self.out, "  told of {}", e.kind);
        }
        Ok(())
    }

    fn consent(&mut self, ada: &ClientId, today: Date) -> Result<(), CliError> {
        self.step("Consent: Ada authorizes her psychiatrist to receive what treatment needs");
        let year = today.0.year();
        let period = |y: i32| {
            Date(time::Date::from_calendar_date(y, time::Month::January, 1).unwrap_or(today.0))
        };
        let (consent, _) = self.session.add_consent(NewConsent {
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
            tpo: None,
        })?;
        out!(
            self.out,
            "consent {consent}: to Dr. Osei for treatment; attendance, diagnosis, medication, risk"
        );
        Ok(())
    }

    fn dry_runs(&mut self, ada: &ClientId, today: Date) -> Result<(), CliError> {
        self.step("Dry runs: what may leave, category by category, and why");
        let permitted = self.session.decide_disclosure(
            &ask(
                ada,
                &["diagnosis", "medication"],
                None,
                "Dr. Osei",
                "treatment",
            ),
            today,
            true,
        )?;
        self.show(
            "to Dr. Osei for treatment: diagnosis, medication",
            &permitted,
        );
        let denied = self.session.decide_disclosure(
            &ask(
                ada,
                &["diagnosis", "psychotherapy-notes"],
                None,
                "Dr. Osei",
                "treatment",
            ),
            today,
            true,
        )?;
        self.show(
            "to Dr. Osei for treatment: diagnosis, psychotherapy-notes",
            &denied,
        );
        Ok(())
    }

    fn exception(&mut self, ada: &ClientId, today: Date) -> Result<(), CliError> {
        self.step("An exception: a serious threat, without consent, only what the law allows");
        let exception = self.session.decide_disclosure(
            &ask(
                ada,
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
        self.show("duty-to-protect to the County Sheriff", &exception);
        Ok(())
    }

    /// A decision, category by category, and the joint notes it withholds.
    fn show(&self, title: &str, record: &DecisionRecord) {
        out!(self.out, "{title}:");
        for v in &record.decision.verdicts {
            out!(
                self.out,
                "  {:<9} {:<20} {}",
                if v.permitted { "permitted" } else { "DENIED" },
                v.category,
                v.reason
            );
        }
        for j in record.decision.joint_notes.iter().filter(|j| !j.permitted) {
            out!(self.out, "  {}", j.reason);
        }
    }

    fn file_bytes(&mut self, path: &Path) -> Result<(), CliError> {
        self.step("What someone holding the vault file sees");
        let bytes = std::fs::read(path).map_err(|e| CliError::input(e.to_string(), ""))?;
        for canary in [
            "Ada Quill",
            "Cleo",
            "sertraline",
            "2026-03-01",
            "psychotherapy-notes",
        ] {
            let found = bytes.windows(canary.len()).any(|w| w == canary.as_bytes());
            out!(
                self.out,
                "{canary:>20}: {}",
                if found {
                    "FOUND (a bug)"
                } else {
                    "not in the file"
                }
            );
        }
        Ok(())
    }

    fn audit_trail(&mut self) -> Result<(), CliError> {
        self.step("The audit trail: every access, reads included");
        let events = self.session.audit_log()?;
        for e in events.iter().rev().take(6).rev() {
            out!(self.out, "{:>4}  {:<14} {}", e.seq, e.action, e.outcome);
        }
        out!(self.out, "({} events in all)", events.len());
        Ok(())
    }

    fn anchor_verify_backup(
        &mut self,
        dir: &Path,
        passphrase: &SecretString,
    ) -> Result<(), CliError> {
        self.step("Anchor the trail, verify it, and back the vault up");
        let anchor = self.session.audit_anchor()?;
        out!(self.out, "anchor (keep it outside the vault): {anchor}");
        let report = self.session.verify_audit(Some(&anchor))?;
        out!(
            self.out,
            "verify: {} ({} events, {} records)",
            if report.is_intact() {
                "intact"
            } else {
                "FAILED"
            },
            report.events,
            report.records
        );
        let backup = dir.join("backup.casevault");
        self.session.backup(&backup)?;
        let mut restored = Vault::open(&backup)?.unlock(passphrase, "demo")?;
        out!(
            self.out,
            "backup {} opens with the same passphrase and holds {} clients",
            backup.display(),
            restored.list_clients()?.len()
        );
        Ok(())
    }

    fn disclose(&mut self, ada: &ClientId, today: Date, dir: &Path) -> Result<(), CliError> {
        self.step("Disclose: only what the decision permits, redacted, encrypted to the recipient");
        // The psychiatrist's key; in practice they send their age1… or SSH public key.
        let psychiatrist = age::x25519::Identity::generate();
        let export = dir.join("to-dr-osei.age");
        let done = self.session.disclose(
            &ask(
                ada,
                &["diagnosis", "medication", "attendance"],
                None,
                "Dr. Osei",
                "treatment",
            ),
            today,
            &ExportOptions {
                format: ExportFormat::Markdown,
                encryption: ExportEncryption::Recipients(vec![
                    psychiatrist.to_public().to_string(),
                ]),
                out: export.clone(),
            },
        )?;
        out!(
            self.out,
            "wrote {} ({} notes, age-encrypted to {}…)",
            export.display(),
            done.notes,
            &psychiatrist.to_public().to_string()[..16]
        );
        let sealed = std::fs::read(&export).map_err(|e| CliError::input(e.to_string(), ""))?;
        let opened = open_export(&sealed, &psychiatrist)
            .map_err(|e| CliError::input(format!("cannot open the demo export: {e}"), ""))?;
        out!(
            self.out,
            "what Dr. Osei reads after `age -d -i key {}`:",
            export.display()
        );
        for line in opened.lines().filter(|l| !l.trim().is_empty()).take(40) {
            out!(self.out, "  | {line}");
        }
        Ok(())
    }

    fn accounting(&mut self, ada: &ClientId) -> Result<(), CliError> {
        self.step("Ada's accounting of disclosures: what left, to whom, why");
        for e in self.session.accounting(ada)? {
            out!(
                self.out,
                "{}  to {}  for {}: {}",
                e.disclosed_on,
                e.recipient,
                e.purpose,
                e.description
            );
            out!(self.out, "            basis: {}", e.basis);
        }
        Ok(())
    }
}

/// Ada's first note, as first written.
const FIRST_NOTE: &str = "Ada arrived on time; sleep is better since the last session.\n\n\
                ## risk\nNo current thoughts of self-harm.\n\n\
                ## psychotherapy-notes\nWonder whether the anger at Ben echoes her father.\n";

/// A request to disclose Ada's `categories` to `to` for `purpose`.
fn ask(
    ada: &ClientId,
    categories: &[&str],
    exception: Option<ExceptionRequest>,
    to: &str,
    purpose: &str,
) -> DisclosureRequest {
    DisclosureRequest {
        client: ada.clone(),
        recipient: to.into(),
        purpose: purpose.into(),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        consent: None,
        exception,
        from: None,
        until: None,
        recipient_kind: None,
    }
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
