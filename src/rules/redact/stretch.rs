//! From the identifiers found in a text to the text that leaves: a name inside a
//! longer whole name yields to it, overlapping identifiers become one stretch, names
//! of one kind side by side become one, and each stretch is replaced by its marker.

use super::{IdentifierClass, Redaction};

/// One identifier found in the text, before overlaps are resolved.
#[derive(Clone, Copy, Debug)]
pub(super) struct Candidate {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) redaction: Redaction,
    /// A whole multi-word name (see `names::Found`).
    pub(super) whole_name: bool,
    /// A third party's name that is released: kept, but it still holds the parts
    /// inside it (see `drop_parts_inside_whole_names`).
    pub(super) released: bool,
}

/// A name inside a longer whole name belongs to that name's owner: "Quill" in the
/// client's "Ada Quill" is the client's, even if a third party is also a Quill.
pub(super) fn drop_parts_inside_whole_names(candidates: &mut Vec<Candidate>) {
    let mut wholes: Vec<(usize, usize)> = candidates
        .iter()
        .filter(|c| c.whole_name)
        .map(|c| (c.start, c.end))
        .collect();
    wholes.sort_unstable();
    // reach[i]: the furthest end among wholes[..=i], so containment is a binary search.
    let reach: Vec<usize> = wholes
        .iter()
        .scan(0, |furthest, &(_, end)| {
            *furthest = end.max(*furthest);
            Some(*furthest)
        })
        .collect();
    let reach_before = |i: usize| i.checked_sub(1).and_then(|i| reach.get(i)).copied();
    candidates.retain(|c| {
        if c.redaction.class != IdentifierClass::Name {
            return true;
        }
        // A whole starting before c that ends at or after it, or one starting with c
        // that ends after it.
        let earlier = reach_before(wholes.partition_point(|&(s, _)| s < c.start));
        let same_start = reach_before(wholes.partition_point(|&(s, _)| s <= c.start));
        !(earlier.is_some_and(|end| end >= c.end) || same_start.is_some_and(|end| end > c.end))
    });
}

/// Non-overlapping stretches to replace, in order, each with the redaction of its
/// longest identifier. Names of one kind separated only by spaces or a hyphen ("Ada"
/// and "Example" found apart) become one stretch.
pub(super) fn merge(text: &str, mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    candidates.sort_by_key(|c| (c.start, std::cmp::Reverse(c.end)));
    let mut merged: Vec<Candidate> = Vec::new();
    for c in candidates {
        let Some(last) = merged.last_mut() else {
            merged.push(c);
            continue;
        };
        let overlaps = c.start < last.end;
        let adjacent_names = last.redaction == c.redaction
            && c.redaction.class == IdentifierClass::Name
            && text.get(last.end..c.start).is_some_and(|gap| {
                !gap.is_empty()
                    && gap
                        .chars()
                        .all(|ch| matches!(ch, ' ' | '\t' | '-' | '\u{a0}'))
            });
        if overlaps || adjacent_names {
            if overlaps && c.end - c.start > last.end - last.start {
                last.redaction = c.redaction;
            }
            last.end = last.end.max(c.end);
        } else {
            merged.push(c);
        }
    }
    merged
}

pub(super) fn render(text: &str, stretches: Vec<Candidate>) -> (String, Vec<Redaction>) {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut redactions = Vec::with_capacity(stretches.len());
    for s in stretches {
        // Every offset is a character boundary of `text`; `get` keeps a mistake from
        // becoming a panic, and anything it cannot place is withheld, not kept.
        out.push_str(text.get(at..s.start).unwrap_or(""));
        out.push_str(s.redaction.kind.marker());
        redactions.push(s.redaction);
        at = s.end;
    }
    out.push_str(text.get(at..).unwrap_or(""));
    (out, redactions)
}
