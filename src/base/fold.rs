//! Text folded for comparison, by Unicode data: what a reader sees as the same word is
//! the same string. Redaction finds names on folded text, and the note parser compares
//! headings with category names on it.
//!
//! Each character is folded on its own, so every byte of the folded text maps back to
//! the character of the original it came from:
//!
//! - Default_Ignorable_Code_Point characters (format characters, joiners, variation
//!   selectors, invisible operators, soft hyphens, fillers) are dropped: they show as
//!   nothing, so "Ma\u{200B}ria" is "maria".
//! - Connector punctuation (`_`, `‿`, …) is a space: in prose it separates words
//!   ("_Ben_" is Markdown emphasis around "ben"); line breaks stay line breaks and every
//!   other white space is a space.
//! - The rest is decomposed for compatibility (NFKD: full-width "Ｍ" is "M", "ﬁ" is
//!   "fi"), its combining marks are dropped (diacritics of any script, decomposed or
//!   not), it is lowercased, and the few Latin letters Unicode does not decompose
//!   ("ł", "ø", "đ", "ß", "æ", …) are written as the letters they are read as.
//! - Apostrophes of every shape are `'`.

use icu_properties::CodePointMapData;
use icu_properties::props::{BinaryProperty, Dash, DefaultIgnorableCodePoint, GeneralCategory};
use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// A text folded for comparison, with the way back to the original's byte offsets.
#[derive(Clone, Debug)]
pub(crate) struct Folded {
    /// The folded text.
    pub(crate) text: String,
    /// For each byte of `text`, the offset of the original character it came from;
    /// one more entry, the original's length, closes the last range.
    origin: Vec<usize>,
}

impl Folded {
    /// Folds `original`.
    pub(crate) fn new(original: &str) -> Folded {
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len() + 1);
        for (at, c) in original.char_indices() {
            let before = text.len();
            fold_char(c, &mut text);
            origin.resize(origin.len() + (text.len() - before), at);
        }
        origin.push(original.len());
        Folded { text, origin }
    }

    /// `original` with only what changes how a number, a date or an address reads
    /// folded, case and letters kept: invisible characters dropped, every dash
    /// (Unicode's Dash property: hyphens, en and em dashes, the minus sign, …) a `-`,
    /// every white space a space (line breaks stay line breaks), every decimal digit of
    /// any script ("٥", "५", "５") its ASCII digit, and a character whose compatibility
    /// decomposition is plain ASCII (full-width "＠", "（") that ASCII.
    /// Identifier shapes are matched on it, so a shape need not list every dash.
    pub(crate) fn for_shapes(original: &str) -> Folded {
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len() + 1);
        for (at, c) in original.char_indices() {
            let before = text.len();
            shape_char(c, &mut text);
            origin.resize(origin.len() + (text.len() - before), at);
        }
        origin.push(original.len());
        Folded { text, origin }
    }

    /// The original byte range of a range of the folded text. A dropped mark or
    /// invisible character after the last letter falls inside the range, so nothing
    /// of the word is left behind.
    pub(crate) fn original(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        Some((*self.origin.get(start)?, *self.origin.get(end)?))
    }
}

/// `text` folded (see the module's documentation).
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// True for a character that shows as nothing (Unicode's Default_Ignorable_Code_Point).
pub(crate) fn is_invisible(c: char) -> bool {
    DefaultIgnorableCodePoint::for_char(c)
}

/// True when `text` shows nothing a reader could read: only white space, control
/// characters and invisible characters. A justification, a name or a query like that
/// is empty, however many characters it has.
pub fn is_blank(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_whitespace() || c.is_control() || is_invisible(c))
}

/// True for a character a one-line value may not hold: a line break of any reader
/// (LF, CR, VT, FF, NEL, U+2028, U+2029), any other control character (C0, DEL, C1;
/// tabs too) and the bidirectional overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069), which make a line display as another.
pub(crate) fn breaks_line(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Appends the folded form of `c` to `out`.
fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(match c {
            '_' => ' ',
            '\n' => '\n',
            c if c.is_ascii_whitespace() => ' ',
            c => c.to_ascii_lowercase(),
        });
        return;
    }
    if is_invisible(c) {
        return;
    }
    match c {
        // Connector punctuation: word characters to the regex crate, separators in prose.
        '\u{203F}' | '\u{2040}' | '\u{2054}' | '\u{FE33}' | '\u{FE34}' | '\u{FE4D}'
        | '\u{FE4E}' | '\u{FE4F}' | '\u{FF3F}' => out.push(' '),
        '\u{2028}' | '\u{2029}' | '\u{0085}' => out.push('\n'),
        c if c.is_whitespace() => out.push(' '),
        '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{2032}' | '\u{FF07}' => out.push('\''),
        _ => decompose_compatible(c, |part| {
            if is_combining_mark(part) || is_invisible(part) {
                return;
            }
            for lower in part.to_lowercase() {
                match undecomposed_letter(lower) {
                    Some(letters) => out.push_str(letters),
                    None => out.push(lower),
                }
            }
        }),
    }
}

