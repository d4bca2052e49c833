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
    /// only one client's notes. The search index (sealed blocks under
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
                Some(terms) => match index::lookup(a.tx(), a.ring(), &terms)? {
                    Some(found) => a.for_each_note_with_parts(&found, take)?,
                    // The index of a compartment this member holds is not complete.
                    None => a.for_each_page(RecordKind::Note, take)?,
                },
                // Too short for a trigram: every note is read.
                None => a.for_each_page(RecordKind::Note, take)?,
            }
            Ok(hits)
        })?;
        hits.sort_by(|a, b| a.date.cmp(&b.date).then(a.note.cmp(&b.note)));
        Ok(hits)
    }

    /// Builds the search index again from the notes this member reads. For each
    /// compartment they hold: when they read every note of its client, its index is
    /// built afresh and complete; when they do not, an index that is missing or
    /// damaged is built from what they read, marked incomplete (searches read every
    /// note until a member who reads them all rebuilds it), and an intact one is left
    /// as it is. For a vault made before the index, or one whose index `audit verify`
    /// reports damaged or incomplete.
    pub fn rebuild_search_index(&mut self) -> Result<IndexRebuild> {
        self.access(Action::IndexRebuild, |a| {
            let (_, policy) = a.policy()?;
            // Each client's compartments, and the attendance compartments their notes
            // are sealed for, in every key epoch.
            let mut clients = Vec::new();
            for client in a.client_ids()? {
                let mut ids = a.compartment_ids_of_client(&policy, &client)?;
                let mut attendance = std::collections::BTreeSet::new();
                for epoch in 1..=a.ring().roster.epoch {
                    for name in ["attendance", "identity"] {
                        let id = a.ring().id_of(
                            &crate::model::practice::Compartment::Client {
                                client: client.as_str().into(),
                                name: name.to_owned(),
                            },
                            epoch,
                        );
                        if name == "attendance" {
                            attendance.insert(id.clone());
                        }
                        ids.insert(id);
                    }
                }
                clients.push((ids, attendance));
            }
            let unread = a.unread_note_compartments()?;
            let plan = index::plan_rebuild(a.tx(), a.ring(), &clients, &unread)?;
            let mut notes = 0;
            a.for_each_index_page(|tx, entries| {
                let entries: Vec<index::Entry> = entries
                    .into_iter()
                    .map(|mut e| {
                        e.parts.retain(|p| plan.rebuilds(&p.compartment));
                        e
                    })
                    .filter(|e| !e.parts.is_empty())
                    .collect();
                notes += entries.len() as u64;
                index::flush(tx, entries)
            })?;
            let (complete, incomplete) = index::finish_rebuild(a.tx(), &plan)?;
            Ok(IndexRebuild {
                notes,
                complete,
                incomplete,
            })
        })
    }
}

/// What [`Session::rebuild_search_index`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IndexRebuild {
    /// Notes indexed (each in the compartments of it this member holds).
    pub notes: u64,
    /// Compartments whose index was built afresh from every note of their client:
    /// searches use them.
    pub complete: u64,
    /// Compartments whose index was missing or damaged and was built from the notes
    /// this member reads, not all of their client's: searches read every note until a
    /// member who reads them all (an owner) rebuilds it.
    pub incomplete: u64,
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
