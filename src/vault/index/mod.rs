//! The search index: for each compartment of notes' text, which notes have which
//! trigrams, kept only as blocks sealed under that compartment's key.
//!
//! A note's text is stored in parts, one per client and category, each under its
//! compartment's key ([`super::parts`]); the index is partitioned the same way. Each
//! compartment's index is a manifest (its segments) and segments ([`segment`]): a
//! header and chunks of posting lists. Every one is a named value of the vault,
//! `index/<compartment>` for the manifest and `index/<compartment>/<random>` for the
//! blocks, sealed under the compartment's key and bound to its compartment and name
//! ([`crate::crypto::compartment::seal_block`]). Nothing on disk is derived from a term
//! but through a key: no token, hash or count of a word, only sealed blocks whose
//! sizes are padded.
//!
//! Every operation that writes a note version adds, in its own transaction, one
//! segment to each compartment the note has a part in (a part of no text included,
//! as the parts themselves are); segments of like size are merged, eight at a time,
//! so a compartment keeps few. A search ([`lookup`]) opens the manifests of the
//! compartments the member holds keys to, and in each segment only the chunks of the
//! query's trigrams; the notes it names are then read, the parts it named opened,
//! and their lines matched as a full scan matches them ([`super::search`]).
//!
//! Invariants:
//! - The index of a compartment is sealed under that compartment's key and nothing
//!   else: a member's search opens only what their keys open.
//! - For a member for whom the index is ready ([`is_ready`]), every note version
//!   written since is in the index of every compartment it has a part in, whatever
//!   operation wrote it (`Access::write_sealed`, `Access::replace_sealed`): the index
//!   may name notes a search does not find, never miss one it would.
//! - Anything that does not open or read exactly as written is
//!   [`Error::SearchIndexDamaged`], never a partial answer.

pub(crate) mod segment;
pub(crate) mod terms;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::keyring::{FORM_OWN, FORM_X25519, Keyring};
use rayon::prelude::*;

use crate::audit::VerifyFinding;
use crate::base::{RecordKind, RecordRef};
use crate::crypto::compartment::{self, DataKey};
use crate::error::Error;
use crate::store::Transaction;
use segment::{Doc, Header, MergeInput, Writer};

type Result<T> = std::result::Result<T, Error>;

/// Set when the vault was made with the index: every compartment has had a manifest
/// from its creation, so `audit verify` reports one missing. (Searches do not rely on
/// it: a compartment without a complete manifest is searched by reading its notes.)
pub(crate) const READY: &str = "index.ready";

/// Note records `audit verify`'s check of the index opens at a time.
const CHECK_PAGE: usize = 1024;

/// The least a segment's header is padded to: the dictionary of a note's text of up
/// to about two hundred characters (a heading included) fits, so a short section of
/// a category looks like none, as its part does.
const HEADER_MIN: usize = 2048;

/// Segments of one level merged into one when there are this many.
const MERGE_AT: usize = 8;

/// The name of a compartment's manifest; its blocks are named under it.
pub(crate) fn tree(compartment: &str) -> String {
    format!("index/{compartment}")
}

/// Marks the vault as made with the index (a new vault).
pub(crate) fn mark_new_vault(tx: &dyn Transaction) -> Result<()> {
    Ok(tx.set_meta(READY, b"1")?)
}

/// What a block's seal is bound to: its compartment and its name.
fn binding(compartment: &str, name: &str) -> Vec<u8> {
    let mut out = b"casevault.org/v1/search-index".to_vec();
    for part in [compartment.as_bytes(), name.as_bytes()] {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

fn damaged(what: impl Into<String>) -> Error {
    Error::SearchIndexDamaged { what: what.into() }
}

/// A compartment's segments, oldest first, and whether they cover every note with a
/// part in the compartment.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Manifest {
    /// True from the compartment's creation (every note written to it since was
    /// indexed), or from a rebuild by a member who read every note of its client.
    /// A search uses the index only where every compartment it holds is complete.
    complete: bool,
    segments: Vec<SegmentRef>,
}

/// A segment as its manifest lists it.
#[derive(Serialize, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct SegmentRef {
    /// The header block's name.
    header: String,
    /// How many note versions it covers.
    docs: u32,
    /// Its other blocks' names: its chunks, then the blocks of its notes.
    blocks: Vec<String>,
}

