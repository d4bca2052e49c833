//! Session notes: Markdown bodies split into sections by category.

use serde::{Deserialize, Serialize};

use crate::base::{ClientId, Date, NoteId};
use crate::model::category::UNHEADED_CATEGORY;

mod headings;

pub use headings::HeadingForm;

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
        /// When it was signed (RFC 3339, UTC).
        at: String,
        /// Who signed it.
        by: String,
    },
}

/// A change to a signed note, appended and never rewritten.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredAddendum")]
pub struct Addendum {
    /// When it was written (RFC 3339, UTC).
    pub written_at: String,
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
    /// When this version was written (RFC 3339, UTC).
    pub written_at: String,
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

/// A note as its record holds it: the body once, without the sections, which are
/// derived from the body when the record is read. Records written before the body was
/// stored alone also hold the sections; those are read as they were stored.
#[derive(Serialize)]
pub(crate) struct NoteRecord<'a> {
    id: &'a str,
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
    written_at: &'a str,
    written_by: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a NoteSource>,
}

/// An addendum as a note's record holds it: the body once.
#[derive(Serialize)]
struct AddendumRecord<'a> {
    written_at: &'a str,
    written_by: &'a str,
    body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sections: Option<&'a [Section]>,
}

/// `sections`, unless splitting `body` again gives the same.
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
    written_at: String,
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
    written_at: String,
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
    /// The note as its record holds it (the body once, no sections).
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
                    written_at: &a.written_at,
                    written_by: &a.written_by,
                    body: &a.body,
                    sections: unless_derived(&a.body, &a.sections),
                })
                .collect(),
            written_at: &self.written_at,
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
            clients: vec![client.to_owned()],
            date,
            note_type: Some(NoteType::Individual),
            body: body.to_owned(),
        }
    }
}

/// A note body that cannot be split into sections. Variants may be added, as new
/// ways a body can mislead its reader are found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteParseError {
    /// A `## ` heading names no known category.
    #[error(
        "line {line}: heading \"## {heading}\" is not a category; use one of: {known} (or ### for a heading inside a section)"
    )]
    UnknownCategory {
        /// The 1-based line number.
        line: usize,
        /// The heading's text.
        heading: String,
        /// The known categories, comma-separated.
        known: String,
    },
    /// A line looks like a category heading but is not exactly one.
    #[error(
        "line {line}: \"{heading}\" names a category but is not a section heading; write it as \"## <category>\" at the start of a line, outside any code block"
    )]
    MisplacedHeading {
        /// The 1-based line number.
        line: usize,
        /// The line as written.
        heading: String,
    },
    /// A code block is opened and never closed.
    #[error(
        "line {line}: this code block (``` or ~~~) is never closed; close it so the headings after it count"
    )]
    UnclosedFence {
        /// The 1-based line that opens it.
        line: usize,
    },
    /// A heading, or a line that reads as one, names or resembles a category but does
    /// not start a section of it: a Markdown reader would show the text after it under
    /// that category while the note files it under another.
    #[error(
        "line {line}: \"{shown}\" {form} looks like the heading of {category} but does not start a section; write \"## {category}\" on its own line at the start of the line, outside any quote, list or code block, or reword it"
    )]
    LookalikeHeading {
        /// The 1-based line number (lines end as an editor ends them: LF, CRLF, CR,
        /// U+2028, U+2029).
        line: usize,
        /// The line as a reader sees it, shortened, control characters escaped.
        shown: String,
        /// How it is written.
        form: HeadingForm,
        /// The category it names or resembles.
        category: String,
    },
    /// A `## <category>` line that starts a section where a Markdown reader shows no
    /// heading at the top level of the note: the sections and what a reader sees would
    /// disagree.
    #[error(
        "line {line}: \"## {category}\" starts a section of {category}, but a Markdown reader does not show it as a heading of the note (it is inside HTML, a quote or a list item, or the line break before it is not one to every reader); write it at the start of its own line after an empty line, outside any HTML, quote or list"
    )]
    HiddenSectionStart {
        /// The 1-based line number.
        line: usize,
        /// The category the line names.
        category: String,
    },
    /// An HTML heading tag (`<h1>` to `<h6>`, any case).
    #[error(
        "line {line}: \"{shown}\" is an HTML heading; notes take Markdown headings only: write \"## <category>\" on its own line to start a section, or ### for a heading inside one"
    )]
    HtmlHeading {
        /// The 1-based line number.
        line: usize,
        /// The line as a reader sees it, shortened, control characters escaped.
        shown: String,
    },
    /// The body has no text.
    #[error("the note is empty")]
    Empty,
}

/// A Markdown ATX heading: its level and text, if `line` is one (any indentation).
fn atx_heading(line: &str) -> Option<(usize, usize, &str)> {
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    let rest = &line[indent..];
    let level = rest.len() - rest.trim_start_matches('#').len();
    let after = &rest[level..];
    if !(1..=6).contains(&level) || !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    Some((indent, level, after.trim().trim_end_matches('#').trim()))
}

