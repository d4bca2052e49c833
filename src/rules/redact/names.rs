//! Names and other profile phrases, matched as whole words on a folded copy of the
//! text: lowercased, diacritics removed, underscores read as spaces. "José", "JOSE"
//! and "jose" are one word; "_Ben_" (Markdown emphasis) is the word "ben".

use std::sync::OnceLock;

use regex::Regex;

use super::{IdentifierClass, RedactionKind};
use crate::base::fold::{Folded, fold};

/// The longest profile entry (a name, one piece of the contact) turned into a
/// pattern. A longer one cannot be a name; the redactor fails closed on it rather
/// than risk a pattern too large to compile.
pub(super) const MAX_ENTRY_CHARS: usize = 1024;

/// Words that never stand alone as a name part: honorifics, suffixes, connectors
/// ("Dr Ben Quill", "Ben Quill Jr", "Ben and Mia").
const NEVER_ALONE: &[&str] = &[
    "mr", "mrs", "ms", "mx", "miss", "dr", "prof", "rev", "fr", "sir", "dame", "jr", "sr", "ii",
    "iii", "iv", "md", "phd", "esq", "and", "or", "the", "of",
];

/// Particles that do not stand alone after a name's first word ("Maria de la Cruz",
/// "Avi ben Ezra"); as a first word ("Van Morrison", "Ben Quill") they do.
const PARTICLES: &[&str] = &[
    "de", "da", "di", "du", "del", "della", "der", "den", "des", "la", "le", "lo", "van", "von",
    "ten", "ter", "bin", "ibn", "bint", "ben", "al", "el", "st",
];

/// Name parts that are also everyday words. Alone, they are redacted only where the
/// text capitalizes them ("Will said", "WILL"), so "she will come" keeps its verb. A
/// whole name ("will strong") is redacted however it is written.
const COMMON_WORDS: &[&str] = &[
    "an", "as", "at", "be", "by", "do", "go", "ha", "he", "ho", "in", "is", "it", "ma", "me", "mo",
    "my", "no", "of", "oh", "on", "or", "so", "to", "up", "us", "we", "amber", "april", "art",
    "august", "autumn", "baker", "banks", "bell", "best", "bill", "bird", "bishop", "black", "bob",
    "bond", "brown", "buddy", "carol", "carter", "case", "cash", "chance", "chase", "church",
    "cook", "cross", "daisy", "dawn", "dean", "don", "drew", "dusty", "earl", "east", "faith",
    "field", "fisher", "ford", "fox", "frank", "gene", "grace", "grant", "gray", "green", "grey",
    "guy", "hall", "hill", "holly", "hope", "hunter", "iris", "ivy", "jack", "joy", "june", "king",
    "knight", "lamb", "lane", "lily", "long", "love", "major", "mark", "marsh", "mason", "may",
    "mercy", "miles", "miller", "moss", "nick", "noble", "north", "page", "park", "pat",
    "patience", "pearl", "penny", "pierce", "price", "ray", "reed", "rich", "river", "rob", "rock",
    "rose", "ruby", "rusty", "sage", "sandy", "sharp", "short", "sky", "small", "south", "star",
    "stone", "strong", "sue", "summer", "sunny", "swift", "wade", "walker", "west", "white",
    "will", "winter", "wolf", "wood", "young",
];

/// One way a matcher can match: a whole name, or one part of it alone.
#[derive(Clone, Debug)]
struct Alternative {
    whole: bool,
    /// Alone, redacted only where the text capitalizes it (see `COMMON_WORDS`).
    common: bool,
}

/// Where a matcher found its phrase, in the original text.
pub(super) struct Found {
    pub(super) start: usize,
    pub(super) end: usize,
    /// A whole multi-word name: name parts of other people inside it yield to it.
    pub(super) whole_name: bool,
}

/// A profile entry is too long to be turned into a pattern (see `MAX_ENTRY_CHARS`).
#[derive(Debug)]
pub(super) struct Unbuildable;

/// A pattern whose source is at most this long is compiled the first time a text may
/// hold its entry, and kept for the next texts. A longer one (a long name: its pattern
/// allows a line break between any two letters) is compiled each time and dropped
/// after, so a profile of long names costs memory only while one of them is searched.
const KEEP_COMPILED_BYTES: usize = 4096;

/// The longest literal (in bytes) a matcher hands the redactor's index: any piece of
/// a word finds the texts the word is in, and a short one keeps the index small.
const MAX_LITERAL_BYTES: usize = 32;

/// A matcher's pattern: each alternative's words (several for a whole name or a
/// contact piece, joined by `joiner`; one for a part alone), and, for a short one,
/// the regex once compiled (`None` inside: it could not be).
#[derive(Clone)]
struct Pattern {
    alternatives: Vec<Vec<String>>,
    joiner: Joiner,
    kept: Option<OnceLock<Option<Regex>>>,
}

