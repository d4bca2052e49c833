//! The Markdown rendering of a bundle, laid out so that nothing a user typed can end,
//! open or imitate its structure (docs/EXPORT.md, "Markdown"):
//!
//! - Every line of structure (headings, the cover's labels, list items, markers)
//!   starts at the left margin and is written by this module alone.
//! - Every section's text is an indented code block: each of its lines starts with
//!   four spaces. In CommonMark an indented code block ends only at a line indented
//!   less, and nothing inside it is Markdown, so no text can close it; a plain-text
//!   reader sees the same thing, every line of a note set in from the margin.
//! - Every value on the cover (names, recipient, basis, contact, reasons, the notice)
//!   stays on its own line: line breaks and other control characters are shown as
//!   their code point, and the characters that carry Markdown are escaped.

use super::{Bundle, BundleNote, BundleSection};

/// Characters some reader ends a line at: CommonMark's (LF, CR) and those a terminal,
/// editor or plain-text viewer may break at.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Characters shown as their code point wherever they are: control characters (C0,
/// DEL, C1; a tab only in a one-line value) and the bidirectional overrides and
/// isolates, which can make a line read as another.
fn is_shown_as_code(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn push_code_point(out: &mut String, c: char) {
    out.push_str(&format!("⟨U+{:04X}⟩", c as u32));
}

/// ASCII characters that carry Markdown inside a line, in CommonMark or its common
/// extensions: escapes, code spans, emphasis, links and images, autolinks and HTML,
/// entities, strikethrough, tables, footnotes, math, attributes. Each is written
/// backslash-escaped (CommonMark: any ASCII punctuation may be, and is then literal).
/// Punctuation that is inert inside a line (`. , : ; ( ) - ' " / ? @ % + =`) stays as
/// typed, so that a plain-text reader reads "Dr. Osei", not "Dr\. Osei".
const ACTIVE: &[char] = &[
    '\\', '`', '*', '_', '[', ']', '<', '>', '&', '!', '~', '|', '$', '^', '#', '{', '}',
];

/// A value for the middle of a line: it can neither break the line nor carry Markdown.
pub(super) fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_shown_as_code(c) || is_line_break(c) {
            push_code_point(&mut out, c);
        } else {
            if ACTIVE.contains(&c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// A value that starts a block of its own (the redisclosure notice) or a list item's
/// text (where a line's start counts again): white space gathered into single spaces,
/// then as [`inline`], with its first character escaped when it is punctuation (a
/// list item, heading, quote, thematic break or table row starts so) and the `.` or `)`
/// after leading digits (an ordered list item).
pub(super) fn paragraph(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    line_start(&text)
}

/// A list item's text: never empty, for a list marker alone under a line of text
/// would underline it as a heading.
fn item(text: &str) -> String {
    match line_start(text) {
        t if t.is_empty() => "⟨empty⟩".to_owned(),
        t => t,
    }
}

/// A value at the start of a list item's text: spaces at either end dropped (more
/// than four would start code), then escaped as [`paragraph`] escapes its start.
pub(super) fn line_start(text: &str) -> String {
    let text = text.trim_matches(' ');
    let body = inline(text);
    let mut out = String::with_capacity(body.len() + 2);
    let mut chars = body.chars().peekable();
    if let Some(&first) = chars.peek()
        && first.is_ascii_punctuation()
        && first != '\\'
    {
        out.push('\\');
    }
    let mut digits = 0;
    while let Some(&c) = chars.peek()
        && c.is_ascii_digit()
    {
        out.push(c);
        chars.next();
        digits += 1;
    }
    if digits > 0
        && let Some(&c) = chars.peek()
        && (c == '.' || c == ')')
    {
        out.push('\\');
    }
    out.extend(chars);
    out
}

/// A category name in a heading or marker. The policy allows only lower-case letters,
/// digits and `-` in names, which need no escaping; anything else is escaped all the
/// same.
fn label(name: &str) -> String {
    if name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        name.to_owned()
    } else {
        inline(name)
    }
}

/// The lines of a section's text as they go into its code block: split at every line
/// break any reader knows (CR LF counts once), control characters other than tabs and
/// the bidirectional overrides shown as code points, and the blank lines at either
/// end dropped (CommonMark drops them from a code block anyway).
pub(super) fn block_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_line_break(c) {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            lines.push(std::mem::take(&mut line));
        } else if c != '\t' && is_shown_as_code(c) {
            push_code_point(&mut line, c);
        } else {
            line.push(c);
        }
    }
    lines.push(line);
    let blank = |l: &String| l.chars().all(|c| c == ' ' || c == '\t');
    let start = lines.iter().position(|l| !blank(l)).unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !blank(l))
        .map_or(start, |i| i + 1);
    lines.drain(end..);
    lines.drain(..start);
    lines
}

/// A section's text as an indented code block, after a heading or a blank line.
fn block(out: &mut String, text: &str) {
    let lines = block_lines(text);
    if lines.is_empty() {
        return;
    }
    for line in lines {
        out.push_str("    ");
        out.push_str(&line);
        out.push('\n');
    }
    out.push('\n');
}

fn sections(out: &mut String, sections: &[BundleSection]) {
    for s in sections {
        match &s.text {
            Some(text) => {
                out.push_str(&format!("### {}\n\n", label(&s.category)));
                block(out, text);
            }
            None => out.push_str(&format!("[withheld: {}]\n\n", label(&s.category))),
        }
    }
}

