//! Disclosure bundles: what leaves the vault, built from an allowlist of the permitted
//! categories, redacted, rendered as Markdown or JSON, encrypted with standard age and
//! written atomically.
//!
//! Invariant: nothing reaches a bundle unless the decision permits its category; every
//! section left out leaves a `[withheld: <category>]` marker, and every joint note a
//! participant has not permitted is left out whole. This module knows nothing of SQL
//! or of the vault's own keys.

use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use age::secrecy::SecretString;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::client::Client;
use crate::decision::{Basis, Decision, Obligation};
use crate::error::Error;
use crate::note::{Date, Note, Section};
use crate::redact::Redactor;

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
#[derive(Clone, Debug, Serialize)]
pub struct BundleSection {
    /// The section's category.
    pub category: String,
    /// Its redacted text; `None` when withheld.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// True when the section was withheld.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
}

/// An addendum, as it leaves.
#[derive(Clone, Debug, Serialize)]
pub struct BundleAddendum {
    /// When it was written, if attendance is permitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written_on: Option<String>,
    /// Its sections.
    pub sections: Vec<BundleSection>,
}

/// A note, as it leaves.
#[derive(Clone, Debug, Serialize)]
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
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
    redactor: &'a Redactor,
    counts: &'a mut Vec<(String, usize)>,
}

impl Filter<'_> {
    fn sections(&mut self, sections: &[Section]) -> Vec<BundleSection> {
        sections
            .iter()
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

/// Builds the bundle a permitted decision allows: only permitted sections, of notes
/// in range, joint notes only when every participant permits, text redacted.
pub(crate) fn build(
    decision: &Decision,
    client: &Client,
    others: &[Client],
    notes: &[Note],
    vault: &str,
    decision_id: &str,
) -> Bundle {
    let permitted = decision.permitted();
    let allowed = |c: &str| permitted.contains(&c);
    let identity = allowed("identity");
    let attendance = allowed("attendance");
    let third_party = decision
        .obligations
        .iter()
        .all(|o| *o != Obligation::RedactThirdParties);
    // Other participants of joint notes are third parties in this client's record.
    let mut profile = client.clone();
    for other in others {
        if !profile.third_parties.contains(&other.name) {
            profile.third_parties.push(other.name.clone());
        }
    }
    let redactor = Redactor::new(&profile, identity, third_party);
    let mut counts = Vec::new();
    let mut withheld: Vec<Withheld> = Vec::new();
    let mut out_notes = Vec::new();
    for note in notes {
        if let Some(j) = decision.joint_notes.iter().find(|j| j.note == note.id)
            && !j.permitted
        {
            // Saying that a joint session took place is itself attendance.
            if attendance {
                withheld.push(Withheld {
                    what: format!("the joint session note of {}", note.date),
                    reason: "withheld whole: another participant has not permitted this disclosure"
                        .into(),
                });
            }
            continue;
        }
        // Without attendance, a note that releases nothing is not even mentioned: its
        // existence, kind and order would tell when the client came.
        if !attendance && !note.all_sections().any(|s| allowed(&s.category)) {
            continue;
        }
        let mut filter = Filter {
            permitted: &permitted,
            redactor: &redactor,
            counts: &mut counts,
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
            if !allowed(&s.category) && !withheld.iter().any(|w| w.what == s.category) {
                withheld.push(Withheld {
                    what: s.category.clone(),
                    reason: "not part of this disclosure (only what the recipient needs leaves)"
                        .into(),
                });
            }
        }
        out_notes.push(BundleNote {
            date: attendance.then_some(note.date),
            session: attendance.then(|| note.note_type.as_str().to_owned()),
            sections,
            addenda,
        });
    }
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
            basis: redactor.redact(&basis_text(decision)).0,
            client: if identity {
                client.name.clone()
            } else {
                "[withheld: identity]".into()
            },
            from: request.from,
            until: request.until,
            disclosed_on: decision.decided_on,
            vault: vault.to_owned(),
            decision: decision_id.to_owned(),
            permitted: permitted.iter().map(|c| c.to_string()).collect(),
            withheld,
            redactions: counts,
            obligations: decision
                .obligations
                .iter()
                .filter_map(obligation_text)
                .collect(),
            redisclosure_notice: notice,
        },
        client: identity.then(|| BundleClient {
            name: client.name.clone(),
            date_of_birth: client.date_of_birth,
            contact: client.contact.clone(),
            third_parties: if third_party {
                client.third_parties.clone()
            } else {
                Vec::new()
            },
        }),
        notes: out_notes,
    }
}

