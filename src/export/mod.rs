//! Disclosure bundles: what leaves the vault, built from an allowlist of the permitted
//! categories, redacted, rendered as Markdown or JSON, encrypted with standard age and
//! written atomically.
//!
//! Invariant: nothing reaches a bundle unless the decision permits its category; every
//! section left out leaves a `[withheld: <category>]` marker, and every joint note a
//! participant has not permitted is left out whole. This module knows nothing of SQL
//! or of the vault's own keys.

use age::secrecy::SecretString;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::base::Date;
use crate::model::client::Client;
use crate::model::note::{Note, Section};
use crate::model::policy::Policy;
use crate::rules::decision::{Basis, Decision, Obligation};
use crate::rules::redact::Redactor;

mod file;
mod json;
mod markdown;

pub(crate) use file::{ExportFile, Spool, parse_recipients};

/// The JSON format's identifier; see docs/EXPORT.md.
pub const JSON_FORMAT: &str = "casevault-disclosure/1";

/// How a bundle is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Markdown for people (the default).
    Markdown,
    /// JSON for programs (schema in docs/EXPORT.md).
    Json,
}

/// How a bundle is protected on its way out.
#[derive(Clone, Debug)]
pub enum ExportEncryption {
    /// Standard age to these recipients: `age1…` keys or SSH public keys.
    Recipients(Vec<String>),
    /// Standard age to a passphrase (scrypt tuned to about a second).
    Passphrase(SecretString),
    /// No encryption: the caller asked for plaintext by name.
    Plaintext,
}

/// Where and how to write a disclosure.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// Markdown or JSON.
    pub format: ExportFormat,
    /// Encryption.
    pub encryption: ExportEncryption,
    /// The file to create (it must not exist).
    pub out: std::path::PathBuf,
}

/// A section of a note, as it leaves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleSection {
    /// The section's category.
    pub category: String,
    /// Its redacted text; `None` when withheld.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// True when the section was withheld.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
}

/// An addendum, as it leaves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleAddendum {
    /// When it was written, if attendance is permitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written_on: Option<String>,
    /// Its sections.
    pub sections: Vec<BundleSection>,
}

/// A note, as it leaves. It reads back from its JSON (`Deserialize`) as it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleNote {
    /// The session date, if attendance is permitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// The kind of session, if attendance is permitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Its sections, withheld ones as markers.
    pub sections: Vec<BundleSection>,
    /// Its addenda.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addenda: Vec<BundleAddendum>,
}

/// The client's profile, as it leaves (only when `identity` is permitted).
#[derive(Clone, Debug, Serialize)]
pub struct BundleClient {
    /// Name.
    pub name: String,
    /// Date of birth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<Date>,
    /// Contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Third parties named on the profile (only when `third-party` is permitted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub third_parties: Vec<String>,
}

/// Something left out, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Withheld {
    /// What: a category, or a joint session note.
    pub what: String,
    /// Why.
    pub reason: String,
}

/// The cover sheet.
#[derive(Clone, Debug, Serialize)]
pub struct Cover {
    /// Who receives it.
    pub recipient: String,
    /// Why.
    pub purpose: String,
    /// On what basis, in words.
    pub basis: String,
    /// The client, by name when `identity` is permitted.
    pub client: String,
    /// Notes from this date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
    /// Notes up to this date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
    /// The day it was disclosed.
    pub disclosed_on: Date,
    /// The vault it comes from.
    pub vault: String,
    /// The decision that permitted it.
    pub decision: String,
    /// The categories released.
    pub permitted: Vec<String>,
    /// What was left out, and why.
    pub withheld: Vec<Withheld>,
    /// How many identifiers were redacted, per marker.
    pub redactions: Vec<(String, usize)>,
    /// What the disclosure obliges.
    pub obligations: Vec<String>,
    /// The redisclosure notice, when a category that needs it is included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redisclosure_notice: Option<String>,
}

/// A disclosure bundle, before rendering.
#[derive(Clone, Debug, Serialize)]
pub struct Bundle {
    /// Always [`JSON_FORMAT`].
    pub format: &'static str,
    /// The cover sheet.
    pub cover: Cover,
    /// The client's profile, when `identity` is permitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<BundleClient>,
    /// The notes in range, oldest first (joint notes withheld whole are absent).
    pub notes: Vec<BundleNote>,
}

