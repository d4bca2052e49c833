//! Session notes: Markdown bodies split into sections by category.
//!
//! Here: the note and its parts as stored and as shown. `split` is the line splitter
//! that makes the sections; `headings` checks, beside it, that a Markdown reader sees
//! the same section headings.

use serde::{Deserialize, Serialize};

use crate::base::{ClientId, Date, NoteId, Timestamp};

mod error;
mod headings;
pub(crate) mod split;

pub use error::{HeadingForm, NoteParseError};
#[cfg(test)]
pub(crate) use split::parse_default;
pub use split::parse_sections;
pub(crate) use split::split_stored;

/// The most text a note may hold, in bytes of UTF-8 (8 MiB), however it comes in
/// (`note add`, `edit`, `amend`, `import`): a longer note is refused by the library,
/// and import and the command line stop reading a note past this size.
pub const MAX_NOTE_BYTES: usize = 8 * 1024 * 1024;

/// The kind of session a note records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoteType {
    /// One client.
    Individual,
    /// Two partners.
    Couples,
    /// A family.
    Family,
    /// A group.
    Group,
}

impl NoteType {
    /// The type's name as written on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            NoteType::Individual => "individual",
            NoteType::Couples => "couples",
            NoteType::Family => "family",
            NoteType::Group => "group",
        }
    }
}

/// One part of a note body, all of one category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// The section's category.
    pub category: String,
    /// The section's text, without its heading.
    pub text: String,
}

/// A note's state: open for edits, or signed and closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum NoteStatus {
    /// Open for edits.
    Draft,
    /// Closed: further changes are addenda.
    Signed {
        /// When it was signed.
        at: Timestamp,
        /// Who signed it.
        by: String,
    },
}

/// A change to a signed note, appended and never rewritten.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredAddendum")]
pub struct Addendum {
    /// When it was written.
    pub written_at: Timestamp,
    /// Who wrote it.
    pub written_by: String,
    /// The Markdown as written.
    pub body: String,
    /// The body split into sections.
    pub sections: Vec<Section>,
}

/// One version of a session note: the whole note as it stood at that version.
///
/// Serializing a `Note` gives every field, sections included (what `--json` prints);
/// its record holds the body once (see `Note::record`), and reading one derives the
/// sections from the body again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredNote")]
pub struct Note {
    /// The note's identifier.
    pub id: NoteId,
    /// The version, from 1; every edit, signature and addendum makes a new one.
    pub version: u32,
    /// The clients in the session.
    pub clients: Vec<ClientId>,
    /// The session date.
    pub date: Date,
    /// The kind of session.
    pub note_type: NoteType,
    /// The Markdown body as written.
    pub body: String,
    /// The body split into sections.
    pub sections: Vec<Section>,
    /// Draft or signed.
    pub status: NoteStatus,
    /// Addenda, oldest first.
    #[serde(default)]
    pub addenda: Vec<Addendum>,
    /// When this version was written.
    pub written_at: Timestamp,
    /// Who wrote this version.
    pub written_by: String,
    /// The file it was imported from, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<NoteSource>,
}

/// The file a note was imported from: what makes a repeated import skip it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteSource {
    /// The file's name (not its directory).
    pub file: String,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
}

/// A note as its record held it before practices: the body once, without the
/// sections, which are derived from the body when the record is read. Records written
/// before the body was stored alone also hold the sections; those are read as they were
/// stored. Notes are now written in parts (`vault::parts`), the same fields with the
/// text sealed per category; this shape is kept to check that such records still read.
#[cfg(test)]
#[derive(Serialize)]
pub(crate) struct NoteRecord<'a> {
    id: &'a NoteId,
    version: u32,
    clients: &'a [ClientId],
    date: Date,
    note_type: NoteType,
    body: &'a str,
    /// Only when splitting the body again would not give them (a body accepted by
    /// another version of the parser): what was checked when written is what is read.
    #[serde(skip_serializing_if = "Option::is_none")]
    sections: Option<&'a [Section]>,
    status: &'a NoteStatus,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    addenda: Vec<AddendumRecord<'a>>,
    written_at: Timestamp,
    written_by: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a NoteSource>,
}