/// A compartment's index as one operation reads and writes it.
struct Compartment<'a> {
    tx: &'a dyn Transaction,
    id: &'a str,
    key: &'a DataKey,
}

impl Compartment<'_> {
    fn block_name(&self, name: &str) -> String {
        format!("{}/{name}", tree(self.id))
    }

    fn read_block(&self, name: &str) -> Result<Zeroizing<Vec<u8>>> {
        let sealed = self
            .tx
            .meta(&self.block_name(name))?
            .ok_or_else(|| damaged("a block of it is missing"))?;
        compartment::open_block(self.key, &binding(self.id, name), &sealed)
            .ok_or_else(|| damaged("a block of it fails its integrity check"))
    }

    fn put_block(&self, plain: &[u8]) -> Result<String> {
        self.put_block_padded(plain, 0)
    }

    /// Stores a block padded to at least `min` bytes (a header's dictionary says how
    /// much text a segment covers: it is padded further).
    fn put_block_padded(&self, plain: &[u8], min: usize) -> Result<String> {
        let mut bytes = [0u8; 8];
        OsRng.fill_bytes(&mut bytes);
        let name = data_encoding::HEXLOWER.encode(&bytes);
        let sealed = compartment::seal_block(self.key, &binding(self.id, &name), plain, min);
        self.tx.set_meta(&self.block_name(&name), &sealed)?;
        Ok(name)
    }

    fn delete_block(&self, name: &str) -> Result<()> {
        self.tx.delete_meta_tree(&self.block_name(name))?;
        Ok(())
    }

    fn manifest(&self) -> Result<Option<Manifest>> {
        let Some(sealed) = self.tx.meta(&tree(self.id))? else {
            return Ok(None);
        };
        let plain = compartment::open_block(self.key, &binding(self.id, ""), &sealed)
            .ok_or_else(|| damaged("its list of segments fails its integrity check"))?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|_| damaged("its list of segments does not read"))
    }

    fn set_manifest(&self, manifest: &Manifest) -> Result<()> {
        let plain = Zeroizing::new(serde_json::to_vec(manifest).expect("a manifest serializes"));
        let sealed = compartment::seal_block(self.key, &binding(self.id, ""), &plain, 0);
        self.tx.set_meta(&tree(self.id), &sealed)?;
        Ok(())
    }

    fn header(&self, segment: &SegmentRef) -> Result<Header> {
        let header = Header::parse(&self.read_block(&segment.header)?)
            .ok_or_else(|| damaged("a segment's header does not read"))?;
        let named = header.chunks.iter().chain(&header.doc_blocks);
        if header.doc_count != segment.docs || !named.eq(&segment.blocks) {
            return Err(damaged("a segment is not the one its list names"));
        }
        Ok(header)
    }

    /// The notes of the `n`th block of a segment's notes.
    fn doc_block(&self, header: &Header, n: usize) -> Result<Vec<Doc>> {
        let name = &header.doc_blocks[n];
        header
            .docs(n, &self.read_block(name)?)
            .ok_or_else(|| damaged("a segment's list of notes does not read"))
    }

    /// Every note a segment covers, in ordinal order.
    fn all_docs(&self, header: &Header) -> Result<Vec<Doc>> {
        // Grown as blocks read, not reserved from the count the header claims.
        let mut out = Vec::new();
        for n in 0..header.doc_blocks.len() {
            out.extend(self.doc_block(header, n)?);
        }
        Ok(out)
    }

    /// Writes a segment whose lists `fill` adds; returns it as the manifest lists it.
    fn write_segment(
        &self,
        fill: impl FnOnce(&mut Writer<'_>) -> Result<Vec<Doc>>,
    ) -> Result<SegmentRef> {
        let mut put = |bytes: &[u8]| self.put_block(bytes);
        let mut writer = Writer::new(&mut put);
        let docs = fill(&mut writer)?;
        let (header, blocks) = writer.finish(&docs)?;
        Ok(SegmentRef {
            header: self.put_block_padded(&header, HEADER_MIN)?,
            docs: docs.len() as u32,
            blocks,
        })
    }

    fn delete_segment(&self, segment: &SegmentRef) -> Result<()> {
        for name in segment.blocks.iter().chain([&segment.header]) {
            self.delete_block(name)?;
        }
        Ok(())
    }

    /// Adds a segment of `docs`, then merges while the newest level is full.
    fn add(&self, docs: &[(Doc, Arc<Vec<u64>>)]) -> Result<()> {
        let mut manifest = self.manifest()?.unwrap_or_default();
        let input: Vec<(Doc, &[u64])> = docs
            .iter()
            .map(|(d, t)| (d.clone(), t.as_slice()))
            .collect();
        let segment = self.write_segment(|w| {
            segment::build(&input, w)?;
            Ok(input.iter().map(|(d, _)| d.clone()).collect())
        })?;
        manifest.segments.push(segment);
        self.compact(&mut manifest)?;
        self.set_manifest(&manifest)
    }

    /// Merges the newest segments while `MERGE_AT` of them share the newest's level
    /// (or a lower one): a compartment of n notes keeps at most about
    /// 7 × log8(n) segments.
    fn compact(&self, manifest: &mut Manifest) -> Result<()> {
        let level = |docs: u32| docs.max(1).ilog(8);
        loop {
            let Some(last) = manifest.segments.last() else {
                return Ok(());
            };
            let top = level(last.docs);
            let run = manifest
                .segments
                .iter()
                .rev()
                .take_while(|s| level(s.docs) <= top)
                .count();
            if run < MERGE_AT {
                return Ok(());
            }
            let at = manifest.segments.len() - run;
            let old = manifest.segments.split_off(at);
            let merged = self.merge(&old)?;
            for segment in &old {
                self.delete_segment(segment)?;
            }
            manifest.segments.push(merged);
        }
    }

    fn merge(&self, old: &[SegmentRef]) -> Result<SegmentRef> {
        let headers = old
            .iter()
            .map(|s| self.header(s))
            .collect::<Result<Vec<Header>>>()?;
        let docs = headers
            .iter()
            .map(|h| self.all_docs(h))
            .collect::<Result<Vec<Vec<Doc>>>>()?;
        let mut readers: Vec<Box<ChunkReader<'_>>> = headers
            .iter()
            .map(|h| {
                Box::new(move |n: usize| {
                    let name = h
                        .chunks
                        .get(n)
                        .ok_or_else(|| damaged("a segment names a chunk it does not have"))?;
                    self.read_block(name)
                }) as Box<ChunkReader<'_>>
            })
            .collect();
        let mut inputs: Vec<MergeInput<'_>> = headers
            .iter()
            .zip(&docs)
            .zip(readers.iter_mut())
            .map(|((header, docs), chunk)| MergeInput {
                header,
                docs,
                chunk: &mut **chunk,
            })
            .collect();
        self.write_segment(|w| {
            segment::merge(&mut inputs, w, &|| damaged("a posting list does not read"))
        })
    }

    /// The notes (identifiers) whose text here has every one of `terms`; false (and
    /// nothing found) when this compartment's index is not complete.
    fn find(&self, terms: &[u64], out: &mut Vec<String>) -> Result<bool> {
        let Some(manifest) = self.manifest()? else {
            return Ok(false);
        };
        if !manifest.complete {
            return Ok(false);
        }
        for segment in &manifest.segments {
            let header = self.header(segment)?;
            let Some(entries) = terms
                .iter()
                .map(|t| header.find(*t).copied())
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            let mut chunks: BTreeMap<u32, Zeroizing<Vec<u8>>> = BTreeMap::new();
            let mut lists = Vec::with_capacity(entries.len());
            for entry in &entries {
                let chunk = match chunks.entry(entry.chunk) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(self.read_block(&header.chunks[entry.chunk as usize])?)
                    }
                };
                lists.push(
                    header
                        .postings(entry, chunk)
                        .ok_or_else(|| damaged("a posting list does not read"))?,
                );
            }
            // Only the blocks of the notes found are read.
            let mut block: Option<(usize, Vec<Doc>)> = None;
            for o in segment::intersect(lists) {
                let n = o as usize / segment::DOCS_PER_BLOCK;
                if block.as_ref().is_none_or(|(b, _)| *b != n) {
                    block = Some((n, self.doc_block(&header, n)?));
                }
                let (_, docs) = block.as_ref().expect("read above");
                out.push(docs[o as usize % segment::DOCS_PER_BLOCK].id.clone());
            }
        }
        Ok(true)
    }

    /// Every note version this compartment's index covers, each as its number in
    /// `notes` and its version (compact: a vault of a million notes is checked in
    /// little memory); every block of it is read and checked on the way, a chunk and a
    /// block of notes at a time.
    fn covered(&self, notes: &mut Interner) -> Result<Option<(bool, HashSet<u64>)>> {
        let mut out = HashSet::new();
        let Some(manifest) = self.manifest()? else {
            return Ok(None);
        };
        for segment in &manifest.segments {
            let header = self.header(segment)?;
            // The dictionary lists terms chunk by chunk, in order.
            let mut at = 0;
            for (n, name) in header.chunks.iter().enumerate() {
                let chunk = self.read_block(name)?;
                while let Some(entry) = header.terms.get(at).filter(|e| e.chunk as usize == n) {
                    header
                        .postings(entry, &chunk)
                        .ok_or_else(|| damaged("a posting list does not read"))?;
                    at += 1;
                }
            }
            if at != header.terms.len() {
                return Err(damaged("a segment's dictionary is out of order"));
            }
            for n in 0..header.doc_blocks.len() {
                for doc in self.doc_block(&header, n)? {
                    out.insert(notes.key(&doc));
                }
            }
        }
        Ok(Some((manifest.complete, out)))
    }
}

