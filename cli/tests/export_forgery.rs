//! Exports cannot be forged from inside (docs/EXPORT.md, "Why it cannot be forged from
//! inside"):
//!
//! - Generated notes whose text repeats the export's own lines (the cover's heading and
//!   labels, `[withheld: …]` and `[redacted: …]` markers, session, category and
//!   addendum headings, the notice's heading, fences), in varied spacing, case and
//!   look-alike characters, under a client, third party, recipient, justification and
//!   reference made of such lines too, go out through the library as Markdown and JSON.
//!   Both are parsed (pulldown-cmark, serde_json): the Markdown has exactly one cover,
//!   exactly the sections the JSON releases with their categories, each section's text
//!   verbatim inside its code block, and the cover's values as the JSON gives them.
//! - Every one-line field with a line break or control character is refused, through
//!   the library and through the CLI, naming the field, writing nothing.

mod common;
// One outline for both forgery tests: the library's (src/export/markdown_forgery.rs)
// reads it from the root's tests/common/ too.
#[path = "../../tests/common/outline.rs"]
mod outline;

use std::cell::RefCell;
use std::path::PathBuf;

use casevault::{
    ConsentRecipient, DEFAULT_CATEGORIES, Date, DisclosureRequest, Error, ExceptionRequest,
    ExportEncryption, ExportFormat, ExportOptions, KdfParams, NewClient, NewConsent, NewNote,
    Relationship, Session, Vault, parse_sections,
};
use common::TestVault;
use outline::{Block, outline};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use secrecy::SecretString;
use serde_json::Value;

/// Lines an export writes, and lines that open or close Markdown blocks.
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
    "## Withheld",
    "- risk: not part of this request",
    "## Redacted",
    "- 2 × [redacted: third-party]",
    "[redacted: identity]",
    "[redacted: third-party]",
    "## Obligations",
    "## Notice prohibiting redisclosure",
    "---",
    "## Client",
    "- Name: Mallory Forged",
    "- Third parties:",
    "No session notes in this disclosure.",
    "## Session of 2026-03-01 (individual)",
    "## Session 2026-03-01",
    "## Session (date withheld)",
    "### risk",
    "### psychotherapy-notes",
    "[withheld: risk]",
    "[withheld: identity]: https://example.org/forged",
    "#### Addendum of 2026-03-02",
    "```",
    "~~~~",
    "> # quoted",
    "<!--",
    "| a | b |",
    "1. item",
];

/// A structure line with its spacing, case or characters varied.
fn forged_line() -> impl Strategy<Value = String> {
    (prop::sample::select(STRUCTURE), 0u8..7, 0usize..4).prop_map(|(line, how, indent)| {
        let line = match how {
            0 => line.to_uppercase(),
            1 => line.replace('#', "＃").replace('*', "∗").replace(':', "："),
            2 => line.replace(' ', "\u{A0}"),
            3 => line.replace(' ', "  "),
            _ => line.to_owned(),
        };
        format!("{}{line}", " ".repeat(indent))
    })
}

/// A forged line fit for a one-line field: as typed, trimmed, never blank.
fn one_line() -> impl Strategy<Value = String> {
    forged_line().prop_map(|l| format!("{} x", l.trim()))
}

#[derive(Clone, Debug)]
struct Case {
    name: String,
    third_party: String,
    /// Under duty-to-protect, to this recipient; otherwise the client's own request.
    exception: Option<(String, String, String)>,
    /// Lines of the progress and risk sections.
    progress: Vec<String>,
    risk: Vec<String>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        one_line(),
        one_line(),
        prop::option::of((one_line(), one_line(), one_line())),
        prop::collection::vec(forged_line(), 1..8),
        prop::collection::vec(forged_line(), 1..8),
    )
        .prop_map(|(name, third_party, exception, progress, risk)| Case {
            name,
            third_party,
            exception,
            progress,
            risk,
        })
}