/// An addendum as a note's record holds it: the body once.
#[cfg(test)]
#[derive(Serialize)]
struct AddendumRecord<'a> {
    written_at: Timestamp,
    written_by: &'a str,
    body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sections: Option<&'a [Section]>,
}

/// `sections`, unless splitting `body` again gives the same.
#[cfg(test)]
fn unless_derived<'a>(body: &str, sections: &'a [Section]) -> Option<&'a [Section]> {
    (split_stored(body) != sections).then_some(sections)
}

/// What a note's record is read as: either shape, with or without sections.
#[derive(Deserialize)]
struct StoredNote {
    id: NoteId,
    version: u32,
    clients: Vec<ClientId>,
    date: Date,
    note_type: NoteType,
    body: String,
    #[serde(default)]
    sections: Option<Vec<Section>>,
    status: NoteStatus,
    #[serde(default)]
    addenda: Vec<Addendum>,
    written_at: Timestamp,
    written_by: String,
    #[serde(default)]
    source: Option<NoteSource>,
}

impl From<StoredNote> for Note {
    fn from(s: StoredNote) -> Note {
        Note {
            sections: s.sections.unwrap_or_else(|| split_stored(&s.body)),
            id: s.id,
            version: s.version,
            clients: s.clients,
            date: s.date,
            note_type: s.note_type,
            body: s.body,
            status: s.status,
            addenda: s.addenda,
            written_at: s.written_at,
            written_by: s.written_by,
            source: s.source,
        }
    }
}

/// What an addendum is read as: either shape, with or without sections.
#[derive(Deserialize)]
struct StoredAddendum {
    written_at: Timestamp,
    written_by: String,
    body: String,
    #[serde(default)]
    sections: Option<Vec<Section>>,
}

impl From<StoredAddendum> for Addendum {
    fn from(s: StoredAddendum) -> Addendum {
        Addendum {
            sections: s.sections.unwrap_or_else(|| split_stored(&s.body)),
            written_at: s.written_at,
            written_by: s.written_by,
            body: s.body,
        }
    }
}

impl Note {
    /// The note as its record held it before practices (the body once, no sections).
    #[cfg(test)]
    pub(crate) fn record(&self) -> NoteRecord<'_> {
        NoteRecord {
            id: &self.id,
            version: self.version,
            clients: &self.clients,
            date: self.date,
            note_type: self.note_type,
            body: &self.body,
            sections: unless_derived(&self.body, &self.sections),
            status: &self.status,
            addenda: self
                .addenda
                .iter()
                .map(|a| AddendumRecord {
                    written_at: a.written_at,
                    written_by: &a.written_by,
                    body: &a.body,
                    sections: unless_derived(&a.body, &a.sections),
                })
                .collect(),
            written_at: self.written_at,
            written_by: &self.written_by,
            source: self.source.as_ref(),
        }
    }

    /// Every section, body then addenda.
    pub fn all_sections(&self) -> impl Iterator<Item = &Section> {
        self.sections
            .iter()
            .chain(self.addenda.iter().flat_map(|a| a.sections.iter()))
    }

    /// True when the note is signed.
    pub fn is_signed(&self) -> bool {
        matches!(self.status, NoteStatus::Signed { .. })
    }
}

/// What `note add` takes.
#[derive(Clone, Debug)]
pub struct NewNote {
    /// The clients in the session (one or more).
    pub clients: Vec<ClientId>,
    /// The session date.
    pub date: Date,
    /// The kind of session; when `None`, `individual` for one client, otherwise an error.
    pub note_type: Option<NoteType>,
    /// The Markdown body.
    pub body: String,
}