/// The fence a line opens or closes: its character and length (``` or ~~~, 3 or more).
fn fence_of(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let c = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let run = trimmed.len() - trimmed.trim_start_matches(c).len();
    (run >= 3).then_some((c, run))
}

impl NoteParseError {
    /// The same error with its line number moved down by `lines` (for a body that
    /// starts after front matter).
    pub fn shifted(self, lines: usize) -> Self {
        match self {
            NoteParseError::UnknownCategory {
                line,
                heading,
                known,
            } => NoteParseError::UnknownCategory {
                line: line + lines,
                heading,
                known,
            },
            NoteParseError::MisplacedHeading { line, heading } => {
                NoteParseError::MisplacedHeading {
                    line: line + lines,
                    heading,
                }
            }
            NoteParseError::UnclosedFence { line } => {
                NoteParseError::UnclosedFence { line: line + lines }
            }
            NoteParseError::LookalikeHeading {
                line,
                shown,
                form,
                category,
            } => NoteParseError::LookalikeHeading {
                line: line + lines,
                shown,
                form,
                category,
            },
            NoteParseError::HiddenSectionStart { line, category } => {
                NoteParseError::HiddenSectionStart {
                    line: line + lines,
                    category,
                }
            }
            NoteParseError::HtmlHeading { line, shown } => NoteParseError::HtmlHeading {
                line: line + lines,
                shown,
            },
            NoteParseError::Empty => NoteParseError::Empty,
        }
    }
}

/// Splits a Markdown body into sections: a `## <category>` heading starts a section
/// of that category; text before any heading is `progress`.
///
/// Text must never land in the wrong category by a slip of markup, so anything that
/// looks like a category heading but is not exactly one is refused, naming the line:
/// another heading level, four or more spaces of indentation, a category heading
/// inside a code block, and a code block that is never closed.
pub fn parse_sections(body: &str, categories: &[&str]) -> Result<Vec<Section>, NoteParseError> {
    let split = split(body, Some(categories)).map_err(|e| headings::on_user_lines(e, body))?;
    headings::check(body, categories, &split.starts)?;
    Ok(split.sections)
}

/// The sections of a body that [`parse_sections`] accepted when it was written, under
/// whatever categories were in force then. For such a body the split does not depend
/// on the categories: every level-2 heading outside a code block named one of them
/// (any other was refused), so each one starts a section, of the category it names.
/// That is what makes storing the body alone enough (see [`NoteRecord`]).
pub(crate) fn split_stored(body: &str) -> Vec<Section> {
    // Without categories to check against nothing is refused; an empty body (which no
    // note has) gives no sections.
    split(body, None)
        .map(|split| split.sections)
        .unwrap_or_default()
}

/// What the line splitter made of a body: its sections, and the line (0-based, counted
/// as `str::lines` counts them) and category of each `## <category>` that started one.
struct Split {
    sections: Vec<Section>,
    starts: Vec<(usize, String)>,
}

/// The one parser: with `categories`, checks the body as [`parse_sections`] says;
/// without, trusts its headings and only splits.
fn split(body: &str, categories: Option<&[&str]>) -> Result<Split, NoteParseError> {
    let check = categories.is_some();
    let known = |name: &str| categories.is_some_and(|c| c.contains(&name.to_lowercase().as_str()));
    // A body of spaces and invisible characters shows nothing: it is empty (stored
    // bodies keep splitting as they did).
    if check && crate::base::fold::is_blank(body) {
        return Err(NoteParseError::Empty);
    }
    if body.trim().is_empty() {
        return if check {
            Err(NoteParseError::Empty)
        } else {
            Ok(Split {
                sections: Vec::new(),
                starts: Vec::new(),
            })
        };
    }
    let mut sections = Vec::new();
    let mut starts = Vec::new();
    let mut category = UNHEADED_CATEGORY.to_owned();
    let mut text = String::new();
    let mut headed = false;
    // The open fence: its character, length and line.
    let mut fence: Option<(char, usize, usize)> = None;
    for (index, line) in body.lines().enumerate() {
        let heading = atx_heading(line);
        let names_category = check && heading.is_some_and(|(_, _, name)| known(name));
        if let Some((c, run, _)) = fence {
            if names_category {
                return Err(NoteParseError::MisplacedHeading {
                    line: index + 1,
                    heading: line.trim().to_owned(),
                });
            }
            if fence_of(line).is_some_and(|(d, n)| d == c && n >= run)
                && line.trim().trim_start_matches(c).is_empty()
            {
                fence = None;
            }
        } else if let Some((c, run)) = fence_of(line) {
            fence = Some((c, run, index + 1));
        } else if let Some((indent, level, name)) = heading {
            if level == 2 && indent <= 3 {
                if let Some(categories) = categories
                    && !known(name)
                {
                    return Err(NoteParseError::UnknownCategory {
                        line: index + 1,
                        heading: name.to_owned(),
                        known: categories.join(", "),
                    });
                }
                if headed || !text.trim().is_empty() {
                    sections.push(Section {
                        category,
                        text: text.trim_matches('\n').to_owned(),
                    });
                }
                category = name.to_lowercase();
                starts.push((index, category.clone()));
                text = String::new();
                headed = true;
                continue;
            }
            if names_category {
                return Err(NoteParseError::MisplacedHeading {
                    line: index + 1,
                    heading: line.trim().to_owned(),
                });
            }
        }
        text.push_str(line);
        text.push('\n');
    }
    if let Some((_, _, line)) = fence
        && check
    {
        return Err(NoteParseError::UnclosedFence { line });
    }
    if headed || !text.trim().is_empty() {
        sections.push(Section {
            category,
            text: text.trim_matches('\n').to_owned(),
        });
    }
    Ok(Split { sections, starts })
}