/// The cover sheet and the profile.
pub(super) fn head(bundle: &Bundle, notes: usize) -> String {
    let c = &bundle.cover;
    let mut out = String::new();
    out.push_str("# Disclosure of health information\n\n");
    let range = match (c.from, c.until) {
        (None, None) => "all dates".to_owned(),
        (from, until) => format!(
            "{} to {}",
            from.map_or("the first record".to_owned(), |d| d.to_string()),
            until.map_or("the latest record".to_owned(), |d| d.to_string())
        ),
    };
    for (k, v) in [
        ("Recipient", c.recipient.as_str()),
        ("Purpose", c.purpose.as_str()),
        ("Basis", c.basis.as_str()),
        ("Client", c.client.as_str()),
        ("Records", range.as_str()),
    ] {
        out.push_str(&format!("**{k}:** {}  \n", inline(v)));
    }
    out.push_str(&format!(
        "**Disclosed on:** {}  \n**From:** casevault vault {}, decision {}\n\n",
        c.disclosed_on,
        inline(&c.vault),
        inline(&c.decision)
    ));
    let permitted: Vec<String> = c.permitted.iter().map(|p| label(p)).collect();
    out.push_str(&format!("## Included\n\n{}\n\n", permitted.join(", ")));
    if !c.withheld.is_empty() {
        out.push_str("## Withheld\n\n");
        for w in &c.withheld {
            out.push_str(&format!("- {}: {}\n", item(&w.what), inline(&w.reason)));
        }
        out.push('\n');
    }
    if !c.redactions.is_empty() {
        out.push_str("## Redacted\n\n");
        for (marker, n) in &c.redactions {
            out.push_str(&format!("- {n} × {}\n", inline(marker)));
        }
        out.push('\n');
    }
    if !c.obligations.is_empty() {
        out.push_str("## Obligations\n\n");
        for o in &c.obligations {
            out.push_str(&format!("- {}\n", item(o)));
        }
        out.push('\n');
    }
    if let Some(notice) = &c.redisclosure_notice {
        out.push_str(&format!(
            "## Notice prohibiting redisclosure\n\n{}\n\n",
            paragraph(notice)
        ));
    }
    for d in &c.disagreements {
        out.push_str(&format!(
            "## Statement of disagreement\n\nThe client asked to amend this record; the amendment was denied on {} (request {}). The client's statement:\n\n{}\n\n",
            d.denied_on,
            inline(&d.request),
            paragraph(&d.statement)
        ));
        if let Some(r) = &d.rebuttal {
            out.push_str(&format!("The practice's rebuttal:\n\n{}\n\n", paragraph(r)));
        }
    }
    out.push_str("---\n\n");
    if let Some(client) = &bundle.client {
        out.push_str(&format!("## Client\n\n- Name: {}\n", inline(&client.name)));
        if let Some(dob) = client.date_of_birth {
            out.push_str(&format!("- Date of birth: {dob}\n"));
        }
        if let Some(contact) = &client.contact {
            out.push_str(&format!("- Contact: {}\n", inline(contact)));
        }
        if !client.third_parties.is_empty() {
            out.push_str("- Third parties:\n");
            for name in &client.third_parties {
                out.push_str(&format!("  - {}\n", item(name)));
            }
        }
        out.push('\n');
    }
    if notes == 0 {
        out.push_str("No session notes in this disclosure.\n");
    }
    out
}

/// One note: its session heading, its sections, its addenda.
pub(super) fn note(note: &BundleNote) -> String {
    let mut out = String::new();
    match (note.date, &note.session) {
        (Some(d), Some(kind)) => out.push_str(&format!("## Session of {d} ({})\n\n", inline(kind))),
        _ => out.push_str("## Session (date withheld)\n\n"),
    }
    sections(&mut out, &note.sections);
    for a in &note.addenda {
        match a.written_on {
            Some(d) => out.push_str(&format!("#### Addendum of {d}\n\n")),
            None => out.push_str("#### Addendum\n\n"),
        }
        sections(&mut out, &a.sections);
    }
    out
}

#[cfg(test)]
#[path = "markdown_forgery.rs"]
mod forgery;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_cannot_break_its_line_or_carry_markdown() {
        assert_eq!(inline("Dr. Osei"), "Dr. Osei");
        assert_eq!(inline("a\n# Disclosure"), "a⟨U+000A⟩\\# Disclosure");
        assert_eq!(
            inline("**x** [y](z) `c`"),
            "\\*\\*x\\*\\* \\[y\\](z) \\`c\\`"
        );
        assert_eq!(inline("\u{202E}"), "⟨U+202E⟩");
        assert_eq!(paragraph("- item"), "\\- item");
        assert_eq!(paragraph("12. item"), "12\\. item");
        assert_eq!(paragraph("  # x\n\ny"), "\\# x y");
    }

    #[test]
    fn section_text_splits_at_every_line_break_and_drops_blank_ends() {
        assert_eq!(
            block_lines("\n\na\r\nb\rc\u{2028}d\u{85}e\n  \n"),
            ["a", "b", "c", "d", "e"]
        );
        assert_eq!(block_lines("a\u{1B}[2J\tb"), ["a⟨U+001B⟩[2J\tb"]);
        assert!(block_lines(" \n\t\n").is_empty());
    }
}