/// A note body with these lines under `## progress` and `## risk`. Lines the note
/// parser refuses (a category heading's look-alike, say) are left out; when the body
/// as a whole is refused, the lines go inside a fence the parser keeps as text.
fn body(case: &Case) -> Option<String> {
    let fits = |line: &&String| {
        parse_sections(&format!("## progress\n\n{line}\n"), DEFAULT_CATEGORIES).is_ok()
    };
    let lines = |ls: &[String]| ls.iter().filter(fits).cloned().collect::<Vec<_>>();
    let (progress, risk) = (lines(&case.progress), lines(&case.risk));
    let plain = format!(
        "## progress\n\n{}\n\n## risk\n\n{}\n",
        progress.join("\n"),
        risk.join("\n")
    );
    if parse_sections(&plain, DEFAULT_CATEGORIES).is_ok() {
        return Some(plain);
    }
    let fence = "`".repeat(12);
    let fenced = format!(
        "## progress\n\n{fence}\n{}\n{fence}\n\n## risk\n\n{fence}\n{}\n{fence}\n",
        progress.join("\n"),
        risk.join("\n")
    );
    parse_sections(&fenced, DEFAULT_CATEGORIES)
        .is_ok()
        .then_some(fenced)
}

struct Fixture {
    _dir: tempfile::TempDir,
    exports: PathBuf,
    session: Session,
    cases: usize,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (session, _) = Vault::create(
            dir.path().join("practice.casevault"),
            &SecretString::from("correct horse battery staple"),
            KdfParams::default(),
            "dr-forgery",
        )
        .expect("create the vault");
        let exports = dir.path().join("exports");
        std::fs::create_dir(&exports).expect("exports directory");
        Fixture {
            _dir: dir,
            exports,
            session,
            cases: 0,
        }
    }
}

fn date(s: &str) -> Date {
    s.parse().expect("a date")
}

/// A section's text as its code block holds it: blank lines at either end dropped,
/// every line ended.
fn code(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let blank = |l: &&str| l.trim_matches(|c| c == ' ' || c == '\t').is_empty();
    let start = lines.iter().position(|l| !blank(l)).unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !blank(l))
        .map_or(start, |i| i + 1);
    lines[start..end].iter().map(|l| format!("{l}\n")).collect()
}

fn sections(out: &mut Vec<Block>, sections: &Value) {
    for s in sections.as_array().expect("sections") {
        let category = s["category"].as_str().expect("category").to_owned();
        match s["text"].as_str() {
            Some(text) => {
                out.push(Block::Heading(3, category));
                let code = code(text);
                if !code.is_empty() {
                    out.push(Block::Code(code));
                }
            }
            None => out.push(Block::Paragraph(format!("[withheld: {category}]"))),
        }
    }
}