fn basis_text(decision: &Decision) -> String {
    match &decision.basis {
        Basis::Consent { consents } => format!("the client's consent ({})", consents.join(", ")),
        Basis::Exception {
            exception,
            justification,
            reference,
        } => match reference {
            Some(r) => format!("legal exception {exception} (reference {r}): {justification}"),
            None => format!("legal exception {exception}: {justification}"),
        },
        Basis::ClientRequest => "the client's own request for their records".to_owned(),
    }
}

fn obligation_text(o: &Obligation) -> Option<String> {
    Some(match o {
        Obligation::AccountingEntry => "entered in the client's accounting of disclosures".into(),
        Obligation::AccountingClientRequest => {
            "listed in the client's accounting as their own request".into()
        }
        Obligation::TellClient => {
            "the client is to be told of this disclosure, unless that is unsafe".into()
        }
        Obligation::RedactThirdParties => {
            "third parties' names and identifiers are redacted".into()
        }
        Obligation::RedisclosureNotice { .. } => return None,
    })
}

struct Filter<'a> {
    permitted: &'a [&'a str],
    marked: &'a [String],
    redactor: &'a Redactor,
    counts: &'a mut Vec<(String, usize)>,
}

impl Filter<'_> {
    /// The sections that leave, and a marker for each section left out whose category
    /// the policy marks; a section of any other category leaves no trace.
    fn sections(&mut self, sections: &[Section]) -> Vec<BundleSection> {
        sections
            .iter()
            .filter(|s| {
                self.permitted.contains(&s.category.as_str()) || self.marked.contains(&s.category)
            })
            .map(|s| {
                if self.permitted.contains(&s.category.as_str()) {
                    let (text, redactions) = self.redactor.redact(&s.text);
                    for r in redactions {
                        let marker = r.kind.marker().to_owned();
                        match self.counts.iter_mut().find(|(m, _)| *m == marker) {
                            Some((_, n)) => *n += 1,
                            None => self.counts.push((marker, 1)),
                        }
                    }
                    BundleSection {
                        category: s.category.clone(),
                        text: Some(text),
                        withheld: false,
                    }
                } else {
                    BundleSection {
                        category: s.category.clone(),
                        text: None,
                        withheld: true,
                    }
                }
            })
            .collect()
    }
}

/// What one note contributes to a bundle: the note as it leaves (if it does), and
/// what the cover sheet counts of it.
pub(crate) struct NoteOut {
    /// The note as it leaves; `None` when it does not.
    pub(crate) note: Option<BundleNote>,
    counts: Vec<(String, usize)>,
    /// A joint note withheld whole, then each category withheld, in order.
    withheld: Vec<Withheld>,
}

/// Builds a bundle a note at a time, so an export need not hold every note: the
/// decision, the client and the redactor are set once; [`Builder::note`] turns one
/// note into what leaves (it only reads the builder, so notes can be built on every
/// core), and [`Builder::add`] counts it for the cover sheet, in the notes' order.
pub(crate) struct Builder<'a> {
    decision: &'a Decision,
    client: &'a Client,
    permitted: Vec<&'a str>,
    identity: bool,
    attendance: bool,
    third_party: bool,
    redactor: Redactor,
    /// The categories whose withheld sections leave a marker (the policy's).
    marked: Vec<String>,
    /// The categories never released to a client's own request (the policy's).
    sole_consent: Vec<String>,
    counts: Vec<(String, usize)>,
    withheld: Vec<Withheld>,
    notes: usize,
    vault: String,
    decision_id: String,
}

impl<'a> Builder<'a> {
    /// A builder for the bundle that a permitted `decision` allows.
    pub(crate) fn new(
        decision: &'a Decision,
        client: &'a Client,
        others: &[Client],
        vault: &str,
        decision_id: &str,
    ) -> Self {
        let permitted = decision.permitted();
        let identity = permitted.contains(&"identity");
        let attendance = permitted.contains(&"attendance");
        let third_party = decision
            .obligations
            .iter()
            .all(|o| *o != Obligation::RedactThirdParties);
        // Other participants of joint notes are third parties in this client's record:
        // their names, contact, dates of birth and their own third parties.
        let mut redactor = Redactor::new(client, identity, third_party).with_others(others);
        // A report about someone in the client's record (an abuse report naming a
        // child on the profile) releases that person's name with the identity it
        // releases; the decision has checked that the exception is such a report.
        if identity
            && let Some(about) = decision
                .request
                .exception
                .as_ref()
                .and_then(|e| e.about.as_ref())
        {
            redactor = redactor.releasing_third_parties(std::slice::from_ref(about));
        }
        Builder {
            decision,
            client,
            permitted,
            identity,
            attendance,
            third_party,
            redactor,
            marked: Vec::new(),
            sole_consent: Vec::new(),
            counts: Vec::new(),
            withheld: Vec::new(),
            notes: 0,
            vault: vault.to_owned(),
            decision_id: decision_id.to_owned(),
        }
    }