fn markdown_sections(out: &mut String, sections: &[BundleSection]) {
    for s in sections {
        match &s.text {
            Some(text) => {
                out.push_str(&format!("### {}\n\n{}\n\n", s.category, text.trim_end()));
            }
            None => out.push_str(&format!("[withheld: {}]\n\n", s.category)),
        }
    }
}

/// Renders a bundle. The buffer is wiped on drop.
pub(crate) fn render(bundle: &Bundle, format: ExportFormat) -> Zeroizing<Vec<u8>> {
    if format == ExportFormat::Json {
        // Serializing our own plain data types cannot fail.
        let text = serde_json::to_vec_pretty(bundle).expect("plain data serializes");
        return Zeroizing::new(text);
    }
    let c = &bundle.cover;
    let mut out = String::new();
    out.push_str("# Disclosure of health information\n\n");
    let range = match (c.from, c.until) {
        (None, None) => "all dates".to_owned(),
        (from, until) => format!(
            "{} to {}",
            from.map_or("the first record".to_owned(), |d| d.to_string()),
            until.map_or("the latest record".to_owned(), |d| d.to_string())
        ),
    };
    for (k, v) in [
        ("Recipient", c.recipient.as_str()),
        ("Purpose", c.purpose.as_str()),
        ("Basis", c.basis.as_str()),
        ("Client", c.client.as_str()),
        ("Records", range.as_str()),
    ] {
        out.push_str(&format!("**{k}:** {v}  \n"));
    }
    out.push_str(&format!(
        "**Disclosed on:** {}  \n**From:** casevault vault {}, decision {}\n\n",
        c.disclosed_on, c.vault, c.decision
    ));
    out.push_str(&format!("## Included\n\n{}\n\n", c.permitted.join(", ")));
    if !c.withheld.is_empty() {
        out.push_str("## Withheld\n\n");
        for w in &c.withheld {
            out.push_str(&format!("- {}: {}\n", w.what, w.reason));
        }
        out.push('\n');
    }
    if !c.redactions.is_empty() {
        out.push_str("## Redacted\n\n");
        for (marker, n) in &c.redactions {
            out.push_str(&format!("- {n} × {marker}\n"));
        }
        out.push('\n');
    }
    if !c.obligations.is_empty() {
        out.push_str("## Obligations\n\n");
        for o in &c.obligations {
            out.push_str(&format!("- {o}\n"));
        }
        out.push('\n');
    }
    if let Some(notice) = &c.redisclosure_notice {
        out.push_str(&format!(
            "## Notice prohibiting redisclosure\n\n{notice}\n\n"
        ));
    }
    out.push_str("---\n\n");
    if let Some(client) = &bundle.client {
        out.push_str(&format!("## Client\n\n- Name: {}\n", client.name));
        if let Some(dob) = client.date_of_birth {
            out.push_str(&format!("- Date of birth: {dob}\n"));
        }
        if let Some(contact) = &client.contact {
            out.push_str(&format!("- Contact: {contact}\n"));
        }
        if !client.third_parties.is_empty() {
            out.push_str(&format!(
                "- Third parties: {}\n",
                client.third_parties.join(", ")
            ));
        }
        out.push('\n');
    }
    if bundle.notes.is_empty() {
        out.push_str("No session notes in this disclosure.\n");
    }
    for note in &bundle.notes {
        match (note.date, &note.session) {
            (Some(d), Some(kind)) => out.push_str(&format!("## Session of {d} ({kind})\n\n")),
            _ => out.push_str("## Session (date withheld)\n\n"),
        }
        markdown_sections(&mut out, &note.sections);
        for a in &note.addenda {
            match &a.written_on {
                Some(d) => out.push_str(&format!("#### Addendum of {d}\n\n")),
                None => out.push_str("#### Addendum\n\n"),
            }
            markdown_sections(&mut out, &a.sections);
        }
    }
    Zeroizing::new(out.into_bytes())
}

