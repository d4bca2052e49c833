//! Generated forgeries: bundles whose every piece of user text (section text, names,
//! recipient, basis, contact, reasons, the notice) is drawn from the lines the
//! renderer itself writes, with variants of spacing, case and look-alike characters,
//! line breaks of every kind, fences and control characters. The rendered Markdown is
//! parsed with pulldown-cmark and its outline must be exactly the bundle's: one cover,
//! the released sections with their categories, every forged line only inside the
//! text it came in. A plain-text reader's view is checked too: every line of section
//! text, and only those, starts with four spaces. The JSON rendering of the same
//! bundle must parse to exactly the bundle.

use proptest::prelude::*;

use super::super::{
    Bundle, BundleAddendum, BundleClient, BundleNote, BundleSection, Cover, ExportFormat,
    JSON_FORMAT, Withheld, render,
};
use super::block_lines;

/// Every line the renderer can write, and lines that open or close Markdown blocks.
const STRUCTURE: &[&str] = &[
    "# Disclosure of health information",
    "**Recipient:** Dr Forged  ",
    "**Purpose:** treatment  ",
    "**Basis:** the client's consent (0badc0de)  ",
    "**Client:** Mallory Forged  ",
    "**Records:** all dates  ",
    "**Disclosed on:** 2026-03-01  ",
    "**From:** casevault vault 00, decision 01",
    "## Included",
    "diagnosis, risk, psychotherapy-notes",
    "## Withheld",
    "- risk: not part of this request",
    "- the joint session note of 2026-03-01: withheld whole",
    "## Redacted",
    "- 2 × [redacted: third-party]",
    "[redacted: identity]",
    "[redacted: third-party]",
    "## Obligations",
    "- entered in the client's accounting of disclosures",
    "## Notice prohibiting redisclosure",
    "## Statement of disagreement",
    "The practice's rebuttal:",
    "This record, which has been disclosed to you, is protected by federal confidentiality rules (42 CFR part 2).",
    "---",
    "***",
    "## Client",
    "- Name: Mallory Forged",
    "- Date of birth: 1980-01-01",
    "- Contact: forged@example.org",
    "- Third parties:",
    "  - Eve Forged",
    "No session notes in this disclosure.",
    "## Session of 2026-03-01 (individual)",
    "## Session 2026-03-01",
    "## Session (date withheld)",
    "### risk",
    "### psychotherapy-notes",
    "### substance-use",
    "[withheld: risk]",
    "[withheld: identity]: https://example.org/forged",
    "#### Addendum of 2026-03-02",
    "#### Addendum",
    "Forged heading",
    "===",
    "```",
    "````markdown",
    "~~~",
    "~~~~~~",
    "    indented",
    "\t# tabbed",
    "> # quoted",
    "<!--",
    "-->",
    "<details><summary>x</summary>",
    "</code></pre>",
    "| a | b |",
    "|---|---|",
    "[^1]: footnote",
    ": definition",
    "$$",
    "1. item",
    "\\",
    "&#35; entity",
];

/// A structure line with its spacing, case or characters varied.
fn forged_line() -> impl Strategy<Value = String> {
    (prop::sample::select(STRUCTURE), 0u8..8, 0usize..4).prop_map(|(line, how, indent)| {
        let line = match how {
            0 => line.to_uppercase(),
            1 => line.to_lowercase(),
            // Full-width and other look-alikes of the marks that make structure.
            2 => line
                .replace('#', "＃")
                .replace('*', "∗")
                .replace('[', "［")
                .replace(':', "："),
            3 => line.replace(' ', "\u{A0}"),
            4 => line.replace(' ', "  "),
            _ => line.to_owned(),
        };
        format!("{}{line}", " ".repeat(indent))
    })
}

/// Text made of forged lines, random characters (control characters, line breaks of
/// every kind, bidirectional overrides, fence characters) and line breaks between.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => forged_line(),
        1 => "[`~#*_\\[\\]<>&!|\\\\ a-z\r\n\t\u{0}\u{1b}\u{7f}\u{85}\u{9b}\u{2028}\u{2029}\u{202a}-\u{202e}\u{2066}-\u{2069}\u{0b}\u{0c}]{0,12}",
        1 => "\\PC{0,8}",
    ];
    let brk = prop::sample::select(
        &[
            "\n", "\r\n", "\r", "\n\n", "\u{2028}", "\u{0b}", "\u{85}", " ",
        ][..],
    );
    prop::collection::vec((piece, brk), 0..8)
        .prop_map(|parts| parts.into_iter().map(|(p, b)| format!("{p}{b}")).collect())
}

/// A one-line value: usually a forged line, sometimes several (a value the library
/// would refuse, from a record written before it did).
fn value() -> impl Strategy<Value = String> {
    prop_oneof![4 => forged_line(), 1 => text()]
}

const CATEGORIES: &[&str] = &[
    "identity",
    "progress",
    "risk",
    "psychotherapy-notes",
    "third-party",
];

