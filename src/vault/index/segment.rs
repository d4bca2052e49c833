//! One segment of a compartment's search index, as bytes: which note versions it
//! covers, and for each term (a trigram, [`super::terms`]) the ordinals of the notes
//! whose text in the compartment has it.
//!
//! A segment is a header and chunks. The header lists the notes (identifier and
//! version, in ordinal order), the chunks' names, and the dictionary: each term, in
//! increasing order, with where its posting list is (chunk, offset, length) and how
//! many notes it names. A chunk is posting lists laid end to end, each the increasing
//! ordinals as differences (LEB128). A search opens the header and only the chunks of
//! its terms; each is sealed on its own ([`crate::crypto::compartment::seal_block`]).
//!
//! Invariant: whatever the bytes, reading never panics and never returns an ordinal
//! past the segment's notes: anything but exactly what [`Writer`] writes is refused
//! (`None`), and the caller reports the index damaged.

use std::collections::HashMap;

use crate::error::Error;

type Result<T> = std::result::Result<T, Error>;

/// Posting bytes a chunk holds before the next list starts a new one.
pub(crate) const CHUNK_TARGET: usize = 64 * 1024;

const MAGIC: &[u8; 4] = b"CVX1";

/// A note version a segment covers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Doc {
    pub(crate) id: String,
    pub(crate) version: u32,
}

/// A term's place in a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TermEntry {
    pub(crate) term: u64,
    pub(crate) chunk: u32,
    pub(crate) offset: u32,
    pub(crate) len: u32,
    /// How many notes the list names.
    pub(crate) count: u32,
}

/// Notes a block of a segment's notes holds (the last holds the rest).
pub(crate) const DOCS_PER_BLOCK: usize = 16 * 1024;

/// A segment's header, read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// How many note versions the segment covers.
    pub(crate) doc_count: u32,
    /// The blocks of its notes, [`DOCS_PER_BLOCK`] to a block, in ordinal order: a
    /// search reads only those of the notes it found.
    pub(crate) doc_blocks: Vec<String>,
    /// The chunks' names, in the order the dictionary numbers them.
    pub(crate) chunks: Vec<String>,
    /// In increasing term order.
    pub(crate) terms: Vec<TermEntry>,
}

impl Header {
    /// The entry of `term`, if any note of the segment has it.
    pub(crate) fn find(&self, term: u64) -> Option<&TermEntry> {
        self.terms
            .binary_search_by_key(&term, |e| e.term)
            .ok()
            .map(|i| &self.terms[i])
    }

    /// Reads a header; `None` for anything [`Writer::finish`] does not write.
    pub(crate) fn parse(bytes: &[u8]) -> Option<Header> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(4)? != MAGIC {
            return None;
        }
        let doc_count = u32::try_from(r.varint()?).ok()?;
        // A block's name is sixteen lowercase hexadecimal digits (random, as the index
        // makes them): anything else, an empty name included, is refused.
        let names = |r: &mut Reader<'_>| -> Option<Vec<String>> {
            let n = r.count()?;
            let mut out = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                let len = r.count()?;
                let name = std::str::from_utf8(r.take(len)?).ok()?;
                if !is_block_name(name) {
                    return None;
                }
                out.push(name.to_owned());
            }
            Some(out)
        };
        let doc_blocks = names(&mut r)?;
        if doc_blocks.len() != (doc_count as usize).div_ceil(DOCS_PER_BLOCK) {
            return None;
        }
        let chunks = names(&mut r)?;
        let nterms = r.count()?;
        let mut terms = Vec::with_capacity(nterms);
        let mut term = 0u64;
        for i in 0..nterms {
            let delta = r.varint()?;
            if i > 0 && delta == 0 {
                return None;
            }
            term = term.checked_add(delta)?;
            let entry = TermEntry {
                term,
                chunk: u32::try_from(r.varint()?).ok()?,
                offset: u32::try_from(r.varint()?).ok()?,
                len: u32::try_from(r.varint()?).ok()?,
                count: u32::try_from(r.varint()?).ok()?,
            };
            // Each posting takes at least a byte: a count past the list's length is
            // refused before anything is reserved for it.
            if entry.chunk as usize >= chunks.len()
                || entry.count == 0
                || entry.count > doc_count
                || entry.count > entry.len
            {
                return None;
            }
            terms.push(entry);
        }
        if r.at != bytes.len() {
            return None;
        }
        Some(Header {
            doc_count,
            doc_blocks,
            chunks,
            terms,
        })
    }

    /// The notes of the `n`th block of notes, read from its bytes; `None` unless it
    /// holds exactly as many as that block must.
    pub(crate) fn docs(&self, n: usize, bytes: &[u8]) -> Option<Vec<Doc>> {
        let first = n.checked_mul(DOCS_PER_BLOCK)?;
        let want = (self.doc_count as usize)
            .checked_sub(first)?
            .min(DOCS_PER_BLOCK);
        let mut r = Reader { bytes, at: 0 };
        let mut out = Vec::with_capacity(want);
        for _ in 0..want {
            let len = r.count()?;
            let id = std::str::from_utf8(r.take(len)?).ok()?.to_owned();
            let version = u32::try_from(r.varint()?).ok()?;
            out.push(Doc { id, version });
        }
        (r.at == bytes.len() && want > 0).then_some(out)
    }

    /// The posting list of `entry` in its chunk's bytes: increasing ordinals, each a
    /// note of this segment; `None` if the bytes are not exactly that.
    pub(crate) fn postings(&self, entry: &TermEntry, chunk: &[u8]) -> Option<Vec<u32>> {
        let start = entry.offset as usize;
        let end = start.checked_add(entry.len as usize)?;
        let mut r = Reader {
            bytes: chunk.get(start..end)?,
            at: 0,
        };
        let mut out = Vec::with_capacity((entry.count as usize).min(r.bytes.len()));
        let mut previous: Option<u32> = None;
        for _ in 0..entry.count {
            let delta = u32::try_from(r.varint()?).ok()?;
            let ordinal = match previous {
                None => delta,
                Some(p) if delta > 0 => p.checked_add(delta)?,
                Some(_) => return None,
            };
            if ordinal >= self.doc_count {
                return None;
            }
            out.push(ordinal);
            previous = Some(ordinal);
        }
        (r.at == r.bytes.len()).then_some(out)
    }
}

