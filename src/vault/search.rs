//! Search: the notes' text, for a word; the notes the search index names, or every
//! note, decrypted a page at a time.

use rayon::prelude::*;
use serde::Serialize;

use super::Session;
use super::index::{self, terms};
use crate::audit::Action;
use crate::base::RecordKind;
use crate::base::{ClientId, Date, NoteId};
use crate::error::Error;

type Result<T> = std::result::Result<T, Error>;

/// A line of a note that matched a search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    /// The note.
    pub note: NoteId,
    /// The note's session date.
    pub date: Date,
    /// The note's clients.
    pub clients: Vec<ClientId>,
    /// The matching line, trimmed.
    pub line: String,
}

impl Session {
    /// Searches the decrypted text of every note's current version (body and
    /// addenda) this member may read, line by line, case-insensitively; optionally
    /// only one client's notes. The search index ([`super::index`], sealed blocks under
    /// each compartment's key) says which notes to read; the lines found are exactly
    /// those a reading of every note finds.
    ///
    /// ```
    /// # use casevault::*;
    /// # use secrecy::SecretString;
    /// # fn main() -> Result<(), Error> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let pass = SecretString::from("correct horse battery staple");
    /// # let (mut session, _) =
    /// #     Vault::create(&dir.path().join("v"), &pass, KdfParams::default(), "dr-rivera")?;
    /// let ada = session.add_client(NewClient { name: "Ada Example".into(), ..NewClient::default() })?;
    /// let note = session.add_note(NewNote::individual(
    ///     &ada,
    ///     "2026-03-01".parse().unwrap(),
    ///     "Slept better.\n## medication\nSertraline 50 mg.\n",
    /// ))?;
    /// let hits = session.search("SERTRALINE", Some(&ada))?;
    /// assert_eq!(hits.len(), 1);
    /// assert_eq!(hits[0].note, note);
    /// assert_eq!(hits[0].line, "Sertraline 50 mg.");
    /// # Ok(())
    /// # }
    /// ```
    pub fn search(&mut self, query: &str, client: Option<&str>) -> Result<Vec<SearchHit>> {
        let needle = query.trim().to_lowercase();
        if crate::base::fold::is_blank(&needle) {
            return Err(Error::InvalidInput("the search query is empty".into()));
        }
        let mut hits = self.access(Action::NoteSearch, |a| {
            if let Some(client) = client {
                a.client(client)?;
            }
            let mut hits = Vec::new();
            let take = |notes: Vec<NoteText>| {
                let page: Vec<SearchHit> = notes
                    .par_iter()
                    .filter(|note| client.is_none_or(|c| note.clients.iter().any(|n| n == c)))
                    .flat_map_iter(|note| search_note(note, &needle))
                    .collect();
                hits.extend(page);
                Ok(())
            };
            match terms::query_terms(&needle) {
                // The index names the notes whose text, in a compartment this member
                // holds, has every trigram of the query: only those are read, and
                // only those parts of them.
                Some(terms) if index::is_ready(a.tx(), a.ring().member())? => {
                    let found = index::lookup(a.tx(), a.ring(), &terms)?;
                    a.for_each_note_with_parts(&found, take)?;
                }
                // Too short for a trigram, or no index yet: every note is read.
                _ => a.for_each_page(RecordKind::Note, take)?,
            }
            Ok(hits)
        })?;
        hits.sort_by(|a, b| a.date.cmp(&b.date).then(a.note.cmp(&b.note)));
        Ok(hits)
    }

    /// Builds this member's search index again from the notes: the index of every
    /// compartment whose key they hold is deleted, then every note they can read is
    /// read and indexed. Their searches use the index from then on (a vault made
    /// before the index, or one whose index `audit verify` reports damaged).
    pub fn rebuild_search_index(&mut self) -> Result<IndexRebuild> {
        self.access(Action::IndexRebuild, |a| {
            let cleared = index::clear_held(a.tx(), a.ring())?;
            let mut report = IndexRebuild {
                notes: 0,
                compartments_cleared: cleared,
                not_indexed: 0,
            };
            a.for_each_index_page(|tx, entries| {
                for entry in &entries {
                    if entry.parts.is_empty() {
                        report.not_indexed += 1;
                    } else {
                        report.notes += 1;
                    }
                }
                index::flush(tx, entries)
            })?;
            if report.not_indexed == 0 {
                index::mark_ready_for(a.tx(), a.ring().member())?;
            }
            Ok(report)
        })
    }
}

/// What [`Session::rebuild_search_index`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IndexRebuild {
    /// Notes indexed (each in every compartment of it this member holds).
    pub notes: u64,
    /// Compartments whose earlier index was deleted.
    pub compartments_cleared: u64,
    /// Notes read that hold no part this member's keys open (a note written before
    /// practices, kept whole): searches keep reading every note while there are any.
    pub not_indexed: u64,
}

/// What search reads of a note: its text and what a hit names. Deserializing only
/// this skips deriving the sections, which search does not need.
#[derive(serde::Deserialize)]
struct NoteText {
    id: NoteId,
    date: Date,
    clients: Vec<ClientId>,
    body: String,
    #[serde(default)]
    addenda: Vec<AddendumText>,
}

#[derive(serde::Deserialize)]
struct AddendumText {
    body: String,
}

/// The lines of a note (body and addenda) that contain `needle` (already lowercase).
fn search_note(note: &NoteText, needle: &str) -> Vec<SearchHit> {
    let texts =
        std::iter::once(note.body.as_str()).chain(note.addenda.iter().map(|a| a.body.as_str()));
    texts
        .filter(|text| may_contain(text, needle))
        .flat_map(str::lines)
        .filter(|line| line.to_lowercase().contains(needle))
        .map(|line| SearchHit {
            note: note.id.clone(),
            date: note.date,
            clients: note.clients.clone(),
            line: line.trim().to_owned(),
        })
        .collect()
}

/// False only when no line of `text` can contain `needle` (lowercase): most notes do
/// not, and lowercasing a whole ASCII text once costs less than lowercasing each line.
/// A text that is not ASCII goes line by line, since some non-ASCII letters lowercase
/// to ASCII ones (the Kelvin sign to `k`).
fn may_contain(text: &str, needle: &str) -> bool {
    !text.is_ascii() || text.to_ascii_lowercase().contains(needle)
}