/// Parses the recipients an export is encrypted to.
pub(crate) fn parse_recipients(
    keys: &[String],
) -> Result<Vec<Box<dyn age::Recipient + Send>>, Error> {
    if keys.is_empty() {
        return Err(Error::InvalidInput(
            "an encrypted export needs at least one recipient".into(),
        ));
    }
    keys.iter()
        .map(|key| {
            let key = key.trim();
            if let Ok(r) = age::x25519::Recipient::from_str(key) {
                Ok(Box::new(r) as Box<dyn age::Recipient + Send>)
            } else if let Ok(r) = age::ssh::Recipient::from_str(key) {
                Ok(Box::new(r) as Box<dyn age::Recipient + Send>)
            } else {
                Err(Error::InvalidInput(
                    "the recipient key is neither an age public key (age1…) nor an SSH public key (ssh-ed25519 … or ssh-rsa …)".into(),
                ))
            }
        })
        .collect()
}

/// Encrypts a rendered bundle as the options say.
pub(crate) fn encrypt(
    plain: &[u8],
    encryption: &ExportEncryption,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let encryptor = match encryption {
        ExportEncryption::Plaintext => return Ok(Zeroizing::new(plain.to_vec())),
        ExportEncryption::Passphrase(passphrase) => {
            age::Encryptor::with_user_passphrase(passphrase.clone())
        }
        ExportEncryption::Recipients(keys) => {
            let recipients = parse_recipients(keys)?;
            age::Encryptor::with_recipients(
                recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient),
            )
            .map_err(|e| Error::InvalidInput(format!("cannot encrypt to these recipients: {e}")))?
        }
    };
    let mut out = Vec::with_capacity(plain.len() + 512);
    let mut writer = encryptor
        .wrap_output(&mut out)
        .expect("writing to memory cannot fail");
    writer
        .write_all(plain)
        .expect("writing to memory cannot fail");
    writer.finish().expect("writing to memory cannot fail");
    Ok(Zeroizing::new(out))
}

/// An export written and synced under a private temporary name (mode 0600) in its
/// destination directory, not yet visible under its final name.
pub(crate) struct Staged {
    file: tempfile::NamedTempFile,
    dir: std::path::PathBuf,
}

fn cannot_write(out: &Path, e: std::io::Error) -> Error {
    // The kind only: the error's own text names casevault's temporary file.
    Error::InvalidInput(format!("cannot write {}: {}", out.display(), e.kind()))
}

/// Refuses an output path whose directory does not exist, before any work is done.
pub(crate) fn check_directory(out: &Path) -> Result<(), Error> {
    match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
            Err(Error::NoSuchDirectory(dir.to_owned()))
        }
        _ => Ok(()),
    }
}

/// Writes `bytes` beside `out`, which must not exist, and syncs them; [`Staged::publish`]
/// then makes them appear under `out`, complete. Dropped unpublished, the file is removed.
pub(crate) fn stage(out: &Path, bytes: &[u8]) -> Result<Staged, Error> {
    if out.exists() {
        return Err(Error::InvalidInput(format!(
            "{} already exists; casevault never overwrites a file",
            out.display()
        )));
    }
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    // tempfile creates the file 0600.
    let mut file = tempfile::Builder::new()
        .prefix(".casevault-export-")
        .tempfile_in(&dir)
        .map_err(|e| cannot_write(out, e))?;
    file.write_all(bytes).map_err(|e| cannot_write(out, e))?;
    file.as_file()
        .sync_all()
        .map_err(|e| cannot_write(out, e))?;
    Ok(Staged { file, dir })
}

impl Staged {
    /// Renames the staged file to `out` (never over an existing file) and syncs the
    /// directory. On failure the staged file is kept, and its path is in the error.
    pub(crate) fn publish(self, out: &Path) -> Result<(), Error> {
        match self.file.persist_noclobber(out) {
            Ok(_) => {
                if let Ok(d) = std::fs::File::open(&self.dir) {
                    let _ = d.sync_all();
                }
                Ok(())
            }
            Err(e) => {
                let kept = e
                    .file
                    .keep()
                    .map(|(_, path)| path.display().to_string())
                    .unwrap_or_else(|_| "a .casevault-export- file beside it".into());
                Err(Error::InvalidInput(format!(
                    "the disclosure was recorded, but {} could not be created ({}); the encrypted export is at {kept}: rename it to {} before sending it",
                    out.display(),
                    e.error,
                    out.display()
                )))
            }
        }
    }
}