    /// Takes from the policy in force which withheld categories leave a marker, and
    /// which are never part of a client's own copy. Without it, nothing withheld
    /// leaves a trace.
    pub(crate) fn follow_policy(&mut self, policy: &Policy) {
        self.marked = policy.withheld_markers.clone();
        self.sole_consent = policy.sole_consent.clone();
    }

    fn allowed(&self, category: &str) -> bool {
        self.permitted.contains(&category)
    }

    fn client_request(&self) -> bool {
        matches!(self.decision.basis, Basis::ClientRequest)
    }

    /// One note of the range as it leaves: only permitted sections, text redacted; a
    /// joint note only when every participant permits.
    pub(crate) fn note(&self, note: &Note) -> NoteOut {
        let attendance = self.attendance;
        let mut out = NoteOut {
            note: None,
            counts: Vec::new(),
            withheld: Vec::new(),
        };
        if let Some(j) = self.decision.joint_notes.iter().find(|j| j.note == note.id)
            && !j.permitted
        {
            // Saying that a joint session took place is itself attendance.
            if attendance {
                out.withheld.push(Withheld {
                    what: format!("the joint session note of {}", note.date),
                    reason: "withheld whole: another participant has not permitted this disclosure"
                        .into(),
                });
            }
            return out;
        }
        // Without attendance, a note that releases nothing is not even mentioned: its
        // existence, kind and order would tell when the client came.
        if !attendance && !note.all_sections().any(|s| self.allowed(&s.category)) {
            return out;
        }
        let mut filter = Filter {
            permitted: &self.permitted,
            marked: &self.marked,
            redactor: &self.redactor,
            counts: &mut out.counts,
        };
        let sections = filter.sections(&note.sections);
        let addenda = note
            .addenda
            .iter()
            .map(|a| BundleAddendum {
                written_on: attendance.then(|| a.written_at.get(..10).unwrap_or("").to_owned()),
                sections: filter.sections(&a.sections),
            })
            .collect();
        for s in note.all_sections() {
            if !self.allowed(&s.category)
                && self.marked.contains(&s.category)
                && !out.withheld.iter().any(|w| w.what == s.category)
            {
                out.withheld.push(Withheld {
                    what: s.category.clone(),
                    reason: self.withheld_reason(&s.category),
                });
            }
        }
        out.note = Some(BundleNote {
            date: attendance.then_some(note.date),
            session: attendance.then(|| note.note_type.as_str().to_owned()),
            sections,
            addenda,
        });
        out
    }

    /// Counts a note's contribution for the cover sheet; notes must be added in the
    /// bundle's order. Returns the note as it leaves.
    pub(crate) fn add(&mut self, out: NoteOut) -> Option<BundleNote> {
        for (marker, n) in out.counts {
            match self.counts.iter_mut().find(|(m, _)| *m == marker) {
                Some((_, total)) => *total += n,
                None => self.counts.push((marker, n)),
            }
        }
        for w in out.withheld {
            // A category is listed once, however many notes it is withheld from.
            let joint = out.note.is_none();
            if joint || !self.withheld.iter().any(|x| x.what == w.what) {
                self.withheld.push(w);
            }
        }
        if out.note.is_some() {
            self.notes += 1;
        }
        out.note
    }

    /// Why a category is not in this export. A disclosure is made only when every
    /// category requested is permitted, so a category left out was not requested,
    /// except under a client's own request, which never releases the sole-consent
    /// categories.
    fn withheld_reason(&self, category: &str) -> String {
        if self.client_request() && self.sole_consent.iter().any(|c| c == category) {
            format!(
                "not part of a client's own copy: {category} are kept apart from the record and released only under a consent that names them alone (for psychotherapy notes, 45 CFR 164.524(a)(1)(i)); this line is on every client's copy, whether or not there are any"
            )
        } else {
            "not part of this request".into()
        }
    }

    /// How many notes leave, of those added so far.
    pub(crate) fn notes(&self) -> usize {
        self.notes
    }

    /// The cover's list of what was withheld: what the notes left out (marked
    /// categories only), and on a client's own copy, whatever their notes, each
    /// category never released to that request, with the true reason.
    fn cover_withheld(&self) -> Vec<Withheld> {
        let mut withheld = self.withheld.clone();
        if self.client_request() {
            for category in &self.sole_consent {
                if !withheld.iter().any(|w| &w.what == category) {
                    withheld.push(Withheld {
                        what: category.clone(),
                        reason: self.withheld_reason(category),
                    });
                }
            }
        }
        withheld
    }