/// Appends the shape-folded form of `c` (see [`Folded::for_shapes`]) to `out`.
fn shape_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c);
    } else if is_invisible(c) {
    } else if matches!(c, '\u{2028}' | '\u{2029}' | '\u{0085}') {
        out.push('\n');
    } else if c.is_whitespace() {
        out.push(' ');
    } else if Dash::for_char(c) {
        out.push('-');
    } else if CodePointMapData::<GeneralCategory>::new().get(c)
        == GeneralCategory::ConnectorPunctuation
    {
        // "555‿123": a connector joins words; between digits it separates groups.
        out.push(' ');
    } else if let Some(digit) = decimal_digit(c) {
        out.push(char::from(b'0' + digit));
    } else {
        let mut ascii = [0u8; 4];
        let mut len = 0;
        let mut plain = true;
        decompose_compatible(c, |part| match u8::try_from(part) {
            Ok(b) if b.is_ascii() && len < ascii.len() => {
                ascii[len] = b;
                len += 1;
            }
            _ => plain = false,
        });
        match std::str::from_utf8(&ascii[..len]) {
            Ok(s) if plain && len > 0 => out.push_str(s),
            _ => out.push(c),
        }
    }
}

/// The value of a decimal digit of any script. Unicode keeps every script's digits
/// (general category Nd) in runs of ten from zero to nine, so a digit's value is its
/// place in its run.
fn decimal_digit(c: char) -> Option<u8> {
    let category = CodePointMapData::<GeneralCategory>::new();
    if category.get(c) != GeneralCategory::DecimalNumber {
        return None;
    }
    let mut place = 0u32;
    let mut at = u32::from(c);
    while let Some(before) = at.checked_sub(1).and_then(char::from_u32) {
        if category.get(before) != GeneralCategory::DecimalNumber {
            break;
        }
        place += 1;
        at -= 1;
    }
    u8::try_from(place % 10).ok()
}

/// Latin letters that carry a stroke, a hook or a ligature in their shape rather than a
/// combining mark, so compatibility decomposition leaves them as they are; what they
/// are read as.
fn undecomposed_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'æ' | 'ǣ' | 'ǽ' => "ae",
        'œ' => "oe",
        'ß' => "ss",
        'þ' => "th",
        'ð' | 'đ' | 'ɖ' | 'ɗ' => "d",
        'ħ' => "h",
        'ı' | 'ɨ' => "i",
        'ł' | 'ƚ' => "l",
        'ø' | 'ǿ' | 'ɵ' => "o",
        'ŧ' => "t",
        'ƀ' | 'ɓ' => "b",
        'ƙ' => "k",
        'ƴ' => "y",
        'ŋ' => "n",
        'ʉ' => "u",
        'ĳ' => "ij",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diacritics_of_any_latin_letter_fold_decomposed_or_not() {
        assert_eq!(fold("Zoë JOSÉ Ærø Straße"), "zoe jose aero strasse");
        assert_eq!(fold("Zoe\u{308}"), "zoe");
        // Vietnamese, Yoruba, and letters the old table lacked.
        assert_eq!(fold("Nguyễn Đặng Thị Hồng"), "nguyen dang thi hong");
        assert_eq!(fold("Adébáyọ̀ Ọláòṣebìkan"), "adebayo olaosebikan");
        assert_eq!(fold("Muḥammad ǚ"), "muhammad u");
        assert_eq!(fold("Ｍａｒｉａ"), "maria");
    }

    #[test]
    fn invisible_characters_are_dropped() {
        for invisible in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{2060}',
            '\u{2062}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{FE0F}',
            '\u{034F}',
            '\u{180B}',
            '\u{E0041}',
            '\u{3164}',
        ] {
            assert_eq!(fold(&format!("Ma{invisible}ria")), "maria", "{invisible:?}");
        }
    }

    #[test]
    fn blank_text_shows_nothing() {
        for blank in [
            "",
            " \t\n",
            "\u{200B}\u{200E}\u{2062}",
            "\u{FEFF} \u{3000}\u{00AD}",
            "\u{1}\u{7f}",
        ] {
            assert!(is_blank(blank), "{blank:?}");
        }
        for text in ["a", "\u{200B}x", ".", "\u{0301}"] {
            assert!(!is_blank(text), "{text:?}");
        }
    }

    #[test]
    fn spaces_and_connectors() {
        assert_eq!(fold("_Ben_ O’Brien"), " ben  o'brien");
        assert_eq!(fold("a\u{00A0}b\u{3000}c\td\ne\u{2028}f"), "a b c d\ne\nf");
    }

    #[test]
    fn shapes_fold_dashes_spaces_and_wide_forms_only() {
        let text = "555\u{2011}123\u{2013}4567 (５５５)\u{00A0}1\u{200B}23\u{2212}4\u{202F}Zoë";
        let folded = Folded::for_shapes(text);
        assert_eq!(folded.text, "555-123-4567 (555) 123-4 Zoë");
        let start = folded.text.find("(555)").unwrap();
        let (s, e) = folded.original(start, start + 5).unwrap();
        assert_eq!(&text[s..e], "(５５５)");
        // Digits of other scripts; mathematical digits (runs of fifty).
        let digits = "٥٥٥-١٢٣ ०१२३४५६७८९ ۴ \u{1D7D8}\u{1D7FF}";
        assert_eq!(Folded::for_shapes(digits).text, "555-123 0123456789 4 09");
    }

    #[test]
    fn offsets_map_back_to_whole_characters() {
        let text = "x Jose\u{301}\u{200B} y";
        let folded = Folded::new(text);
        let start = folded.text.find("jose").unwrap();
        let (s, e) = folded.original(start, start + 4).unwrap();
        assert_eq!(&text[s..e], "Jose\u{301}\u{200B}");
        // The end of the match maps to the character after the word, past the marks.
        let (_, e) = folded.original(start, start + 5).unwrap();
        assert_eq!(&text[e..], "y");
    }
}