/// [`parse_sections`] with the default categories.
#[cfg(test)]
pub(crate) fn parse_default(body: &str) -> Result<Vec<Section>, NoteParseError> {
    parse_sections(body, crate::model::category::DEFAULT_CATEGORIES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::category::DEFAULT_CATEGORIES;

    #[test]
    fn headings_make_sections() {
        let body = "Arrived on time.\n\n## risk\nDenies intent.\n## Diagnosis\nF41.1\n";
        let s = parse_default(body).unwrap();
        let cats: Vec<_> = s.iter().map(|s| s.category.as_str()).collect();
        assert_eq!(cats, ["progress", "risk", "diagnosis"]);
        assert_eq!(s[1].text, "Denies intent.");
    }

    #[test]
    fn unknown_category_names_the_line() {
        let err = parse_default("text\n\n## Plan\nmore").unwrap_err();
        assert_eq!(
            err,
            NoteParseError::UnknownCategory {
                line: 3,
                heading: "Plan".into(),
                known: DEFAULT_CATEGORIES.join(", ")
            }
        );
        assert!(err.to_string().starts_with("line 3: heading \"## Plan\""));
    }

    #[test]
    fn fenced_headings_and_subheadings_are_text() {
        let s = parse_default("```\n## not a heading\n```\n### Sub\ntext").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].category, "progress");
    }

    #[test]
    fn near_miss_category_headings_are_refused() {
        for (body, line) in [
            ("Text\n# psychotherapy-notes\nsecret", 2),
            ("Text\n### substance-use\nsecret", 2),
            ("Text\n    ## psychotherapy-notes\nsecret", 2),
            ("```\n## psychotherapy-notes\n```", 2),
        ] {
            match parse_default(body) {
                Err(NoteParseError::MisplacedHeading { line: l, .. }) => {
                    assert_eq!(l, line, "{body}")
                }
                other => panic!("{body:?}: {other:?}"),
            }
        }
        assert_eq!(
            parse_default("Progress.\n~~~~~~~~~~\n## psychotherapy-notes\nPN"),
            Err(NoteParseError::MisplacedHeading {
                line: 3,
                heading: "## psychotherapy-notes".into()
            })
        );
        assert_eq!(
            parse_default("Progress.\n```\ncode"),
            Err(NoteParseError::UnclosedFence { line: 2 })
        );
    }

    #[test]
    fn heading_variants_that_are_exact_work() {
        let s = parse_default(" ## Risk\nlow\n##\tdiagnosis\nF41.1\n### Plan\nweekly").unwrap();
        let cats: Vec<_> = s.iter().map(|s| s.category.as_str()).collect();
        assert_eq!(cats, ["risk", "diagnosis"]);
        assert!(s[1].text.contains("### Plan"));
    }

    #[test]
    fn stored_bodies_split_as_they_were_parsed() {
        let bodies = [
            "Arrived on time.\n\n## risk\nDenies intent.\n## Diagnosis\nF41.1\n",
            " ## Risk\nlow\n##\tdiagnosis\nF41.1\n### Plan\nweekly",
            "```\n## not a heading\n```\n### Sub\ntext",
            "Text\r\n## risk ##\r\nCRLF text\r\n\r\n## medication\r\n",
            "## risk\n\n## risk\nagain\n~~~\n## foo\n~~~\nafter",
            "just progress, no heading",
        ];
        for body in bodies {
            let parsed = parse_default(body).unwrap();
            assert_eq!(split_stored(body), parsed, "{body:?}");
        }
        // A category the policy has since dropped still splits as it was written.
        let custom = "Intro\n## Homework\nthought record";
        let parsed = parse_sections(custom, &["progress", "homework"]).unwrap();
        assert_eq!(split_stored(custom), parsed);
    }

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
                at: "2026-03-02T10:00:00Z".into(),
                by: "ada".into(),
            },
            addenda: vec![Addendum {
                written_at: "2026-03-03T10:00:00Z".into(),
                written_by: "ada".into(),
                body: "## medication\nStarted.".into(),
                sections: parse_default("## medication\nStarted.").unwrap(),
            }],
            written_at: "2026-03-03T10:00:00Z".into(),
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
    fn empty_body_is_refused() {
        assert_eq!(parse_default(" \n\n"), Err(NoteParseError::Empty));
        assert_eq!(
            parse_default("\u{200B}\n\u{FEFF}\u{2060} \u{00A0}"),
            Err(NoteParseError::Empty)
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