    /// The bundle's cover and profile, for the notes added so far; its `notes` is
    /// empty (they are spooled one by one, [`spooled_note`], and [`write`] writes
    /// them after it).
    pub(crate) fn head(&self) -> Bundle {
        let decision = self.decision;
        let client = self.client;
        let notice = decision.obligations.iter().find_map(|o| match o {
            Obligation::RedisclosureNotice { text } => Some(text.clone()),
            _ => None,
        });
        let request = &decision.request;
        Bundle {
            format: JSON_FORMAT,
            cover: Cover {
                recipient: request.recipient.clone(),
                purpose: request.purpose.clone(),
                // A justification or reference typed by the user may name someone too.
                basis: self.redactor.redact(&basis_text(decision)).0,
                client: if self.identity {
                    client.name.clone()
                } else {
                    "[withheld: identity]".into()
                },
                from: request.from,
                until: request.until,
                disclosed_on: decision.decided_on,
                vault: self.vault.clone(),
                decision: self.decision_id.clone(),
                permitted: self.permitted.iter().map(|c| c.to_string()).collect(),
                withheld: self.cover_withheld(),
                redactions: self.counts.clone(),
                obligations: decision
                    .obligations
                    .iter()
                    .filter_map(obligation_text)
                    .collect(),
                redisclosure_notice: notice,
            },
            client: self.identity.then(|| BundleClient {
                name: client.name.clone(),
                date_of_birth: client.date_of_birth,
                // The contact may hold someone else's name and number ("Emergency:
                // Ben Quill 555-0199"): those are third-party identifiers.
                contact: client
                    .contact
                    .as_ref()
                    .map(|contact| self.redactor.redact(contact).0),
                third_parties: if self.third_party {
                    client.third_parties.clone()
                } else {
                    Vec::new()
                },
            }),
            notes: Vec::new(),
        }
    }
}

/// One note in the form the [`Spool`] keeps until the cover sheet is written:
/// Markdown as it will be written; JSON as serde_json's compact text, which
/// [`write`] reads back and serializes in its place in the bundle. Wiped on drop.
pub(crate) fn spooled_note(note: &BundleNote, format: ExportFormat) -> Zeroizing<Vec<u8>> {
    match format {
        ExportFormat::Markdown => Zeroizing::new(markdown::note(note).into_bytes()),
        ExportFormat::Json => json::spooled(note),
    }
}

/// Writes a bundle, handing its bytes to `put` as they come: `head`'s cover sheet and
/// profile, then the notes `spool` holds, in order (`head`'s own `notes` are not
/// written). Nothing holds the whole bundle at once.
pub(crate) fn write(
    head: &Bundle,
    spool: Spool,
    put: &mut dyn FnMut(&[u8]) -> Result<(), crate::Error>,
) -> Result<(), crate::Error> {
    match spool.format() {
        ExportFormat::Markdown => {
            put(&Zeroizing::new(
                markdown::head(head, spool.len()).into_bytes(),
            ))?;
            for note in spool.into_notes()? {
                put(&note?)?;
            }
            Ok(())
        }
        ExportFormat::Json => json::write(head, spool, put),
    }
}

/// A whole bundle, written as an export writes it, into memory.
#[cfg(test)]
pub(crate) fn render(bundle: &Bundle, format: ExportFormat) -> Zeroizing<Vec<u8>> {
    // An export's directory is only used past the spool's memory, which tests stay under.
    let mut spool = Spool::new(std::path::Path::new("export"), format);
    for note in &bundle.notes {
        spool
            .push(spooled_note(note, format))
            .expect("a spool in memory takes every note");
    }
    let mut out = Zeroizing::new(Vec::new());
    write(bundle, spool, &mut |bytes| {
        out.extend_from_slice(bytes);
        Ok(())
    })
    .expect("writing into memory cannot fail");
    out
}

/// Refuses an output path whose directory does not exist, before any work is done.
pub(crate) fn check_directory(out: &std::path::Path) -> Result<(), crate::Error> {
    match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
            Err(crate::Error::NoSuchDirectory(dir.to_owned()))
        }
        _ => Ok(()),
    }
}