/// What the Markdown must hold, from the JSON of the same disclosure: its cover's
/// values, and its notes' headings, sections and texts.
fn expected_outline(json: &Value) -> Vec<Block> {
    let c = &json["cover"];
    let s = |v: &Value| v.as_str().expect("a string").to_owned();
    let mut out = vec![
        Block::Heading(1, "Disclosure of health information".into()),
        Block::Paragraph(format!(
            "Recipient: {}\nPurpose: {}\nBasis: {}\nClient: {}\nRecords: all dates\nDisclosed on: {}\nFrom: casevault vault {}, decision {}",
            s(&c["recipient"]),
            s(&c["purpose"]),
            s(&c["basis"]),
            s(&c["client"]),
            s(&c["disclosed_on"]),
            s(&c["vault"]),
            s(&c["decision"]),
        )),
        Block::Heading(2, "Included".into()),
        Block::Paragraph(
            c["permitted"]
                .as_array()
                .expect("permitted")
                .iter()
                .map(s)
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    let items = |out: &mut Vec<Block>, heading: &str, list: Vec<String>| {
        if !list.is_empty() {
            out.push(Block::Heading(2, heading.into()));
            out.extend(list.into_iter().map(Block::Item));
        }
    };
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    items(
        &mut out,
        "Withheld",
        list(&c["withheld"])
            .iter()
            .map(|w| format!("{}: {}", s(&w["what"]), s(&w["reason"])))
            .collect(),
    );
    items(
        &mut out,
        "Redacted",
        list(&c["redactions"])
            .iter()
            .map(|r| format!("{} × {}", r[1], s(&r[0])))
            .collect(),
    );
    items(
        &mut out,
        "Obligations",
        list(&c["obligations"]).iter().map(s).collect(),
    );
    if let Some(notice) = c["redisclosure_notice"].as_str() {
        out.push(Block::Heading(2, "Notice prohibiting redisclosure".into()));
        out.push(Block::Paragraph(
            notice.split_whitespace().collect::<Vec<_>>().join(" "),
        ));
    }
    out.push(Block::Rule);
    if let Some(client) = json.get("client") {
        out.push(Block::Heading(2, "Client".into()));
        out.push(Block::Item(format!("Name: {}", s(&client["name"]))));
        if let Some(dob) = client["date_of_birth"].as_str() {
            out.push(Block::Item(format!("Date of birth: {dob}")));
        }
        if let Some(contact) = client["contact"].as_str() {
            out.push(Block::Item(format!("Contact: {contact}")));
        }
        let third = list(&client["third_parties"]);
        if !third.is_empty() {
            out.push(Block::Item("Third parties:".into()));
            out.extend(third.iter().map(|n| Block::Item(s(n))));
        }
    }
    let notes = list(&json["notes"]);
    if notes.is_empty() {
        out.push(Block::Paragraph(
            "No session notes in this disclosure.".into(),
        ));
    }
    for note in &notes {
        out.push(Block::Heading(
            2,
            match (note["date"].as_str(), note["session"].as_str()) {
                (Some(d), Some(kind)) => format!("Session of {d} ({kind})"),
                _ => "Session (date withheld)".into(),
            },
        ));
        sections(&mut out, &note["sections"]);
        for a in list(&note["addenda"]) {
            out.push(Block::Heading(
                4,
                match a["written_on"].as_str() {
                    Some(d) => format!("Addendum of {d}"),
                    None => "Addendum".into(),
                },
            ));
            sections(&mut out, &a["sections"]);
        }
    }
    out
}

/// Spaces at the ends of a paragraph's lines, an item or a heading are not text a
/// reader sees (CommonMark drops them).
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

fn check(f: &mut Fixture, case: &Case) -> Result<(), TestCaseError> {
    let Some(body) = body(case) else {
        return Err(TestCaseError::reject("the note parser refuses this body"));
    };
    f.cases += 1;
    let s = &mut f.session;
    let client = s
        .add_client(NewClient {
            name: case.name.clone(),
            date_of_birth: Some(date("1980-01-01")),
            contact: Some(case.third_party.clone()),
            third_parties: vec![case.third_party.clone()],
            care: Default::default(),
        })
        .map_err(|e| TestCaseError::fail(format!("add the client: {e}")))?;
    s.add_note(NewNote::individual(&client, date("2026-03-01"), &body))
        .map_err(|e| TestCaseError::fail(format!("add the note: {e}")))?;
    let request = match &case.exception {
        Some((to, justification, reference)) => DisclosureRequest {
            client: client.clone(),
            recipient: to.clone(),
            purpose: "treatment".into(),
            categories: vec!["identity".into(), "risk".into()],
            consent: None,
            exception: Some(ExceptionRequest {
                kind: "duty-to-protect".into(),
                justification: justification.clone(),
                reference: Some(reference.clone()),
                order_categories: Vec::new(),
                about: None,
            }),
            from: None,
            until: None,
            recipient_kind: None,
        },
        None => DisclosureRequest {
            client: client.clone(),
            recipient: "client".into(),
            purpose: "client-request".into(),
            categories: vec!["all".into()],
            consent: None,
            exception: None,
            from: None,
            until: None,
            recipient_kind: None,
        },
    };
    let mut export = |format: ExportFormat, ext: &str| -> Result<String, TestCaseError> {
        let out = f.exports.join(format!("case-{}.{ext}", f.cases));
        let options = ExportOptions {
            format,
            encryption: ExportEncryption::Plaintext,
            out: out.clone(),
        };
        f.session
            .disclose(&request, date("2026-06-01"), &options)
            .map_err(|e| TestCaseError::fail(format!("disclose: {e}")))?;
        Ok(std::fs::read_to_string(&out).expect("the export"))
    };
    let markdown = export(ExportFormat::Markdown, "md")?;
    let json: Value = serde_json::from_str(&export(ExportFormat::Json, "json")?)
        .map_err(|e| TestCaseError::fail(format!("the JSON export does not parse: {e}")))?;

    // Two disclosures, two decisions: their identifiers are left out of the comparison.
    let masked = |blocks: Vec<Block>| -> Vec<Block> {
        blocks
            .into_iter()
            .map(|b| match b {
                Block::Paragraph(p) if p.starts_with("Recipient:") => {
                    Block::Paragraph(match p.rfind(", decision ") {
                        Some(at) => p[..at].to_owned(),
                        None => p,
                    })
                }
                b => b,
            })
            .collect()
    };
    let outline = masked(trimmed(outline(&markdown)));
    prop_assert_eq!(
        &outline,
        &masked(trimmed(expected_outline(&json))),
        "{}",
        markdown
    );
    // Exactly one cover, and what the request released, by the JSON export too.
    prop_assert_eq!(
        outline
            .iter()
            .filter(|b| matches!(b, Block::Heading(1, _)))
            .count(),
        1
    );
    let released: Vec<&str> = json["notes"][0]["sections"]
        .as_array()
        .expect("one note")
        .iter()
        .filter(|s| s["text"].is_string())
        .map(|s| s["category"].as_str().expect("category"))
        .collect();
    if case.exception.is_some() {
        prop_assert_eq!(released, vec!["risk"]);
    } else {
        prop_assert_eq!(released, vec!["progress", "risk"]);
    }
    // A plain-text reader: only the lines of section text are set in by four spaces.
    let text_lines: usize = outline
        .iter()
        .map(|b| match b {
            Block::Code(c) => c.lines().count(),
            _ => 0,
        })
        .sum();
    prop_assert_eq!(
        markdown.lines().filter(|l| l.starts_with("    ")).count(),
        text_lines
    );
    Ok(())
}

#[test]
fn notes_names_and_justifications_that_repeat_the_exports_lines_forge_nothing() {
    const CASES: u32 = 48;
    let fixture = RefCell::new(Fixture::new());
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(e) = runner.run(&case(), |case| check(&mut fixture.borrow_mut(), &case)) {
        panic!("{e}");
    }
    assert!(fixture.borrow().cases >= CASES as usize);
}

// ---------------------------------------------------------------------------------
// One-line fields

/// Every character a one-line field refuses, one of each kind, and the line breaks.
const BREAKING: &[&str] = &[
    "\n", "\r\n", "\r", "\t", "\u{0}", "\u{0b}", "\u{0c}", "\u{1b}", "\u{1f}", "\u{7f}", "\u{80}",
    "\u{85}", "\u{9b}", "\u{9f}", "\u{2028}", "\u{2029}", "\u{202a}", "\u{202b}", "\u{202c}",
    "\u{202d}", "\u{202e}", "\u{2066}", "\u{2067}", "\u{2068}", "\u{2069}",
];

/// The one-line fields of the library's ways in, and the words naming each in the
/// error.
const FIELDS: &[(&str, &str)] = &[
    ("name", "client's name"),
    ("contact", "contact"),
    ("third-party", "third-party name"),
    ("consent-recipient", "recipient's name"),
    ("organization", "recipient's organization"),
    ("signed-by", "signed by"),
    ("to", "recipient (--to)"),
    ("justification", "justification"),
    ("reference", "reference"),
    ("about", "name of the person the report is about"),
];

/// Tries `field` set to `value` through the library; every other field is valid.
fn try_field(
    s: &mut Session,
    client: &str,
    out: &std::path::Path,
    field: &str,
    value: &str,
) -> Result<(), Error> {
    let pick = |f: &str, good: &str| {
        if f == field {
            value.to_owned()
        } else {
            good.to_owned()
        }
    };
    match field {
        "name" | "contact" | "third-party" => s
            .add_client(NewClient {
                name: pick("name", "Ada Quill"),
                date_of_birth: None,
                contact: Some(pick("contact", "555-0100")),
                third_parties: vec![pick("third-party", "Ben Quill")],
                care: Default::default(),
            })
            .map(drop),
        "consent-recipient" | "organization" | "signed-by" => s
            .add_consent(NewConsent {
                client: client.into(),
                recipient: ConsentRecipient {
                    name: pick("consent-recipient", "Dr Osei"),
                    organization: Some(pick("organization", "Riverside")),
                    public_key: None,
                },
                purposes: vec!["treatment".into()],
                categories: vec!["risk".into()],
                excluded: Vec::new(),
                effective: date("2026-01-01"),
                expires: date("2026-12-31"),
                signed_by: pick("signed-by", "Ada Quill"),
                relationship: Relationship::Client,
                tpo: None,
            })
            .map(drop),
        _ => {
            let request = DisclosureRequest {
                client: client.into(),
                recipient: pick("to", "Dr Osei"),
                purpose: "treatment".into(),
                categories: vec!["identity".into(), "risk".into()],
                consent: None,
                exception: Some(ExceptionRequest {
                    kind: "child-abuse-report".into(),
                    justification: pick("justification", "Disclosed harm to a child"),
                    reference: Some(pick("reference", "CPS-1")),
                    order_categories: Vec::new(),
                    about: Some(pick("about", "Ben Quill")),
                }),
                from: None,
                until: None,
                recipient_kind: None,
            };
            s.decide_disclosure(&request, date("2026-06-01"), true)?;
            let options = ExportOptions {
                format: ExportFormat::Markdown,
                encryption: ExportEncryption::Plaintext,
                out: out.to_owned(),
            };
            s.disclose(&request, date("2026-06-01"), &options).map(drop)
        }
    }
}

#[test]
fn one_line_fields_with_a_line_break_or_control_character_are_refused_by_the_library() {
    let mut f = Fixture::new();
    let s = &mut f.session;
    let client = s
        .add_client(NewClient {
            name: "Ada Quill".into(),
            date_of_birth: None,
            contact: None,
            third_parties: vec!["Ben Quill".into()],
            care: Default::default(),
        })
        .expect("add the client");
    let out = f.exports.join("refused.md");
    let events = s.audit_log().expect("audit log").len();
    let mut refused = 0;
    for (field, words) in FIELDS {
        for (i, bad) in BREAKING.iter().enumerate() {
            // At the start, inside, at the end.
            let value = match i % 3 {
                0 => format!("{bad}Forged"),
                1 => format!("For{bad}# Disclosure of health information"),
                _ => format!("Forged{bad}"),
            };
            match try_field(s, &client, &out, field, &value) {
                Err(Error::InvalidInput(message)) => {
                    assert!(message.contains(words), "{field} {bad:?}: {message}");
                    refused += 1;
                }
                other => panic!("{field} with {bad:?} was not refused: {other:?}"),
            }
        }
    }
    assert_eq!(refused, FIELDS.len() * BREAKING.len());
    // Nothing was written: no client, consent, export, accounting entry or event.
    assert_eq!(s.list_clients().expect("clients").len(), 1);
    assert!(s.consents_for_client(&client).expect("consents").is_empty());
    assert!(s.accounting(&client).expect("accounting").is_empty());
    assert!(!out.exists());
    // Reading the lists above appended events of their own; none before them.
    let log = s.audit_log().expect("audit log");
    assert!(
        log[events..].iter().all(|e| !matches!(
            e.action.as_str(),
            "client.add" | "consent.add" | "disclose" | "disclose.dry-run"
        )),
        "a refused input left an event"
    );
    // The same values without the character go through (the check refuses only it).
    for (field, _) in FIELDS {
        let fine = try_field(
            s,
            &client,
            &f.exports.join(format!("fine-{field}.md")),
            field,
            "Forged",
        );
        assert!(
            !matches!(&fine, Err(Error::InvalidInput(m)) if m.contains("line break") || m.contains("control character")),
            "{field}: {fine:?}"
        );
    }
}

/// `casevault ARGS` on `v`: exit 1, an error naming `words`, nothing on standard output.
fn cli_refuses(v: &TestVault, args: &[&str], words: &str) {
    let output = v.output(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(stderr.contains(words), "{args:?}: {stderr}");
    assert!(output.stdout.is_empty(), "{args:?}");
}

#[test]
fn one_line_fields_with_a_line_break_or_control_character_are_refused_by_the_cli() {
    let (v, _) = TestVault::init();
    let client = v.add_client("Ada Quill", &["Ben Quill"]);
    let forged = "Dr Osei\n# Disclosure of health information";
    let rlo = "Dr \u{202e}iesO";
    for (flag, value, words) in [
        ("--name", forged, "client's name"),
        ("--contact", rlo, "contact"),
        (
            "--third-party",
            "Ben\r**Recipient:** Eve",
            "third-party name",
        ),
    ] {
        let mut args = vec!["client", "add", "--name", "Cleo Quill", flag, value];
        if flag == "--name" {
            args.drain(2..4);
        }
        cli_refuses(&v, &args, words);
    }
    for (flag, value, words) in [
        ("--recipient", forged, "recipient's name"),
        ("--signed-by", "Ada\u{2028}Quill", "signed by"),
    ] {
        let mut args = vec![
            "consent",
            "add",
            "--client",
            &client,
            "--recipient",
            "Dr Osei",
            "--purpose",
            "treatment",
            "--allow",
            "risk",
            "--from",
            "2026-01-01",
            "--expires",
            "2026-12-31",
            flag,
            value,
        ];
        if flag == "--recipient" {
            args.drain(4..6);
        }
        cli_refuses(&v, &args, words);
    }
    let out = v.dir.path().join("forged.md");
    let out_str = out.to_str().expect("UTF-8 path");
    for (flag, value, words) in [
        ("--to", forged, "recipient (--to)"),
        (
            "--justification",
            "Threat\n## Session of 2026-03-01 (individual)",
            "justification",
        ),
        ("--reference", "REF\u{7f}1", "reference"),
    ] {
        let mut args = vec![
            "disclose",
            "--client",
            &client,
            "--to",
            "Dr Osei",
            "--purpose",
            "treatment",
            "--categories",
            "identity,risk",
            "--exception",
            "duty-to-protect",
            "--justification",
            "Serious threat",
            "--write-plaintext",
            "--out",
            out_str,
            flag,
            value,
        ];
        // The valid value given first makes way for the one tried.
        if args.iter().filter(|a| **a == flag).count() > 1 {
            let at = args.iter().position(|a| *a == flag).expect("the flag");
            args.drain(at..at + 2);
        }
        cli_refuses(&v, &args, words);
        assert!(!out.exists(), "{flag}: an export was written");
    }
    // Nothing was written: one client, no consent, no accounting entry.
    let clients = v.json(&["client", "list"]);
    assert_eq!(clients.as_array().map(Vec::len), Some(1), "{clients}");
    let consents = v.json(&["consent", "list", "--client", &client]);
    assert_eq!(consents.as_array().map(Vec::len), Some(0), "{consents}");
    let accounting = v.json(&["accounting", "--client", &client]);
    assert_eq!(accounting.as_array().map(Vec::len), Some(0), "{accounting}");
}
