//! Bulk import of Markdown note files: one unlock, batched transactions, one audit
//! event per note, resumable.
//!
//! A file is a note body, optionally preceded by front matter:
//!
//! ```text
//! ---
//! date: 2026-03-01
//! type: individual
//! ---
//! Slept better this week.
//! ## risk
//! No current risk.
//! ```
//!
//! Without a `date:` line the file name must start with the date (`2026-03-01…`).
//! Every imported note records the file's name and SHA-256, so running the same import
//! again (after an interruption, say) imports only the files not yet imported.
//!
//! Invariant: a file is read, parsed and encrypted in memory; nothing derived from
//! its text is written anywhere but the vault's ciphertext.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::audit::sha256_hex;
use crate::error::Error;
use crate::note::{Date, Note, NoteId, NoteSource, NoteStatus, NoteType, parse_sections};
use crate::record::RecordKind;
use crate::vault::{Sealed, Session, now, random_id};

type Result<T> = std::result::Result<T, Error>;

/// Notes written per transaction.
const BATCH: usize = 500;

/// What a repeated import needs to know of a note: whose it is and where it came from
/// (reading only this skips deriving the sections).
#[derive(serde::Deserialize)]
struct NoteOrigin {
    clients: Vec<String>,
    #[serde(default)]
    source: Option<NoteSource>,
}

/// A file of a batch: its name, and its digest and bytes or why it cannot be read.
type FileRead = (String, std::io::Result<(String, Zeroizing<Vec<u8>>)>);

/// A new file of a batch: its name, and its note sealed or why it makes none (taken
/// once, in the transaction).
type Prepared = (String, Option<Result<(Note, Sealed)>>);

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Files imported, with the new notes' ids.
    pub imported: Vec<(String, NoteId)>,
    /// Files skipped because an earlier import already holds them.
    pub already_imported: Vec<String>,
    /// Files not imported, with the reason.
    pub failed: Vec<(String, String)>,
}

/// How far an import has got, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportProgress {
    /// Files handled so far.
    pub done: usize,
    /// Files in all.
    pub total: usize,
}

/// A file's front matter and body.
#[derive(Debug)]
struct Parsed<'a> {
    date: Option<Date>,
    note_type: Option<NoteType>,
    body: &'a str,
}

fn parse_front_matter(text: &str) -> std::result::Result<Parsed<'_>, String> {
    // Editors on some systems start UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Ok(Parsed {
            date: None,
            note_type: None,
            body: text,
        });
    };
    let mut date = None;
    let mut note_type = None;
    let mut offset = text.len() - rest.len();
    for (index, line) in rest.split_inclusive('\n').enumerate() {
        offset += line.len();
        let line = line.trim_end();
        if line == "---" {
            return Ok(Parsed {
                date,
                note_type,
                body: &text[offset..],
            });
        }
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("front matter line {}: expected `key: value`", index + 2))?;
        let value = value.trim();
        match key.trim() {
            "date" => {
                date = Some(
                    value
                        .parse::<Date>()
                        .map_err(|e| format!("front matter line {}: {e}", index + 2))?,
                )
            }
            "type" => {
                note_type = Some(match value {
                    "individual" => NoteType::Individual,
                    "couples" => NoteType::Couples,
                    "family" => NoteType::Family,
                    "group" => NoteType::Group,
                    other => {
                        return Err(format!(
                            "front matter line {}: type {other:?} is not individual, couples, family or group",
                            index + 2
                        ));
                    }
                })
            }
            other => {
                return Err(format!(
                    "front matter line {}: unknown key {other:?} (date and type are known)",
                    index + 2
                ));
            }
        }
    }
    Err("the front matter has no closing `---` line".into())
}

fn date_from_name(name: &str) -> Option<Date> {
    name.get(..10)?.parse().ok()
}

/// The Markdown files of `dir`, by name.
fn note_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::InvalidInput(format!("cannot read the directory {}: {e}", dir.display()))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "md" || x == "markdown"))
        .collect();
    files.sort();
    Ok(files)
}

/// The note a file makes, under a fresh identifier (checked when it is written), or
/// why it makes none.
fn new_note(
    name: &str,
    digest: String,
    bytes: &[u8],
    client: &str,
    actor: &str,
    categories: &[&str],
) -> Result<Note> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::InvalidInput("it is not UTF-8 text".into()))?;
    let parsed = parse_front_matter(text).map_err(Error::InvalidInput)?;
    let date = parsed.date.or_else(|| date_from_name(name)).ok_or_else(|| {
        Error::InvalidInput(
            "it has no session date: add front matter `date: YYYY-MM-DD` or start the file name with the date".into(),
        )
    })?;
    let note_type = parsed.note_type.unwrap_or(NoteType::Individual);
    if note_type != NoteType::Individual {
        return Err(Error::InvalidInput(format!(
            "a {} note has several clients; import imports one client's individual notes (add it with `casevault note add`)",
            note_type.as_str()
        )));
    }
    // Line numbers in errors count from the top of the file.
    // The body is the end of the text, so what comes before it is front matter.
    let front = &text[..text.len() - parsed.body.len()];
    let front_lines = front.matches('\n').count();
    let sections = parse_sections(parsed.body, categories).map_err(|e| e.shifted(front_lines))?;
    Ok(Note {
        id: random_id(),
        version: 1,
        clients: vec![client.to_owned()],
        date,
        note_type,
        body: parsed.body.to_owned(),
        sections,
        status: NoteStatus::Draft,
        addenda: Vec::new(),
        written_at: now(),
        written_by: actor.to_owned(),
        source: Some(NoteSource {
            file: name.to_owned(),
            sha256: digest,
        }),
    })
}