impl Pattern {
    fn compile(&self) -> Option<Regex> {
        Regex::new(&self.joiner.source(&self.alternatives)).ok()
    }
}

/// How the words of one alternative are written and joined.
#[derive(Clone, Copy)]
enum Joiner {
    /// Name parts: see [`token_pattern`] and `Matcher::name`.
    Name,
    /// Contact words: escaped, joined by a little spacing or punctuation.
    Contact,
}

impl Joiner {
    fn source(self, alternatives: &[Vec<String>]) -> String {
        let groups: Vec<String> = alternatives
            .iter()
            .map(|words| match self {
                // No separator at all: an invisible character in place of the space
                // shows the name as one word ("Ben\u{2060}Quill").
                Joiner::Name => {
                    let parts: Vec<String> = words.iter().map(|w| token_pattern(w)).collect();
                    format!("({})", parts.join(r"[\s\p{Pd}.]*"))
                }
                Joiner::Contact => {
                    let parts: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
                    format!("({})", parts.join(r"[\s[:punct:]–—‐‑·]{0,3}"))
                }
            })
            .collect();
        format!(r"\b(?:{})\b", groups.join("|"))
    }
}

/// Finds one profile entry (a person's name, or a piece of the client's contact).
#[derive(Clone)]
pub(super) struct Matcher {
    pattern: Pattern,
    /// One per capture group, in order.
    alternatives: Vec<Alternative>,
    pub(super) kind: RedactionKind,
    pub(super) class: IdentifierClass,
    /// For a person's name, its folded words (see [`name_key`]): what a release of
    /// that name is compared with.
    pub(super) key: Option<String>,
    /// Pieces of text, one of which every match holds once the text is squeezed (see
    /// [`squeeze`]): texts holding none of them cannot mention the entry.
    pub(super) literals: Vec<String>,
}

impl Matcher {
    /// A person's name: the whole name, parts separated by any run of spaces, line
    /// breaks, dashes or dots; and each part of two or more letters alone, except
    /// honorifics, suffixes and particles. `Ok(None)` when there is nothing to find.
    /// Text in parentheses is a remark, not part of the name ("Ben Quill (partner)").
    pub(super) fn name(name: &str, kind: RedactionKind) -> Result<Option<Matcher>, Unbuildable> {
        let tokens = tokens(&without_remarks(name), '\'')?;
        let key = tokens.join(" ");
        let mut alternatives = Vec::new();
        let mut words = Vec::new();
        if tokens.len() > 1 {
            words.push(tokens.clone());
            alternatives.push(Alternative {
                whole: true,
                common: false,
            });
        }
        let mut alone: Vec<&String> = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            let letters = token.chars().filter(|c| c.is_alphabetic()).count();
            let particle = i > 0 && PARTICLES.contains(&token.as_str());
            if letters >= 2
                && !particle
                && !NEVER_ALONE.contains(&token.as_str())
                && !alone.contains(&token)
            {
                alone.push(token);
            }
        }
        // Longer parts first, so a part that is a prefix of another never shadows it.
        alone.sort_by_key(|t| std::cmp::Reverse(t.len()));
        for token in alone {
            words.push(vec![token.clone()]);
            alternatives.push(Alternative {
                whole: false,
                common: COMMON_WORDS.contains(&token.as_str()),
            });
        }
        let matcher = Matcher::build(
            words,
            Joiner::Name,
            alternatives,
            kind,
            IdentifierClass::Name,
        )?;
        Ok(matcher.map(|m| Matcher {
            key: Some(key),
            ..m
        }))
    }

    /// One piece of the client's contact ("555-123-4567", "Flat 3, Rose Court"),
    /// matched whole with up to three characters of spacing or punctuation
    /// between its words. Single words are skipped ("Springfield" alone names a city,
    /// not the client) unless they hold a digit or an `@`.
    pub(super) fn contact_piece(
        piece: &str,
        kind: RedactionKind,
    ) -> Result<Option<Matcher>, Unbuildable> {
        let tokens = tokens(piece, '\0')?;
        let distinctive = piece.contains('@') || piece.chars().any(|c| c.is_ascii_digit());
        if tokens.is_empty() || (tokens.len() < 2 && !distinctive) {
            return Ok(None);
        }
        let digits = piece.chars().filter(char::is_ascii_digit).count();
        let class = if piece.contains('@') {
            IdentifierClass::Email
        } else if digits >= 7 && !piece.chars().any(char::is_alphabetic) {
            IdentifierClass::Phone
        } else {
            IdentifierClass::Address
        };
        let alternative = Alternative {
            whole: false,
            common: false,
        };
        Matcher::build(
            vec![tokens],
            Joiner::Contact,
            vec![alternative],
            kind,
            class,
        )
    }

    /// `words`: each alternative's words, in order. The literals are each
    /// alternative's longest word: a match of a whole name or a contact piece holds
    /// all its words, a part alone its one.
    fn build(
        words: Vec<Vec<String>>,
        joiner: Joiner,
        alternatives: Vec<Alternative>,
        kind: RedactionKind,
        class: IdentifierClass,
    ) -> Result<Option<Matcher>, Unbuildable> {
        if words.is_empty() {
            return Ok(None);
        }
        let mut literals: Vec<String> = words
            .iter()
            .filter_map(|alternative| alternative.iter().max_by_key(|w| w.len()))
            .map(|word| literal(word))
            .collect();
        literals.sort_unstable();
        literals.dedup();
        let short = joiner.source(&words).len() <= KEEP_COMPILED_BYTES;
        let pattern = Pattern {
            alternatives: words,
            joiner,
            kept: short.then(OnceLock::new),
        };
        Ok(Some(Matcher {
            pattern,
            alternatives,
            kind,
            class,
            key: None,
            literals,
        }))
    }

    /// Every place the entry occurs in `original`, whose folded copy is `folded`.
    ///
    /// The pattern is compiled on first use (see `KEEP_COMPILED_BYTES`); should that
    /// fail, the whole text is where the entry was found, so the text is withheld
    /// rather than searched too little.
    pub(super) fn find(&self, original: &str, folded: &Folded, found: &mut Vec<Found>) {
        let fresh;
        let regex = match &self.pattern.kept {
            Some(kept) => kept.get_or_init(|| self.pattern.compile()).as_ref(),
            None => {
                fresh = self.pattern.compile();
                fresh.as_ref()
            }
        };
        let Some(regex) = regex else {
            found.push(Found {
                start: 0,
                end: original.len(),
                whole_name: false,
            });
            return;
        };
        for caps in regex.captures_iter(&folded.text) {
            let matched = self
                .alternatives
                .iter()
                .zip(caps.iter().skip(1))
                .find_map(|(alternative, m)| m.map(|m| (alternative, m)));
            let Some((alternative, m)) = matched else {
                continue;
            };
            let Some((start, end)) = folded.original(m.start(), m.end()) else {
                continue;
            };
            let capitalized = original
                .get(start..end)
                .and_then(|word| word.chars().next())
                .is_some_and(char::is_uppercase);
            if alternative.common && !capitalized {
                continue;
            }
            found.push(Found {
                start,
                end,
                whole_name: alternative.whole,
            });
        }
    }
}

