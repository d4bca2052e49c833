//! What a reader shows of a note body, for the heading check in the module above:
//! the body as a lenient reader reads it ([`Normalized`]: every line break a line
//! break, every space a space, invisible characters gone, compatibility forms plain,
//! with the way back to the user's line numbers), the headings a CommonMark parser
//! finds at every nesting level and the other lines it shows ([`read`]), and the
//! shapes of a line that reads as a heading without being one (HTML heading tags,
//! markup around a title).

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::base::fold::is_invisible;

/// The body as a lenient reader reads it, and the way back to the user's lines.
pub(super) struct Normalized {
    pub(super) text: String,
    pub(super) lines: Vec<Line>,
}

/// One line of the normalized text.
#[derive(Clone, Copy)]
pub(super) struct Line {
    /// Where it starts in the normalized text.
    pub(super) start: usize,
    /// Its 1-based line number as an editor counts lines (LF, CRLF, CR, LS, PS).
    pub(super) user: usize,
    /// The 0-based number of the splitter's line (`str::lines`) it lies in.
    pub(super) lf: usize,
}

impl Normalized {
    /// CRLF, CR, LF, U+2028, U+2029, NEL, VT and FF are line breaks; every other white
    /// space but the tab is a space; invisible characters are dropped; the rest is in
    /// NFKC, character by character.
    pub(super) fn new(body: &str) -> Normalized {
        let mut text = String::with_capacity(body.len());
        let mut lines = vec![Line {
            start: 0,
            user: 1,
            lf: 0,
        }];
        let (mut user, mut lf) = (1, 0);
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            let counted = match c {
                '\n' => {
                    lf += 1;
                    true
                }
                '\r' => {
                    if chars.next_if_eq(&'\n').is_some() {
                        lf += 1;
                    }
                    true
                }
                '\u{2028}' | '\u{2029}' => true,
                // Breaks to a parser, not to most editors' line numbers.
                '\u{0085}' | '\u{000B}' | '\u{000C}' => false,
                c => {
                    push_normalized(c, &mut text);
                    continue;
                }
            };
            if counted {
                user += 1;
            }
            text.push('\n');
            lines.push(Line {
                start: text.len(),
                user,
                lf,
            });
        }
        Normalized { text, lines }
    }

    /// The line (index into `lines`) that the byte at `offset` lies on.
    pub(super) fn line_at(&self, offset: usize) -> usize {
        self.lines.partition_point(|l| l.start <= offset) - 1
    }

    /// The text of line `index`, without its line break.
    pub(super) fn line(&self, index: usize) -> &str {
        let start = self.lines[index].start;
        let end = self
            .lines
            .get(index + 1)
            .map_or(self.text.len(), |l| l.start - 1);
        &self.text[start..end]
    }
}

fn push_normalized(c: char, text: &mut String) {
    if c.is_ascii() {
        text.push(c);
    } else if c.is_whitespace() {
        text.push(' ');
    } else {
        // Invisible characters, before and after normalization, show as nothing.
        for n in std::iter::once(c).nfkc().filter(|n| !is_invisible(*n)) {
            text.push(if n.is_whitespace() { ' ' } else { n });
        }
    }
}

/// A heading a CommonMark reader shows.
pub(super) struct Heading {
    /// Where it starts and ends in the text.
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) level: u8,
    /// How many quotes, list items and footnotes it is inside.
    pub(super) depth: usize,
    /// The underline's character, for a setext heading.
    pub(super) underline: Option<char>,
    /// Its text, markup removed.
    pub(super) text: String,
}

/// What a CommonMark reader shows of a text.
pub(super) struct Reading {
    /// Every heading, at every nesting level, in order.
    pub(super) headings: Vec<Heading>,
    /// Every other line of text as shown (escapes and entities decoded, emphasis and
    /// inline HTML gone), with where it starts in the text.
    pub(super) lines: Vec<(usize, String)>,
}

/// Reads `text` as a CommonMark reader with the common extensions does.
pub(super) fn read(text: &str) -> Reading {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS;
    let mut reading = Reading {
        headings: Vec::new(),
        lines: Vec::new(),
    };
    let mut depth = 0usize;
    // Table cells are data, not lines a reader takes for headings.
    let mut tables = 0usize;
    let mut open: Option<Heading> = None;
    let mut line: Option<(usize, String)> = None;
    let flush = |line: &mut Option<(usize, String)>, lines: &mut Vec<(usize, String)>| {
        lines.extend(line.take().filter(|(_, l)| !l.trim().is_empty()));
    };
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut line, &mut reading.lines);
                let source = text.get(range.clone()).unwrap_or("").trim_end();
                // A setext heading spans its text and its underline; an ATX one, one line.
                let underline = source
                    .rfind('\n')
                    .and_then(|at| source[at + 1..].trim_start().chars().next());
                open = Some(Heading {
                    start: range.start,
                    end: range.end,
                    level: level_number(level),
                    depth,
                    underline,
                    text: String::new(),
                });
            }
            Event::End(TagEnd::Heading(_)) => reading.headings.extend(open.take()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = open.as_mut() {
                    h.text.push_str(&t);
                    continue;
                }
                if tables > 0 {
                    continue;
                }
                // Code blocks come as text of several lines; where the text is the
                // source as written, each line's offset is known.
                let verbatim = t.len() == range.len();
                let mut at = 0;
                for (i, piece) in t.split('\n').enumerate() {
                    if i > 0 {
                        flush(&mut line, &mut reading.lines);
                    }
                    let offset = if verbatim {
                        range.start + at
                    } else {
                        range.start
                    };
                    line.get_or_insert_with(|| (offset, String::new()))
                        .1
                        .push_str(piece);
                    at += piece.len() + 1;
                }
            }
            Event::SoftBreak | Event::HardBreak => match open.as_mut() {
                Some(h) => h.text.push(' '),
                None => flush(&mut line, &mut reading.lines),
            },
            Event::Start(tag) => {
                if matches!(
                    tag,
                    Tag::BlockQuote(_) | Tag::Item | Tag::FootnoteDefinition(_)
                ) {
                    depth += 1;
                }
                tables += usize::from(matches!(tag, Tag::Table(_)));
                if !is_inline(&tag) {
                    flush(&mut line, &mut reading.lines);
                }
            }
            Event::End(tag) => {
                if matches!(
                    tag,
                    TagEnd::BlockQuote(_) | TagEnd::Item | TagEnd::FootnoteDefinition
                ) {
                    depth = depth.saturating_sub(1);
                }
                if tag == TagEnd::Table {
                    tables = tables.saturating_sub(1);
                }
                if !is_inline_end(&tag) {
                    flush(&mut line, &mut reading.lines);
                }
            }
            _ => {}
        }
    }
    flush(&mut line, &mut reading.lines);
    reading
}