impl Session {
    /// Imports every Markdown file of `dir` as an individual note of `client` (or of
    /// the type its front matter says), in batches of 500 notes per transaction, one
    /// audit event per note. Files an earlier import already holds are skipped, so an
    /// interrupted import can simply be run again. A file that cannot be read or
    /// parsed is reported by name with the reason; the others still import.
    pub fn import_notes(
        &mut self,
        client: &str,
        dir: &Path,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport> {
        let files = note_files(dir)?;
        let actor = self.actor().to_owned();
        // What earlier imports brought in, and the policy's categories, read once.
        let (mut known, categories) = self.access("note.import.prepare", |a| {
            a.client(client)?;
            let (_, policy) = a.policy()?;
            let mut known = HashSet::new();
            a.for_each_page(RecordKind::Note, |notes: Vec<NoteOrigin>| {
                known.extend(
                    notes
                        .into_iter()
                        .filter(|n| n.clients.iter().any(|c| c == client))
                        .filter_map(|n| n.source.map(|s| s.sha256)),
                );
                Ok(())
            })?;
            Ok((known, policy.categories))
        })?;
        let categories: Vec<&str> = categories.iter().map(String::as_str).collect();
        let mut report = ImportReport::default();
        let total = files.len();
        progress(ImportProgress { done: 0, total });
        for (batch_index, batch) in files.chunks(BATCH).enumerate() {
            // Reading and hashing, like parsing and sealing below, is each file's own
            // work: it runs on every core; deciding what is new runs in order.
            let read: Vec<FileRead> = batch
                .par_iter()
                .map(|path| {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let bytes = std::fs::read(path).map(|b| (sha256_hex(&b), Zeroizing::new(b)));
                    (name, bytes)
                })
                .collect();
            let mut todo = Vec::with_capacity(batch.len());
            for (name, bytes) in read {
                match bytes {
                    Err(e) => report.failed.push((name, format!("cannot read it: {e}"))),
                    Ok((digest, bytes)) => {
                        // A digest seen before, in an earlier import or earlier in this
                        // one, is the same file again.
                        if !known.insert(digest.clone()) {
                            report.already_imported.push(name);
                        } else {
                            todo.push((name, digest, bytes));
                        }
                    }
                }
            }
            // Parse and seal each new note on every core, under an identifier drawn
            // now and checked in the transaction; the file's bytes are wiped here.
            let sealer = self.sealer();
            let prepared: Vec<Prepared> = todo
                .into_par_iter()
                .map(|(name, digest, bytes)| {
                    let note = new_note(&name, digest, &bytes, client, &actor, &categories);
                    let sealed = note.and_then(|note| Ok((sealer.seal_note(&note)?, note)));
                    (name, Some(sealed.map(|(sealed, note)| (note, sealed))))
                })
                .collect();
            let results = self.access_each("note.import", prepared, |a, (_, prepared)| {
                let (mut note, sealed) = prepared.take().expect("each item is handled once")?;
                if a.tx.record_exists(RecordKind::Note, &note.id)? {
                    // The identifier drawn ahead is taken (by an earlier note, or one
                    // earlier in this batch): draw a free one and seal again.
                    note.id = a.new_id(RecordKind::Note)?;
                    a.write_note(&note)?;
                } else {
                    a.write_sealed(sealed)?;
                }
                Ok(note.id)
            })?;
            for ((name, _), result) in results {
                match result {
                    Ok(id) => report.imported.push((name, id)),
                    Err(e) => report.failed.push((name, e.to_string())),
                }
            }
            progress(ImportProgress {
                done: (batch_index * BATCH + batch.len()).min(total),
                total,
            });
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_optional_and_checked() {
        let p = parse_front_matter("---\ndate: 2026-03-01\ntype: individual\n---\nText\n").unwrap();
        assert_eq!(p.date.unwrap().to_string(), "2026-03-01");
        assert_eq!(p.body, "Text\n");
        let p = parse_front_matter("Just text\n").unwrap();
        assert!(p.date.is_none());
        assert!(
            parse_front_matter("---\ndate: 2026-13-01\n---\n")
                .unwrap_err()
                .contains("line 2")
        );
        assert!(
            parse_front_matter("---\nmood: fine\n---\n")
                .unwrap_err()
                .contains("unknown key")
        );
        assert!(
            parse_front_matter("---\ndate: 2026-03-01\n")
                .unwrap_err()
                .contains("closing")
        );
    }

    #[test]
    fn dates_come_from_file_names() {
        assert_eq!(
            date_from_name("2026-03-01-session.md").unwrap().to_string(),
            "2026-03-01"
        );
        assert!(date_from_name("notes.md").is_none());
    }
}