/// Note identifiers numbered as they are met, so that a set of note versions is a
/// set of numbers.
#[derive(Default)]
pub(crate) struct Interner(HashMap<String, u32>);

impl Interner {
    fn key(&mut self, doc: &Doc) -> u64 {
        let next = self.0.len() as u32;
        let n = *self.0.entry(doc.id.clone()).or_insert(next);
        (u64::from(n) << 32) | u64::from(doc.version)
    }

    fn find(&self, doc: &Doc) -> Option<u64> {
        self.0
            .get(&doc.id)
            .map(|&n| (u64::from(n) << 32) | u64::from(doc.version))
    }
}

/// The key a note's part of `category` for `client` is sealed under: (identifier, key).
pub(crate) type KeyFor<'a> = dyn FnMut(&str, &str) -> Result<(String, Arc<DataKey>)> + 'a;

/// Lists the compartments a note record's parts name, from its opened record.
pub(crate) type PartsOf = fn(&[u8]) -> Vec<String>;

/// Reads a segment's chunk by its number.
type ChunkReader<'a> = dyn FnMut(usize) -> Result<Zeroizing<Vec<u8>>> + 'a;

/// What one written note version adds to the index: for each compartment of its
/// parts this member holds, the trigrams of its text there.
pub(crate) struct Entry {
    pub(crate) doc: Doc,
    pub(crate) parts: Vec<Part>,
}