fn is_inline(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

fn is_inline_end(tag: &TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

fn level_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// True when `line` holds an HTML heading tag, opening or closing, in any case.
pub(super) fn has_html_heading_tag(line: &str) -> bool {
    let bytes = line.as_bytes();
    bytes.iter().enumerate().any(|(at, b)| {
        if *b != b'<' {
            return false;
        }
        let mut rest = &bytes[at + 1..];
        if let [b'/', tail @ ..] = rest {
            rest = tail;
        }
        match rest {
            [h, d, after @ ..] if h.eq_ignore_ascii_case(&b'h') && (b'1'..=b'6').contains(d) => {
                after
                    .first()
                    .is_none_or(|c| *c == b'>' || *c == b'/' || c.is_ascii_whitespace())
            }
            _ => false,
        }
    })
}

/// `line` without the markup a heading-like line starts and ends with (spaces, `#`,
/// `>`, list markers, emphasis, HTML tags; trailing `#`, `:`, emphasis, closing tags),
/// and whether a `#` was among what starts it.
pub(super) fn strip_markup(line: &str) -> (&str, bool) {
    let mut rest = line;
    let mut hashed = false;
    loop {
        let before = rest.len();
        rest = rest.trim_start_matches([' ', '\t', '>', '*', '_', '+', '-', '=', '~', '`']);
        let unhashed = rest.trim_start_matches('#');
        hashed |= unhashed.len() != rest.len();
        rest = unhashed;
        // An ordered list marker: digits, then `.` or `)`.
        let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        if digits.len() != rest.len()
            && let Some(after) = digits.strip_prefix(['.', ')'])
        {
            rest = after;
        }
        if let Some(tag) = leading_tag(rest) {
            rest = &rest[tag..];
        }
        if rest.len() == before {
            break;
        }
    }
    loop {
        let before = rest.len();
        rest = rest.trim_end_matches([' ', '\t', '#', ':', '*', '_', '~', '`', '=', '-']);
        if rest.ends_with('>')
            && let Some(open) = rest.rfind('<')
            && leading_tag(&rest[open..]) == Some(rest.len() - open)
        {
            rest = &rest[..open];
        }
        if rest.len() == before {
            break;
        }
    }
    (rest, hashed)
}

/// The length of the HTML tag `text` starts with (`<b>`, `</span>`, `<h2 id=x>`).
fn leading_tag(text: &str) -> Option<usize> {
    let inner = text.strip_prefix('<')?;
    let name = inner.strip_prefix(['/', '!']).unwrap_or(inner);
    if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '-') {
        return None;
    }
    inner.find('>').map(|end| end + 2)
}

/// True when `text` could be a title: words only, no sentence punctuation.
pub(super) fn is_title(text: &str) -> bool {
    !text.is_empty()
        && text.chars().all(|c| {
            c.is_alphanumeric()
                || is_combining_mark(c)
                || c.is_whitespace()
                || matches!(c, '-' | '_' | '/' | '&' | '\'' | '*' | '~' | '`')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_heading_tags_are_found_in_any_case() {
        for line in ["<h2>x", "</H6>", "a <h1 id=x>b", "<h3/>", "<h4"] {
            assert!(has_html_heading_tag(line), "{line}");
        }
        for line in ["<hr>", "<h7>", "<header>", "h2", "<html>"] {
            assert!(!has_html_heading_tag(line), "{line}");
        }
    }

    #[test]
    fn markup_is_stripped_from_heading_like_lines() {
        assert_eq!(
            strip_markup("##psychotherapy-notes"),
            ("psychotherapy-notes", true)
        );
        assert_eq!(strip_markup("> - **Risk:**"), ("Risk", false));
        assert_eq!(strip_markup("<h2><b>Risk</b></h2>"), ("Risk", false));
        assert_eq!(strip_markup("2) ### Risk ##"), ("Risk", true));
        assert_eq!(strip_markup("Risk: low"), ("Risk: low", false));
    }
}