/// A folded text's letters and digits only: what is left of a name however it is
/// spaced, broken across lines, emphasized or apostrophized (every character a
/// pattern allows between or inside its words is neither a letter nor a digit).
pub(super) fn squeeze(folded: &str) -> String {
    folded.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// A word's piece that every text mentioning it holds once squeezed: the start of
/// the squeezed word, at most `MAX_LITERAL_BYTES` long.
fn literal(word: &str) -> String {
    let mut literal = squeeze(word);
    let mut end = literal.len().min(MAX_LITERAL_BYTES);
    while !literal.is_char_boundary(end) {
        end -= 1;
    }
    literal.truncate(end);
    literal
}

/// The entry's words, folded; `keep` (an apostrophe for names, as in "O'Brien") is
/// kept inside words and trimmed from their ends.
fn tokens(entry: &str, keep: char) -> Result<Vec<String>, Unbuildable> {
    if entry.chars().count() > MAX_ENTRY_CHARS {
        return Err(Unbuildable);
    }
    let folded = Folded::new(entry).text;
    Ok(folded
        .split(|c: char| !(c.is_alphanumeric() || c == keep))
        .map(|t| t.trim_matches(keep))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect())
}

/// A person's name as a release names it: its folded words, remarks left out, so
/// "Ben QUILL (partner)" and "ben quill" are one name.
pub(super) fn name_key(name: &str) -> Result<String, Unbuildable> {
    Ok(tokens(&without_remarks(name), '\'')?.join(" "))
}

/// The folded words of a name that are redacted alone (two letters or more, not an
/// honorific, suffix or connector): how a name is recognised inside other text.
pub(super) fn name_parts(name: &str) -> Vec<String> {
    tokens(&without_remarks(name), '\'')
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .filter(|t| !NEVER_ALONE.contains(&t.as_str()))
        .collect()
}

/// The folded words of a text, as names are matched on them.
pub(super) fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Between two letters of a name part: a word broken at the end of a line, with or
/// without a hyphen ("Qu-⏎ill"; a soft hyphen is already gone from the folded text),
/// or Markdown emphasis inside the word ("B**e**n" shows as "Ben").
const INSIDE_A_WORD: &str = r"(?:\p{Pd}?[ \t]*\n[ \t]*|\*{1,3})?";

/// A folded name part as a pattern: its apostrophes optional ("OBrien", "O’Brien"),
/// and it may be broken across a line or emphasized in part.
fn token_pattern(token: &str) -> String {
    let mut pattern = String::with_capacity(token.len() * 4);
    for (i, c) in token.chars().enumerate() {
        if i > 0 {
            pattern.push_str(INSIDE_A_WORD);
        }
        match c {
            '\'' => pattern.push_str("'?"),
            c => pattern.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    pattern
}

/// The entry without text in parentheses or brackets.
fn without_remarks(entry: &str) -> String {
    let mut depth = 0usize;
    let mut kept = String::with_capacity(entry.len());
    for c in entry.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => {
                depth = depth.saturating_sub(1);
                kept.push(' ');
            }
            _ if depth == 0 => kept.push(c),
            _ => {}
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(matcher: &Matcher, text: &str) -> Vec<String> {
        let mut found = Vec::new();
        matcher.find(text, &Folded::new(text), &mut found);
        found
            .iter()
            .map(|f| text[f.start..f.end].to_owned())
            .collect()
    }

    fn third_party(name: &str) -> Matcher {
        Matcher::name(name, RedactionKind::ThirdParty)
            .expect("short name")
            .expect("something to match")
    }

    #[test]
    fn whole_name_and_parts() {
        let m = third_party("Ben Quill");
        assert_eq!(
            spans(
                &m,
                "Ben Quill, BEN  QUILL's, ben-quill, Ben\nQuill, Quill, ben."
            ),
            [
                "Ben Quill",
                "BEN  QUILL",
                "ben-quill",
                "Ben\nQuill",
                "Quill",
                "ben"
            ]
        );
        assert!(spans(&m, "Benjamin sat on the bench; Quills; Bens").is_empty());
    }

    #[test]
    fn markdown_emphasis_is_not_part_of_a_word() {
        let m = third_party("Ben Quill");
        assert_eq!(spans(&m, "_Ben_ and __Quill__"), ["Ben", "Quill"]);
    }

    #[test]
    fn accents_do_not_matter_either_way() {
        let m = third_party("Zoë Ångström");
        assert_eq!(
            spans(&m, "ZOE angstrom, Zoë, zoe\u{308}!"),
            ["ZOE angstrom", "Zoë", "zoe\u{308}"]
        );
        let m = third_party("Jose");
        assert_eq!(spans(&m, "José, JOSÉ"), ["José", "JOSÉ"]);
    }

    #[test]
    fn apostrophes_inside_names_are_optional() {
        let m = third_party("Siobhan O'Brien");
        assert_eq!(
            spans(&m, "O’Brien, OBrien, o'brien"),
            ["O’Brien", "OBrien", "o'brien"]
        );
    }

    #[test]
    fn honorifics_particles_and_remarks_do_not_stand_alone() {
        let m = third_party("Dr Maria de la Cruz (sister)");
        assert_eq!(
            spans(&m, "dr. maria de la cruz; de la; the dr; Cruz; sister"),
            ["dr. maria de la cruz", "Cruz"]
        );
        // A particle as the first word is a name.
        let m = third_party("Van Morrison");
        assert_eq!(spans(&m, "Van said"), ["Van"]);
    }

    #[test]
    fn two_letter_parts_count_one_letter_parts_do_not() {
        let m = third_party("Li J Wu");
        assert_eq!(spans(&m, "Li, Wu, J, li j wu"), ["Li", "Wu", "li j wu"]);
    }

    #[test]
    fn common_words_alone_only_when_capitalized() {
        let m = third_party("Will Strong");
        assert_eq!(
            spans(&m, "she will be strong. Will called. STRONG. will strong"),
            ["Will", "STRONG", "will strong"]
        );
    }

    #[test]
    fn nothing_to_match() {
        assert!(
            Matcher::name("", RedactionKind::ThirdParty)
                .expect("short")
                .is_none()
        );
        assert!(
            Matcher::name("J. (x)", RedactionKind::ThirdParty)
                .expect("short")
                .is_none()
        );
        assert!(Matcher::name(&"a".repeat(MAX_ENTRY_CHARS + 1), RedactionKind::Identity).is_err());
    }

    #[test]
    fn contact_pieces() {
        let m = Matcher::contact_piece(" 555-1234", RedactionKind::Identity)
            .expect("short")
            .expect("digits");
        assert_eq!(m.class, IdentifierClass::Phone);
        assert_eq!(
            spans(&m, "call 555 1234 or 5551234"),
            ["555 1234", "5551234"]
        );
        let m = Matcher::contact_piece("Flat 3", RedactionKind::Identity)
            .expect("short")
            .expect("digit");
        assert_eq!(m.class, IdentifierClass::Address);
        assert!(
            Matcher::contact_piece(" Springfield ", RedactionKind::Identity)
                .expect("short")
                .is_none()
        );
    }
}