fn section() -> impl Strategy<Value = BundleSection> {
    (
        prop::sample::select(CATEGORIES),
        prop::option::weighted(0.8, text()),
    )
        .prop_map(|(category, text)| BundleSection {
            category: category.to_owned(),
            withheld: text.is_none(),
            text,
        })
}

fn note() -> impl Strategy<Value = BundleNote> {
    (
        any::<bool>(),
        prop::collection::vec(section(), 0..4),
        prop::collection::vec(
            (any::<bool>(), prop::collection::vec(section(), 0..3)),
            0..2,
        ),
    )
        .prop_map(|(dated, sections, addenda)| BundleNote {
            date: dated.then(|| "2026-03-01".parse().expect("a date")),
            session: dated.then(|| "individual".to_owned()),
            sections,
            addenda: addenda
                .into_iter()
                .map(|(dated, sections)| BundleAddendum {
                    written_on: dated.then(|| "2026-03-02".parse().expect("a date")),
                    sections,
                })
                .collect(),
        })
}

fn bundle() -> impl Strategy<Value = Bundle> {
    (
        (value(), value(), value(), value()),
        prop::collection::vec((value(), value()), 0..3),
        prop::collection::vec(value(), 0..3),
        prop::option::of(text()),
        prop::option::of((
            value(),
            prop::option::of(value()),
            prop::collection::vec(value(), 0..3),
        )),
        prop::collection::vec(note(), 0..4),
        prop::collection::vec((text(), prop::option::of(text())), 0..2),
    )
        .prop_map(
            |(
                (recipient, purpose, basis, client),
                withheld,
                obligations,
                notice,
                profile,
                notes,
                disagreements,
            )| Bundle {
                format: JSON_FORMAT,
                cover: Cover {
                    recipient,
                    purpose,
                    basis,
                    client,
                    from: None,
                    until: None,
                    disclosed_on: "2026-03-01".parse().expect("a date"),
                    vault: "00".into(),
                    decision: "01".into(),
                    permitted: vec!["progress".into(), "risk".into()],
                    withheld: withheld
                        .into_iter()
                        .map(|(what, reason)| Withheld { what, reason })
                        .collect(),
                    redactions: vec![("[redacted: third-party]".into(), 2)],
                    obligations,
                    redisclosure_notice: notice,
                    disagreements: disagreements
                        .into_iter()
                        .map(|(statement, rebuttal)| super::super::Disagreement {
                            request: "02".into(),
                            denied_on: "2026-03-01".parse().expect("a date"),
                            statement,
                            rebuttal,
                        })
                        .collect(),
                },
                client: profile.map(|(name, contact, third_parties)| BundleClient {
                    name,
                    date_of_birth: Some("1980-01-01".parse().expect("a date")),
                    contact,
                    third_parties,
                }),
                notes,
            },
        )
}

#[path = "../../tests/common/outline.rs"]
mod outline;
use outline::{Block, outline};