/// A note's text in one compartment, as the index takes it.
pub(crate) struct Part {
    pub(crate) compartment: String,
    pub(crate) key: Arc<DataKey>,
    pub(crate) terms: Arc<Vec<u64>>,
}

/// What a note version sealed now adds to the index: for each client and category
/// (those of `categories` and any other its text has, as the note's parts are made
/// parts), the trigrams of its text of that category in `texts` (body and addenda).
pub(crate) fn entry_of_note(
    reference: &RecordRef,
    texts: &[&str],
    clients: &[String],
    categories: &[String],
    key_for: &mut KeyFor<'_>,
) -> Result<Entry> {
    let mut by_category: BTreeMap<String, Vec<u64>> =
        categories.iter().map(|c| (c.clone(), Vec::new())).collect();
    for text in texts {
        for (category, piece) in crate::model::note::split::pieces(text) {
            terms::add_terms(piece, by_category.entry(category).or_default());
        }
    }
    let by_category: Vec<(String, Arc<Vec<u64>>)> = by_category
        .into_iter()
        .map(|(category, mut terms)| {
            terms.sort_unstable();
            terms.dedup();
            (category, Arc::new(terms))
        })
        .collect();
    let mut parts = Vec::with_capacity(clients.len() * by_category.len());
    for client in clients {
        for (category, terms) in &by_category {
            let (compartment, key) = key_for(client, category)?;
            parts.push(Part {
                compartment,
                key,
                terms: terms.clone(),
            });
        }
    }
    Ok(Entry {
        doc: doc_of(reference),
        parts,
    })
}

/// What a stored note version adds to the index, from the text of each of its parts
/// this member opens, by compartment (a note sealed again, read back).
pub(crate) fn entry_of_texts(
    reference: &RecordRef,
    texts: BTreeMap<String, (Arc<DataKey>, Vec<String>)>,
) -> Entry {
    let parts = texts
        .into_iter()
        .map(|(compartment, (key, texts))| Part {
            compartment,
            key,
            terms: Arc::new(terms::terms_of(texts.iter().map(String::as_str))),
        })
        .collect();
    Entry {
        doc: doc_of(reference),
        parts,
    }
}

