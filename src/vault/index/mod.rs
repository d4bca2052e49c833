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

/// Set when the vault was made with the index: every note in it was indexed.
pub(crate) const READY: &str = "index.ready";

/// Note records `audit verify`'s check of the index opens at a time.
const CHECK_PAGE: usize = 1024;

/// Segments of one level merged into one when there are this many.
const MERGE_AT: usize = 8;

/// Set by a member's `index rebuild`: the compartments they hold are indexed.
fn ready_for(member: &str) -> String {
    format!("{READY}/{member}")
}

/// The name of a compartment's manifest; its blocks are named under it.
pub(crate) fn tree(compartment: &str) -> String {
    format!("index/{compartment}")
}

/// Whether searches of `member` may use the index: the vault was made with it, or
/// the member rebuilt it. Otherwise a search reads every note.
pub(crate) fn is_ready(tx: &dyn Transaction, member: &str) -> Result<bool> {
    Ok(tx.meta(READY)?.is_some() || tx.meta(&ready_for(member))?.is_some())
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

/// A compartment's segments, oldest first.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Manifest {
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
        let mut bytes = [0u8; 8];
        OsRng.fill_bytes(&mut bytes);
        let name = data_encoding::HEXLOWER.encode(&bytes);
        let sealed = compartment::seal_block(self.key, &binding(self.id, &name), plain);
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
        let sealed = compartment::seal_block(self.key, &binding(self.id, ""), &plain);
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
        let mut out = Vec::with_capacity(header.doc_count as usize);
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
            header: self.put_block(&header)?,
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
        let mut readers: Vec<Box<dyn FnMut(usize) -> Result<Zeroizing<Vec<u8>>> + '_>> = headers
            .iter()
            .map(|h| {
                Box::new(move |n: usize| {
                    let name = h
                        .chunks
                        .get(n)
                        .ok_or_else(|| damaged("a segment names a chunk it does not have"))?;
                    self.read_block(name)
                }) as Box<dyn FnMut(usize) -> Result<Zeroizing<Vec<u8>>>>
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

    /// The notes (identifiers) whose text here has every one of `terms`.
    fn find(&self, terms: &[u64], out: &mut Vec<String>) -> Result<()> {
        let Some(manifest) = self.manifest()? else {
            return Ok(());
        };
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
                if !chunks.contains_key(&entry.chunk) {
                    let name = &header.chunks[entry.chunk as usize];
                    chunks.insert(entry.chunk, self.read_block(name)?);
                }
                lists.push(
                    header
                        .postings(entry, &chunks[&entry.chunk])
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
        Ok(())
    }

    /// Every note version this compartment's index covers; every block of it is read
    /// and checked on the way.
    fn covered(&self) -> Result<HashSet<Doc>> {
        let mut out = HashSet::new();
        let Some(manifest) = self.manifest()? else {
            return Ok(out);
        };
        for segment in &manifest.segments {
            let header = self.header(segment)?;
            let chunks = header
                .chunks
                .iter()
                .map(|name| self.read_block(name))
                .collect::<Result<Vec<_>>>()?;
            for entry in &header.terms {
                header
                    .postings(entry, &chunks[entry.chunk as usize])
                    .ok_or_else(|| damaged("a posting list does not read"))?;
            }
            out.extend(self.all_docs(&header)?);
        }
        Ok(out)
    }
}

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
/// (those of `categories` and any other its text has, as [`super::parts::seal`] makes
/// parts), the trigrams of its text of that category in `texts` (body and addenda).
pub(crate) fn entry_of_note(
    reference: &RecordRef,
    texts: &[&str],
    clients: &[String],
    categories: &[String],
    key_for: &mut super::parts::KeyFor<'_>,
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

/// What a stored note version adds to the index: the trigrams of each of its parts
/// `key_of` opens (a note re-sealed under new keys).
pub(crate) fn entry_of_record(
    reference: &RecordRef,
    plain: &[u8],
    key_of: &dyn Fn(&str) -> Option<Arc<DataKey>>,
) -> Result<Entry> {
    let parts = super::parts::texts_by_compartment(reference, plain, key_of)?
        .into_iter()
        .map(|(compartment, (key, texts))| Part {
            compartment,
            key,
            terms: Arc::new(terms::terms_of(texts.iter().map(String::as_str))),
        })
        .collect();
    Ok(Entry {
        doc: doc_of(reference),
        parts,
    })
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

/// The compartments this member holds a key to, with the key.
fn held(tx: &dyn Transaction, ring: &Keyring) -> Result<Vec<(String, Arc<DataKey>)>> {
    let mut out = Vec::new();
    for form in [FORM_OWN, FORM_X25519] {
        for grant in tx.grants_of(ring.member(), form)? {
            if let Some(key) = ring.key(tx, &grant.compartment)? {
                out.push((grant.compartment, key));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    Ok(out)
}

/// The notes whose text, in the compartments this member holds, has every trigram of
/// `terms`: for each, the compartments where. A superset of what a search finds.
pub(crate) fn lookup(
    tx: &dyn Transaction,
    ring: &Keyring,
    terms: &[u64],
) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut found = Vec::new();
    for (id, key) in held(tx, ring)? {
        found.clear();
        Compartment {
            tx,
            id: &id,
            key: &key,
        }
        .find(terms, &mut found)?;
        for note in found.drain(..) {
            out.entry(note).or_default().insert(id.clone());
        }
    }
    Ok(out)
}

/// Deletes the index of the compartments this member holds (before a rebuild);
/// returns how many compartments had one.
pub(crate) fn clear_held(tx: &dyn Transaction, ring: &Keyring) -> Result<u64> {
    let mut cleared = 0;
    for (id, _) in held(tx, ring)? {
        if tx.delete_meta_tree(&tree(&id))? > 0 {
            cleared += 1;
        }
    }
    Ok(cleared)
}

/// Marks the index ready for this member (after a rebuild).
pub(crate) fn mark_ready_for(tx: &dyn Transaction, member: &str) -> Result<()> {
    Ok(tx.set_meta(&ready_for(member), b"1")?)
}

/// Deletes a compartment's index (its key destroyed with a client's record).
pub(crate) fn destroy(tx: &dyn Transaction, compartment: &str) -> Result<u64> {
    Ok(tx.delete_meta_tree(&tree(compartment))?)
}

/// What `audit verify` finds wrong with this member's search index: every block of
/// every compartment they hold is opened and read, and the newest version of every
/// note they can open must be in the index of each compartment of its parts they
/// hold. Nothing is checked where the index is not ready for them (searches read
/// every note there).
pub(crate) fn check(tx: &dyn Transaction, ring: &Keyring) -> Result<Vec<VerifyFinding>> {
    let mut findings = Vec::new();
    let mut covered: HashMap<String, HashSet<Doc>> = HashMap::new();
    for (id, key) in held(tx, ring)? {
        match (Compartment {
            tx,
            id: &id,
            key: &key,
        })
        .covered()
        {
            Ok(docs) => {
                covered.insert(id, docs);
            }
            Err(Error::SearchIndexDamaged { what }) => {
                findings.push(VerifyFinding::SearchIndexDamaged { what });
            }
            Err(e) => return Err(e),
        }
    }
    if !findings.is_empty() || !is_ready(tx, ring.member())? {
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
                Some((
                    doc_of(&row.reference),
                    super::parts::compartments_of_record(&outer),
                ))
            })
            .collect();
        for (doc, compartments) in named {
            let missing = compartments
                .iter()
                .filter_map(|c| covered.get(c))
                .any(|docs| !docs.contains(&doc));
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