/// A one-line value as a reader should read it: line breaks and control characters as
/// code points, spaces at either end as the parser leaves them.
fn shown(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        if super::is_shown_as_code(c) || super::is_line_break(c) {
            super::push_code_point(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// A value at the start of an item as a reader should read it.
fn item(value: &str) -> String {
    match shown(value.trim_matches(' ')) {
        s if s.is_empty() => "⟨empty⟩".to_owned(),
        s => s,
    }
}

fn sections(expected: &mut Vec<Block>, sections: &[BundleSection]) {
    for s in sections {
        match &s.text {
            Some(text) => {
                expected.push(Block::Heading(3, s.category.clone()));
                let lines = block_lines(text);
                if !lines.is_empty() {
                    expected.push(Block::Code(
                        lines.iter().map(|l| format!("{l}\n")).collect(),
                    ));
                }
            }
            None => expected.push(Block::Paragraph(format!("[withheld: {}]", s.category))),
        }
    }
}

/// The outline a bundle must have, built from the bundle alone.
fn expected(bundle: &Bundle) -> Vec<Block> {
    let c = &bundle.cover;
    let mut out = vec![Block::Heading(1, "Disclosure of health information".into())];
    let cover: Vec<String> = [
        ("Recipient", c.recipient.as_str()),
        ("Purpose", c.purpose.as_str()),
        ("Basis", c.basis.as_str()),
        ("Client", c.client.as_str()),
        ("Records", "all dates"),
        ("Disclosed on", "2026-03-01"),
    ]
    .iter()
    .map(|(k, v)| format!("{k}: {}", shown(v)))
    .chain(["From: casevault vault 00, decision 01".to_owned()])
    .collect();
    out.push(Block::Paragraph(cover.join("\n")));
    out.push(Block::Heading(2, "Included".into()));
    out.push(Block::Paragraph(c.permitted.join(", ")));
    if !c.withheld.is_empty() {
        out.push(Block::Heading(2, "Withheld".into()));
        for w in &c.withheld {
            out.push(Block::Item(format!(
                "{}: {}",
                item(&w.what),
                shown(&w.reason)
            )));
        }
    }
    out.push(Block::Heading(2, "Redacted".into()));
    out.push(Block::Item("2 × [redacted: third-party]".into()));
    if !c.obligations.is_empty() {
        out.push(Block::Heading(2, "Obligations".into()));
        for o in &c.obligations {
            out.push(Block::Item(item(o)));
        }
    }
    if let Some(notice) = &c.redisclosure_notice {
        out.push(Block::Heading(2, "Notice prohibiting redisclosure".into()));
        let words: Vec<&str> = notice.split_whitespace().collect();
        if !words.is_empty() {
            out.push(Block::Paragraph(shown(&words.join(" "))));
        }
    }
    let paragraph = |out: &mut Vec<Block>, text: &str| {
        let words: Vec<&str> = text.split_whitespace().collect();
        if !words.is_empty() {
            out.push(Block::Paragraph(shown(&words.join(" "))));
        }
    };
    for d in &c.disagreements {
        out.push(Block::Heading(2, "Statement of disagreement".into()));
        out.push(Block::Paragraph(
            "The client asked to amend this record; the amendment was denied on 2026-03-01 (request 02). The client's statement:".into(),
        ));
        paragraph(&mut out, &d.statement);
        if let Some(r) = &d.rebuttal {
            out.push(Block::Paragraph("The practice's rebuttal:".into()));
            paragraph(&mut out, r);
        }
    }
    out.push(Block::Rule);
    if let Some(client) = &bundle.client {
        out.push(Block::Heading(2, "Client".into()));
        out.push(Block::Item(format!("Name: {}", shown(&client.name))));
        out.push(Block::Item("Date of birth: 1980-01-01".into()));
        if let Some(contact) = &client.contact {
            out.push(Block::Item(format!("Contact: {}", shown(contact))));
        }
        if !client.third_parties.is_empty() {
            out.push(Block::Item("Third parties:".into()));
            for name in &client.third_parties {
                out.push(Block::Item(item(name)));
            }
        }
    }
    if bundle.notes.is_empty() {
        out.push(Block::Paragraph(
            "No session notes in this disclosure.".into(),
        ));
    }
    for note in &bundle.notes {
        out.push(Block::Heading(
            2,
            match note.date {
                Some(d) => format!("Session of {d} (individual)"),
                None => "Session (date withheld)".into(),
            },
        ));
        sections(&mut out, &note.sections);
        for a in &note.addenda {
            out.push(Block::Heading(
                4,
                match &a.written_on {
                    Some(d) => format!("Addendum of {d}"),
                    None => "Addendum".into(),
                },
            ));
            sections(&mut out, &a.sections);
        }
    }
    out
}

/// Spaces at the ends of a paragraph's lines and of an item are not text a reader
/// sees (CommonMark drops them); they are compared without.
fn trimmed(blocks: Vec<Block>) -> Vec<Block> {
    let trim = |s: &str| {
        s.split('\n')
            .map(|l| l.trim_matches(' '))
            .collect::<Vec<_>>()
            .join("\n")
    };
    blocks
        .into_iter()
        .map(|b| match b {
            Block::Paragraph(s) => Block::Paragraph(trim(&s)),
            Block::Item(s) => Block::Item(trim(&s)),
            Block::Heading(l, s) => Block::Heading(l, trim(&s)),
            b => b,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn forged_structure_in_any_text_stays_inside_it(bundle in bundle()) {
        let rendered = render(&bundle, ExportFormat::Markdown);
        let markdown = std::str::from_utf8(&rendered).expect("UTF-8");
        prop_assert_eq!(trimmed(outline(markdown)), trimmed(expected(&bundle)), "{}", markdown);

        // A plain-text reader: the lines set in by four spaces are exactly the lines of
        // section text, and no other line is indented so far.
        let text_lines: usize = bundle
            .notes
            .iter()
            .flat_map(|n| n.sections.iter().chain(n.addenda.iter().flat_map(|a| a.sections.iter())))
            .filter_map(|s| s.text.as_deref())
            .map(|t| block_lines(t).len())
            .sum();
        let indented = markdown.lines().filter(|l| l.starts_with("    ")).count();
        prop_assert_eq!(indented, text_lines, "{}", markdown);
        prop_assert_eq!(
            markdown.lines().filter(|l| *l == "# Disclosure of health information").count(),
            1
        );

        // The JSON, written a note at a time, is byte for byte the bundle's own
        // pretty serialization, and parses back to it.
        let json = render(&bundle, ExportFormat::Json);
        let whole = serde_json::to_vec_pretty(&bundle).expect("plain data serializes");
        prop_assert_eq!(std::str::from_utf8(&json).expect("UTF-8"), std::str::from_utf8(&whole).expect("UTF-8"));
        let parsed: serde_json::Value = serde_json::from_slice(&json).expect("the JSON export parses");
        prop_assert_eq!(parsed, serde_json::to_value(&bundle).expect("plain data serializes"));
    }
}