/// Refuses an export path where anything is: a file, a directory, a FIFO, or a
/// symbolic link, even one that points nowhere (following it, the export would land
/// wherever the link says, or the rename into place would fail after the disclosure
/// was recorded).
pub(crate) fn check_free(out: &std::path::Path) -> Result<(), crate::Error> {
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Ok(meta) if meta.file_type().is_symlink() => Err(crate::Error::InvalidInput(format!(
            "{} is a symbolic link; casevault writes an export only where nothing is: choose a path where no file or link exists",
            out.display()
        ))),
        Ok(_) => Err(crate::Error::InvalidInput(format!(
            "{} already exists; casevault never overwrites a file",
            out.display()
        ))),
        Err(e) => Err(crate::Error::InvalidInput(format!(
            "cannot check {}: {}; choose a path in a directory you can read",
            out.display(),
            e.kind()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(notes: usize) -> Bundle {
        Bundle {
            format: JSON_FORMAT,
            cover: Cover {
                recipient: "client".into(),
                purpose: "client-request".into(),
                basis: "the client's own request for their records".into(),
                client: "[withheld: identity]".into(),
                from: None,
                until: None,
                disclosed_on: "2026-03-01".parse().unwrap(),
                vault: "00".into(),
                decision: "01020304".into(),
                permitted: vec!["progress".into()],
                withheld: Vec::new(),
                redactions: Vec::new(),
                obligations: Vec::new(),
                redisclosure_notice: None,
            },
            client: None,
            notes: (0..notes)
                .map(|i| BundleNote {
                    date: None,
                    session: None,
                    sections: vec![BundleSection {
                        category: "progress".into(),
                        text: Some(format!("Line one of {i}.\n\"Quoted\"\n{{ braces }}")),
                        withheld: false,
                    }],
                    addenda: vec![BundleAddendum {
                        written_on: None,
                        sections: Vec::new(),
                    }],
                })
                .collect(),
        }
    }

    /// `bundle` written as an export writes it, through `spool`.
    fn streamed(bundle: &Bundle, mut spool: Spool) -> Vec<u8> {
        for note in &bundle.notes {
            spool.push(spooled_note(note, spool.format())).unwrap();
        }
        let mut out = Vec::new();
        write(bundle, spool, &mut |bytes| {
            out.extend_from_slice(bytes);
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn json_written_note_by_note_is_the_whole_bundle_pretty_printed() {
        let dir = tempfile::tempdir().unwrap();
        for n in [0, 1, 3] {
            for profile in [false, true] {
                let mut b = bundle(n);
                if profile {
                    b.client = Some(BundleClient {
                        name: "Ada \"Quill\"\n}".into(),
                        date_of_birth: None,
                        contact: None,
                        third_parties: vec!["Ben".into()],
                    });
                    for note in &mut b.notes {
                        note.session = Some("individual".into());
                        note.addenda.clear();
                    }
                }
                let whole = String::from_utf8(serde_json::to_vec_pretty(&b).unwrap()).unwrap();
                assert_eq!(
                    String::from_utf8(render(&b, ExportFormat::Json).to_vec()).unwrap(),
                    whole,
                    "{n} notes, profile {profile}"
                );
                // Spooled to a file from the first byte: the same bytes.
                let spool = Spool::new(&dir.path().join("export.json"), ExportFormat::Json);
                assert_eq!(
                    String::from_utf8(streamed(&b, spool.keeping(0))).unwrap(),
                    whole,
                    "{n} notes, profile {profile}, spooled to a file"
                );
            }
        }
    }

    #[test]
    fn markdown_spooled_to_a_file_is_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let b = bundle(3);
        let spool = Spool::new(&dir.path().join("export.md"), ExportFormat::Markdown);
        assert_eq!(
            streamed(&b, spool.keeping(0)),
            render(&b, ExportFormat::Markdown).to_vec()
        );
    }

    #[test]
    fn a_failure_to_write_is_reported_as_it_was() {
        for format in [ExportFormat::Json, ExportFormat::Markdown] {
            let b = bundle(3);
            let mut spool = Spool::new(std::path::Path::new("export"), format);
            for note in &b.notes {
                spool.push(spooled_note(note, format)).unwrap();
            }
            let mut calls = 0;
            let failed = write(&b, spool, &mut |_| {
                calls += 1;
                match calls {
                    1 => Ok(()),
                    _ => Err(crate::Error::InvalidInput(
                        "cannot write out.json: disk full".into(),
                    )),
                }
            });
            match failed {
                Err(crate::Error::InvalidInput(message)) => {
                    assert_eq!(message, "cannot write out.json: disk full", "{format:?}")
                }
                other => panic!("{format:?}: {other:?}"),
            }
        }
    }
}