/// Writes a segment: posting lists in increasing term order, chunk by chunk (each
/// handed to `put`, which seals and stores it and returns its name), then the header.
pub(crate) struct Writer<'w> {
    put: &'w mut dyn FnMut(&[u8]) -> Result<String>,
    chunks: Vec<String>,
    current: Vec<u8>,
    terms: Vec<TermEntry>,
}

impl<'w> Writer<'w> {
    pub(crate) fn new(put: &'w mut dyn FnMut(&[u8]) -> Result<String>) -> Self {
        Writer {
            put,
            chunks: Vec::new(),
            current: Vec::new(),
            terms: Vec::new(),
        }
    }

    /// Adds `term`'s list: increasing ordinals, `term` greater than the last added.
    pub(crate) fn add(&mut self, term: u64, ordinals: &[u32]) -> Result<()> {
        debug_assert!(self.terms.last().is_none_or(|e| e.term < term));
        if ordinals.is_empty() {
            return Ok(());
        }
        let offset = self.current.len();
        let mut previous = None;
        for &o in ordinals {
            put_varint(&mut self.current, u64::from(previous.map_or(o, |p| o - p)));
            previous = Some(o);
        }
        self.terms.push(TermEntry {
            term,
            chunk: self.chunks.len() as u32,
            offset: offset as u32,
            len: (self.current.len() - offset) as u32,
            count: ordinals.len() as u32,
        });
        if self.current.len() >= CHUNK_TARGET {
            self.close_chunk()?;
        }
        Ok(())
    }

    fn close_chunk(&mut self) -> Result<()> {
        let name = (self.put)(&self.current)?;
        self.chunks.push(name);
        self.current.clear();
        Ok(())
    }

    /// Stores the last chunk and the blocks of `docs` (the notes the ordinals number),
    /// and returns the header's bytes and the names of every block stored.
    pub(crate) fn finish(mut self, docs: &[Doc]) -> Result<(Vec<u8>, Vec<String>)> {
        // A segment of no text has a chunk too (empty, padded like any other), so
        // that its blocks do not say that its notes have no text here.
        if !self.current.is_empty() || self.chunks.is_empty() {
            self.close_chunk()?;
        }
        let mut doc_blocks = Vec::with_capacity(docs.len().div_ceil(DOCS_PER_BLOCK));
        for block in docs.chunks(DOCS_PER_BLOCK) {
            let mut bytes = Vec::new();
            for doc in block {
                put_varint(&mut bytes, doc.id.len() as u64);
                bytes.extend_from_slice(doc.id.as_bytes());
                put_varint(&mut bytes, u64::from(doc.version));
            }
            doc_blocks.push((self.put)(&bytes)?);
        }
        let mut out = MAGIC.to_vec();
        put_varint(&mut out, docs.len() as u64);
        for names in [&doc_blocks, &self.chunks] {
            put_varint(&mut out, names.len() as u64);
            for name in names {
                put_varint(&mut out, name.len() as u64);
                out.extend_from_slice(name.as_bytes());
            }
        }
        put_varint(&mut out, self.terms.len() as u64);
        let mut previous = 0;
        for e in &self.terms {
            put_varint(&mut out, e.term - previous);
            previous = e.term;
            for v in [e.chunk, e.offset, e.len, e.count] {
                put_varint(&mut out, u64::from(v));
            }
        }
        let mut blocks = self.chunks;
        blocks.extend(doc_blocks);
        Ok((out, blocks))
    }
}

