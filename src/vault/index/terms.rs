//! The terms the search index keeps: every three consecutive characters (a trigram)
//! of each line of a note's text, lowercased as search lowercases.
//!
//! Search finds a line when the line, lowercased, contains the query, trimmed and
//! lowercased. Whatever the query, every trigram of it is then a trigram of that
//! line: the index names every note a search can find (and some it will not, which
//! the search reads and passes over). A query shorter than three characters has no
//! trigram, and is searched by reading every note.
//!
//! Invariant: the lines and their lowercasing are exactly search's (`str::lines`,
//! `str::to_lowercase`); a trigram is its three characters packed, not a hash, so two
//! trigrams never share a term.

/// A trigram packed into one number: three Unicode scalar values of 21 bits each.
fn pack(a: char, b: char, c: char) -> u64 {
    (u64::from(u32::from(a)) << 42) | (u64::from(u32::from(b)) << 21) | u64::from(u32::from(c))
}

/// Trigrams collected before they are sorted and their repeats dropped: a long note
/// (megabytes of text, few distinct trigrams) never holds one number per character.
const COMPACT_AT: usize = 1 << 16;

/// Sorts `out` and drops repeats when it has grown past twice its distinct size (and
/// [`COMPACT_AT`]).
fn compact_if_large(out: &mut Vec<u64>, limit: &mut usize) {
    if out.len() >= *limit {
        out.sort_unstable();
        out.dedup();
        *limit = (out.len() * 2).max(COMPACT_AT);
    }
}

/// Adds the trigrams of each line of `text` to `out` (not sorted, may repeat; kept
/// within about twice its distinct trigrams).
pub(crate) fn add_terms(text: &str, out: &mut Vec<u64>) {
    let mut limit = (out.len() * 2).max(COMPACT_AT);
    let mut lower = String::new();
    for line in text.lines() {
        let line: &str = if line.is_ascii() {
            lower.clear();
            lower.push_str(line);
            lower.make_ascii_lowercase();
            &lower
        } else {
            lower = line.to_lowercase();
            &lower
        };
        add_line(line, out, &mut limit);
    }
}

fn add_line(line: &str, out: &mut Vec<u64>, limit: &mut usize) {
    let mut chars = line.chars();
    let (Some(mut a), Some(mut b)) = (chars.next(), chars.next()) else {
        return;
    };
    for c in chars {
        out.push(pack(a, b, c));
        compact_if_large(out, limit);
        a = b;
        b = c;
    }
}

/// The sorted, distinct trigrams of `texts`.
pub(crate) fn terms_of<'t>(texts: impl IntoIterator<Item = &'t str>) -> Vec<u64> {
    let mut out = Vec::new();
    for text in texts {
        add_terms(text, &mut out);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The trigrams a line must have to contain `needle` (already trimmed and
/// lowercased, as search makes it); `None` when it has fewer than three characters.
pub(crate) fn query_terms(needle: &str) -> Option<Vec<u64>> {
    let mut out = Vec::new();
    let mut limit = COMPACT_AT;
    add_line(needle, &mut out, &mut limit);
    if out.is_empty() {
        return None;
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_long_text_of_few_trigrams_is_held_compact() {
        let line = "A long session, written out in full. ".repeat(200_000);
        let mut out = Vec::new();
        add_terms(&line, &mut out);
        assert!(out.len() < 3 * COMPACT_AT, "{} trigrams held", out.len());
        assert_eq!(terms_of([line.as_str()]).len(), {
            let mut all: Vec<u64> = Vec::new();
            let chars: Vec<char> = line.chars().collect();
            for w in chars.windows(3) {
                all.push(pack(
                    w[0].to_ascii_lowercase(),
                    w[1].to_ascii_lowercase(),
                    w[2].to_ascii_lowercase(),
                ));
            }
            all.sort_unstable();
            all.dedup();
            all.len()
        });
    }

    #[test]
    fn a_query_has_the_trigrams_of_its_characters() {
        assert_eq!(query_terms("ab"), None);
        assert_eq!(query_terms("abc"), Some(vec![pack('a', 'b', 'c')]));
        assert_eq!(query_terms("aaaa").unwrap().len(), 1);
        // Lines do not join: no trigram spans a line break.
        let terms = terms_of(["ab\ncd"]);
        assert!(terms.is_empty());
    }

    proptest! {
        /// Whenever search would find a line, every trigram of the query is a term of
        /// the text: the index never misses what a full scan finds.
        #[test]
        fn every_line_search_finds_has_the_query_terms(
            text in "(?s)[aAbBσΣςİıK\u{212a}é\u{301}\n\r ]{0,40}",
            query in "[aAbBσΣςİıK\u{212a}é\u{301} ]{1,6}",
        ) {
            let needle = query.trim().to_lowercase();
            let terms = terms_of([text.as_str()]);
            let found = text.lines().any(|l| l.to_lowercase().contains(&needle));
            if found && let Some(q) = query_terms(&needle) {
                for t in q {
                    prop_assert!(terms.binary_search(&t).is_ok());
                }
            }
        }
    }
}