impl NewNote {
    /// A note of an individual session.
    pub fn individual(client: &str, date: Date, body: &str) -> Self {
        NewNote {
            clients: vec![client.into()],
            date,
            note_type: Some(NoteType::Individual),
            body: body.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_hold_the_body_once_and_read_back_whole() {
        let body = "Slept better.\n## risk\nNone.\n";
        let note = Note {
            id: "0a0b0c0d".into(),
            version: 2,
            clients: vec!["01020304".into()],
            date: "2026-03-01".parse().unwrap(),
            note_type: NoteType::Individual,
            body: body.into(),
            sections: parse_default(body).unwrap(),
            status: NoteStatus::Signed {
                at: "2026-03-02T10:00:00Z".parse().unwrap(),
                by: "ada".into(),
            },
            addenda: vec![Addendum {
                written_at: "2026-03-03T10:00:00Z".parse().unwrap(),
                written_by: "ada".into(),
                body: "## medication\nStarted.".into(),
                sections: parse_default("## medication\nStarted.").unwrap(),
            }],
            written_at: "2026-03-03T10:00:00Z".parse().unwrap(),
            written_by: "ada".into(),
            source: None,
        };
        let stored = serde_json::to_string(&note.record()).unwrap();
        assert!(!stored.contains("sections"), "{stored}");
        assert_eq!(stored.matches("Slept better").count(), 1);
        assert_eq!(serde_json::from_str::<Note>(&stored).unwrap(), note);
        // The older shape, sections stored beside the body, still reads.
        let old = serde_json::to_string(&note).unwrap();
        assert!(old.contains("sections"));
        assert_eq!(serde_json::from_str::<Note>(&old).unwrap(), note);
    }

    #[test]
    fn sections_that_the_body_would_not_give_again_are_kept_in_the_record() {
        // A note read from an older record, whose stored split differs from what the
        // parser gives now (all under psychotherapy-notes): written again (signed,
        // amended), it keeps the sections that were checked, not a fresh split.
        let body = "## psychotherapy-notes\nProcess notes.\n## attendance\nArrived late.\n";
        let kept = vec![Section {
            category: "psychotherapy-notes".into(),
            text: "Process notes.\n## attendance\nArrived late.\n".into(),
        }];
        let mut note: Note = serde_json::from_str(
            &serde_json::to_string(&serde_json::json!({
                "id": "0a0b0c0d", "version": 1, "clients": ["01020304"],
                "date": "2026-03-01", "note_type": "individual", "body": body,
                "sections": kept, "status": {"state": "draft"},
                "written_at": "2026-03-01T10:00:00Z", "written_by": "ada",
            }))
            .unwrap(),
        )
        .unwrap();
        assert_eq!(note.sections, kept);
        note.version = 2;
        let stored = serde_json::to_string(&note.record()).unwrap();
        assert!(stored.contains("\"sections\""), "{stored}");
        assert_eq!(
            serde_json::from_str::<Note>(&stored).unwrap().sections,
            kept
        );
    }

    #[test]
    fn dates_are_iso() {
        assert_eq!(
            "2026-03-01".parse::<Date>().unwrap().to_string(),
            "2026-03-01"
        );
        assert!("01/03/2026".parse::<Date>().is_err());
        for outside in ["0000-01-01", "1899-12-31", "2201-01-01", "9999-12-31"] {
            let err = outside.parse::<Date>().unwrap_err();
            assert!(err.contains("outside the dates casevault keeps"), "{err}");
        }
        for inside in ["1900-01-01", "2200-12-31"] {
            assert_eq!(inside.parse::<Date>().unwrap().to_string(), inside);
        }
        // Records read back whatever their dates.
        let old: Date = serde_json::from_str("\"0000-01-01\"").unwrap();
        assert!(!old.in_range());
        assert!("2026-02-30".parse::<Date>().is_err());
    }
}