/// Writes the segment of `docs`, each with its sorted, distinct terms.
pub(crate) fn build(docs: &[(Doc, &[u64])], w: &mut Writer<'_>) -> Result<()> {
    let mut pairs: Vec<(u64, u32)> = docs
        .iter()
        .enumerate()
        .flat_map(|(ordinal, (_, terms))| terms.iter().map(move |&t| (t, ordinal as u32)))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut list = Vec::new();
    let mut i = 0;
    while i < pairs.len() {
        let term = pairs[i].0;
        list.clear();
        while i < pairs.len() && pairs[i].0 == term {
            list.push(pairs[i].1);
            i += 1;
        }
        w.add(term, &list)?;
    }
    Ok(())
}

/// One segment to merge: its header, its notes, and a way to read its chunks by
/// number.
pub(crate) struct MergeInput<'a> {
    pub(crate) header: &'a Header,
    pub(crate) docs: &'a [Doc],
    pub(crate) chunk: &'a mut dyn FnMut(usize) -> Result<zeroize::Zeroizing<Vec<u8>>>,
}

/// Writes one segment holding what `inputs` (oldest first) hold, each note once: the
/// newest version of it among them (by version, then by the later segment). Returns the
/// merged segment's notes. `damaged` is the error for a list that does not read.
pub(crate) fn merge(
    inputs: &mut [MergeInput<'_>],
    w: &mut Writer<'_>,
    damaged: &dyn Fn() -> Error,
) -> Result<Vec<Doc>> {
    // The newest version of each note, and where it is.
    let mut newest: HashMap<&str, (u32, usize, u32)> = HashMap::new();
    for (s, input) in inputs.iter().enumerate() {
        for (o, doc) in input.docs.iter().enumerate() {
            let slot = newest
                .entry(doc.id.as_str())
                .or_insert((doc.version, s, o as u32));
            if doc.version >= slot.0 {
                *slot = (doc.version, s, o as u32);
            }
        }
    }
    // Ordinals in the merged segment: the kept notes, segment by segment, in order.
    let mut docs = Vec::with_capacity(newest.len());
    let mut remap: Vec<Vec<Option<u32>>> = Vec::with_capacity(inputs.len());
    for (s, input) in inputs.iter().enumerate() {
        let mut map = Vec::with_capacity(input.docs.len());
        for (o, doc) in input.docs.iter().enumerate() {
            if newest.get(doc.id.as_str()).map(|&(_, ks, ko)| (ks, ko)) == Some((s, o as u32)) {
                map.push(Some(docs.len() as u32));
                docs.push(doc.clone());
            } else {
                map.push(None);
            }
        }
        remap.push(map);
    }
    drop(newest);
    // Every term of every input, in term order then input order.
    let mut all: Vec<(u64, usize, usize)> = inputs
        .iter()
        .enumerate()
        .flat_map(|(s, input)| {
            input
                .header
                .terms
                .iter()
                .enumerate()
                .map(move |(i, e)| (e.term, s, i))
        })
        .collect();
    all.sort_unstable();
    // Each input's chunks are read in increasing order: the one in use is kept.
    let mut loaded: Vec<Option<(u32, zeroize::Zeroizing<Vec<u8>>)>> =
        (0..inputs.len()).map(|_| None).collect();
    let mut list = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let term = all[i].0;
        list.clear();
        while i < all.len() && all[i].0 == term {
            let (_, s, e) = all[i];
            i += 1;
            let entry = inputs[s].header.terms[e];
            if loaded[s].as_ref().is_none_or(|(n, _)| *n != entry.chunk) {
                let bytes = (inputs[s].chunk)(entry.chunk as usize)?;
                loaded[s] = Some((entry.chunk, bytes));
            }
            let (_, bytes) = loaded[s].as_ref().expect("loaded above");
            let postings = inputs[s]
                .header
                .postings(&entry, bytes)
                .ok_or_else(damaged)?;
            list.extend(postings.into_iter().filter_map(|o| remap[s][o as usize]));
        }
        w.add(term, &list)?;
    }
    Ok(docs)
}

