//! Disclosure bundles: what leaves the vault, built from an allowlist of the permitted
//! categories, redacted, rendered as Markdown or JSON, encrypted with standard age and
//! written atomically.
//!
//! Invariant: nothing reaches a bundle unless the decision permits its category; every
//! section left out leaves a `[withheld: <category>]` marker, and every joint note a
//! participant has not permitted is left out whole. This module knows nothing of SQL
//! or of the vault's own keys.
//!
//! Here: the bundle's types and the one way it is written ([`write`]). `build` makes
//! the bundle from the decision and the notes; `markdown` and `json` are its two
//! formats; `file` is the file it goes to and the spool the notes wait in.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::base::{Date, DecisionId};

mod build;
mod file;
mod json;
mod markdown;
mod options;
mod page;

pub(crate) use build::{Builder, NoteOut};
pub(crate) use file::{ExportFile, Spool, check_directory, check_free, parse_recipients};
pub use options::{ExportEncryption, ExportFormat, ExportOptions};
pub use page::{ClientPage, render as render_client_page};
// `Disagreement` is named in `Cover`.

/// The JSON format's identifier; see docs/EXPORT.md.
pub const JSON_FORMAT: &str = "casevault-disclosure/1";

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
    /// The day it was written (UTC), if attendance is permitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written_on: Option<Date>,
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
    pub decision: DecisionId,
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
    /// The client's statements of disagreement with denied amendments of what is
    /// included, each with the practice's rebuttal (45 CFR 164.526(d)(5)).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disagreements: Vec<Disagreement>,
}

/// A client's statement of disagreement with a denied amendment, and the rebuttal.
#[derive(Clone, Debug, Serialize)]
pub struct Disagreement {
    /// The amendment request it answers.
    pub request: String,
    /// The day the amendment was denied.
    pub denied_on: Date,
    /// The client's statement (third parties redacted as in the notes).
    pub statement: String,
    /// The practice's rebuttal, if it wrote one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebuttal: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(notes: usize) -> Bundle {
        Bundle {
            format: JSON_FORMAT,
            cover: Cover {
                disagreements: Vec::new(),
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