fn doc_of(reference: &RecordRef) -> Doc {
    Doc {
        id: reference.id.clone(),
        version: reference.version,
    }
}

/// Adds the note versions an operation wrote to the index, one segment per
/// compartment, in the operation's transaction.
pub(crate) fn flush(tx: &dyn Transaction, entries: Vec<Entry>) -> Result<()> {
    type Docs = Vec<(Doc, Arc<Vec<u64>>)>;
    let mut by_compartment: BTreeMap<String, (Arc<DataKey>, Docs)> = BTreeMap::new();
    for entry in entries {
        for part in entry.parts {
            by_compartment
                .entry(part.compartment)
                .or_insert_with(|| (part.key, Vec::new()))
                .1
                .push((entry.doc.clone(), part.terms));
        }
    }
    for (id, (key, docs)) in by_compartment {
        Compartment {
            tx,
            id: &id,
            key: &key,
        }
        .add(&docs)?;
    }
    Ok(())
}

/// The compartments this member holds a key to that may hold note text (every
/// compartment but the practice's and the audit trail's), with the key.
fn held(tx: &dyn Transaction, ring: &Keyring) -> Result<Vec<(String, Arc<DataKey>)>> {
    let epoch = ring.roster.epoch;
    let practice: BTreeSet<String> = (1..=epoch)
        .flat_map(|e| {
            [
                ring.id_of(&crate::model::practice::Compartment::Practice, e),
                ring.id_of(&crate::model::practice::Compartment::Audit, e),
            ]
        })
        .collect();
    let mut out = Vec::new();
    for form in [FORM_OWN, FORM_X25519] {
        for grant in tx.grants_of(ring.member(), form)? {
            if practice.contains(&grant.compartment) {
                continue;
            }
            if let Some(key) = ring.key(tx, &grant.compartment)? {
                out.push((grant.compartment, key));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    Ok(out)
}

/// Gives a compartment made now its index: empty and complete, since no note has a
/// part in it yet.
pub(crate) fn created(tx: &dyn Transaction, compartment: &str, key: &DataKey) -> Result<()> {
    Compartment {
        tx,
        id: compartment,
        key,
    }
    .set_manifest(&Manifest {
        complete: true,
        segments: Vec::new(),
    })
}

/// The notes whose text, in the compartments this member holds, has every trigram of
/// `terms`: for each, the compartments where. A superset of what a search finds.
/// `None` when the index of some compartment they hold is not complete (a vault made
/// before the index and not rebuilt, or a manifest gone): the search then reads every
/// note.
pub(crate) fn lookup(
    tx: &dyn Transaction,
    ring: &Keyring,
    terms: &[u64],
) -> Result<Option<BTreeMap<String, BTreeSet<String>>>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut found = Vec::new();
    for (id, key) in held(tx, ring)? {
        found.clear();
        let complete = Compartment {
            tx,
            id: &id,
            key: &key,
        }
        .find(terms, &mut found)?;
        if !complete {
            return Ok(None);
        }
        for note in found.drain(..) {
            out.entry(note).or_default().insert(id.clone());
        }
    }
    Ok(Some(out))
}

/// What `index rebuild` will do to each compartment this member holds.
pub(crate) struct RebuildPlan {
    held: Vec<(String, Arc<DataKey>)>,
    /// Compartments whose every note this member reads: built afresh, complete.
    whole: BTreeSet<String>,
    /// Compartments whose index is missing or damaged and whose notes this member
    /// does not all read: built from what they read, not complete.
    partial: BTreeSet<String>,
}

impl RebuildPlan {
    /// Whether the index of `compartment` is built again.
    pub(crate) fn rebuilds(&self, compartment: &str) -> bool {
        self.whole.contains(compartment) || self.partial.contains(compartment)
    }
}

/// Decides, for each compartment this member holds, whether their rebuild can make its
/// index complete: when they hold the keys to every note record of its client
/// (`clients`: each client's compartment identifiers, and the attendance identifiers
/// their notes are sealed for; `unread`: the identifiers named by the note records
/// this member's keys do not open). An index left intact by anyone is never replaced
/// by a partial one. Deletes what will be built again.
pub(crate) fn plan_rebuild(
    tx: &dyn Transaction,
    ring: &Keyring,
    clients: &[(BTreeSet<String>, BTreeSet<String>)],
    unread: &BTreeSet<String>,
) -> Result<RebuildPlan> {
    let held = held(tx, ring)?;
    let mut whole = BTreeSet::new();
    let mut partial = BTreeSet::new();
    for (id, key) in &held {
        let reads_all = clients
            .iter()
            .find(|(ids, _)| ids.contains(id))
            .is_some_and(|(_, attendance)| attendance.is_disjoint(unread));
        let intact = matches!(
            (Compartment { tx, id, key }).covered(&mut Interner::default()),
            Ok(Some(_))
        );
        if reads_all {
            whole.insert(id.clone());
        } else if !intact {
            partial.insert(id.clone());
        } else {
            continue;
        }
        tx.delete_meta_tree(&tree(id))?;
    }
    Ok(RebuildPlan {
        held,
        whole,
        partial,
    })
}

/// After the notes were added: the compartments rebuilt whole are complete (those
/// that got no note too), the others not.
pub(crate) fn finish_rebuild(tx: &dyn Transaction, plan: &RebuildPlan) -> Result<(u64, u64)> {
    for (id, key) in &plan.held {
        let complete = plan.whole.contains(id);
        if !complete && !plan.partial.contains(id) {
            continue;
        }
        let c = Compartment { tx, id, key };
        let mut manifest = c.manifest()?.unwrap_or_default();
        manifest.complete = complete;
        c.set_manifest(&manifest)?;
    }
    Ok((plan.whole.len() as u64, plan.partial.len() as u64))
}

/// Deletes a compartment's index (its key destroyed with a client's record).
pub(crate) fn destroy(tx: &dyn Transaction, compartment: &str) -> Result<u64> {
    Ok(tx.delete_meta_tree(&tree(compartment))?)
}

/// What `audit verify` finds wrong with this member's search index: every block of
/// every compartment they hold is opened and read; in a vault made with the index,
/// each such compartment has one; and the newest version of every note they can open
/// is in the index of each compartment of its parts they hold whose index is complete.
pub(crate) fn check(
    tx: &dyn Transaction,
    ring: &Keyring,
    parts_of: PartsOf,
) -> Result<Vec<VerifyFinding>> {
    let mut findings = Vec::new();
    let mut covered: HashMap<String, HashSet<u64>> = HashMap::new();
    let mut notes = Interner::default();
    let made_with_index = tx.meta(READY)?.is_some();
    let mut missing = 0;
    for (id, key) in held(tx, ring)? {
        match (Compartment {
            tx,
            id: &id,
            key: &key,
        })
        .covered(&mut notes)
        {
            Ok(Some((true, docs))) => {
                covered.insert(id, docs);
            }
            Ok(Some((false, _))) => {}
            Ok(None) => missing += 1,
            Err(Error::SearchIndexDamaged { what }) => {
                findings.push(VerifyFinding::SearchIndexDamaged { what });
            }
            Err(e) => return Err(e),
        }
    }
    if made_with_index && missing > 0 {
        findings.push(VerifyFinding::SearchIndexDamaged {
            what: format!("the index of {missing} compartment(s) is missing"),
        });
    }
    if covered.is_empty() {
        return Ok(findings);
    }
    let mut after = String::new();
    loop {
        let rows = tx.latest_records_page(RecordKind::Note, &after, Some(CHECK_PAGE))?;
        let Some(last) = rows.last() else { break };
        after = last.reference.id.clone();
        let full = rows.len() == CHECK_PAGE;
        ring.prefetch(tx, &rows)?;
        // A record that does not open is `audit verify`'s own finding (its digest).
        let named: Vec<(Doc, Vec<String>)> = rows
            .par_iter()
            .filter_map(|row| {
                let outer = ring.open_cached(row).ok()?;
                Some((doc_of(&row.reference), parts_of(&outer)))
            })
            .collect();
        for (doc, compartments) in named {
            let key = notes.find(&doc);
            let missing = compartments
                .iter()
                .filter_map(|c| covered.get(c))
                .any(|docs| key.is_none_or(|k| !docs.contains(&k)));
            if missing {
                findings.push(VerifyFinding::SearchIndexIncomplete { note: doc.id });
            }
        }
        if !full {
            break;
        }
    }
    Ok(findings)
}