/// Intersects increasing lists (the shortest first is cheapest).
pub(crate) fn intersect(mut lists: Vec<Vec<u32>>) -> Vec<u32> {
    lists.sort_by_key(Vec::len);
    let mut lists = lists.into_iter();
    let Some(mut out) = lists.next() else {
        return Vec::new();
    };
    for list in lists {
        let mut j = 0;
        out.retain(|&o| {
            while j < list.len() && list[j] < o {
                j += 1;
            }
            j < list.len() && list[j] == o
        });
        if out.is_empty() {
            break;
        }
    }
    out
}

/// Whether `name` has the form of a block's name: sixteen lowercase hexadecimal digits.
pub(crate) fn is_block_name(name: &str) -> bool {
    name.len() == 16 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(out)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.at)?;
            self.at += 1;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return None;
            }
            v |= bits << shift;
            if byte & 0x80 == 0 {
                // The shortest form only: one value, one encoding.
                if byte == 0 && shift > 0 {
                    return None;
                }
                return Some(v);
            }
        }
        None
    }

    /// A count of items still to read: no more than bytes remain (each takes one).
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.varint()?).ok()?;
        (n <= self.bytes.len() - self.at).then_some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doc(id: &str, version: u32) -> Doc {
        Doc {
            id: id.into(),
            version,
        }
    }

    /// Writes into memory: every block stored is named by its number.
    fn write(f: impl FnOnce(&mut Writer<'_>) -> Result<Vec<Doc>>) -> (Vec<u8>, Vec<Vec<u8>>) {
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        let mut put = |bytes: &[u8]| -> Result<String> {
            blocks.push(bytes.to_vec());
            Ok(format!("{:016x}", blocks.len() - 1))
        };
        let mut w = Writer::new(&mut put);
        let docs = f(&mut w).unwrap();
        let (header, _) = w.finish(&docs).unwrap();
        (header, blocks)
    }

    fn block<'b>(blocks: &'b [Vec<u8>], name: &str) -> &'b [u8] {
        &blocks[usize::from_str_radix(name, 16).unwrap()]
    }

    fn all_docs(h: &Header, blocks: &[Vec<u8>]) -> Vec<Doc> {
        h.doc_blocks
            .iter()
            .enumerate()
            .flat_map(|(n, name)| h.docs(n, block(blocks, name)).unwrap())
            .collect()
    }

    fn lookup(header: &[u8], blocks: &[Vec<u8>], term: u64) -> Vec<String> {
        let h = Header::parse(header).unwrap();
        let docs = all_docs(&h, blocks);
        let Some(e) = h.find(term) else {
            return Vec::new();
        };
        h.postings(e, block(blocks, &h.chunks[e.chunk as usize]))
            .unwrap()
            .into_iter()
            .map(|o| docs[o as usize].id.clone())
            .collect()
    }

    #[test]
    fn a_segment_finds_each_term_and_merges_keep_the_newest_version() {
        let a = [doc("n1", 1), doc("n2", 1)];
        let (ha, ba) = write(|w| {
            build(&[(a[0].clone(), &[1, 5, 9]), (a[1].clone(), &[5])], w)?;
            Ok(a.to_vec())
        });
        assert_eq!(lookup(&ha, &ba, 5), ["n1", "n2"]);
        assert_eq!(lookup(&ha, &ba, 9), ["n1"]);
        assert!(lookup(&ha, &ba, 2).is_empty());
        // n1 edited: its version 2 no longer has term 9.
        let b = [doc("n1", 2), doc("n3", 1)];
        let (hb, bb) = write(|w| {
            build(&[(b[0].clone(), &[1]), (b[1].clone(), &[9])], w)?;
            Ok(b.to_vec())
        });
        let (ha, hb) = (Header::parse(&ha).unwrap(), Header::parse(&hb).unwrap());
        let (da, db) = (all_docs(&ha, &ba), all_docs(&hb, &bb));
        let mut read_a = |n: usize| Ok(zeroize::Zeroizing::new(block(&ba, &ha.chunks[n]).to_vec()));
        let mut read_b = |n: usize| Ok(zeroize::Zeroizing::new(block(&bb, &hb.chunks[n]).to_vec()));
        let (hm, bm) = write(|w| {
            merge(
                &mut [
                    MergeInput {
                        header: &ha,
                        docs: &da,
                        chunk: &mut read_a,
                    },
                    MergeInput {
                        header: &hb,
                        docs: &db,
                        chunk: &mut read_b,
                    },
                ],
                w,
                &|| Error::InvalidInput("damaged".into()),
            )
        });
        assert_eq!(
            all_docs(&Header::parse(&hm).unwrap(), &bm),
            [doc("n2", 1), doc("n1", 2), doc("n3", 1)]
        );
        assert_eq!(lookup(&hm, &bm, 9), ["n3"]);
        assert_eq!(lookup(&hm, &bm, 1), ["n1"]);
        assert_eq!(lookup(&hm, &bm, 5), ["n2"]);
    }

    #[test]
    fn long_lists_span_chunks_and_notes_span_blocks() {
        let docs: Vec<Doc> = (0..40_000).map(|i| doc(&format!("{i:08x}"), 1)).collect();
        let terms: Vec<Vec<u64>> = (0..40_000u64).map(|i| vec![1, 2 + i % 3, 10]).collect();
        let input: Vec<(Doc, &[u64])> = docs
            .iter()
            .cloned()
            .zip(terms.iter().map(Vec::as_slice))
            .collect();
        let (h, b) = write(|w| {
            build(&input, w)?;
            Ok(docs.clone())
        });
        let header = Header::parse(&h).unwrap();
        assert!(header.chunks.len() > 1);
        assert_eq!(header.doc_blocks.len(), 3);
        assert_eq!(all_docs(&header, &b), docs);
        assert_eq!(lookup(&h, &b, 1).len(), 40_000);
        assert_eq!(lookup(&h, &b, 3).len(), 13_333);
        assert_eq!(lookup(&h, &b, 10).len(), 40_000);
    }

    #[test]
    fn a_header_claiming_more_than_its_bytes_hold_is_refused() {
        // Four billion notes in 244,141 blocks of empty names: refused as it is read,
        // nothing reserved for the count.
        let mut header = MAGIC.to_vec();
        put_varint(&mut header, 4_000_000_000);
        put_varint(&mut header, 244_141);
        header.extend(std::iter::repeat_n(0u8, 244_141));
        put_varint(&mut header, 0);
        put_varint(&mut header, 0);
        assert!(Header::parse(&header).is_none());
        // A list claiming more notes than it has bytes.
        let mut header = MAGIC.to_vec();
        put_varint(&mut header, 3);
        put_varint(&mut header, 1);
        put_varint(&mut header, 16);
        header.extend_from_slice(b"0123456789abcdef");
        put_varint(&mut header, 1);
        put_varint(&mut header, 16);
        header.extend_from_slice(b"0123456789abcdef");
        put_varint(&mut header, 1);
        for v in [7, 0, 0, 1, 3] {
            put_varint(&mut header, v);
        }
        assert!(Header::parse(&header).is_none());
    }

    #[test]
    fn lists_intersect() {
        assert_eq!(
            intersect(vec![vec![1, 3, 5, 7], vec![3, 4, 5], vec![0, 3, 5, 9]]),
            [3, 5]
        );
        assert!(intersect(vec![vec![1], vec![]]).is_empty());
    }

    proptest! {
        /// Any bytes: a header either reads as exactly what was written or not at all,
        /// and its lists never name a note past its own.
        #[test]
        fn damaged_bytes_never_read_past_the_segment(
            flips in proptest::collection::vec((0usize..200, any::<u8>()), 1..4),
            cut in 0usize..200,
        ) {
            let docs = [doc("n1", 1), doc("n2", 3)];
            let (mut header, blocks) = write(|w| {
                build(&[(docs[0].clone(), &[1, 300, 70_000]), (docs[1].clone(), &[300])], w)?;
                Ok(docs.to_vec())
            });
            for (at, byte) in flips {
                if let Some(b) = header.get_mut(at) { *b ^= byte; }
            }
            header.truncate(cut.max(4).min(header.len()));
            if let Some(h) = Header::parse(&header) {
                for e in &h.terms {
                    if let Some(chunk) = h.chunks.get(e.chunk as usize).and_then(|n| usize::from_str_radix(n, 16).ok()).and_then(|n| blocks.get(n))
                        && let Some(list) = h.postings(e, chunk)
                    {
                        prop_assert!(list.iter().all(|&o| o < h.doc_count));
                    }
                }
            }
        }
    }
}
