//! Section headings, generated: every way of writing a heading that names a category
//! (ATX of any level, no space, setext, HTML, bold or bare lines, inside quotes, lists
//! and footnotes, after any kind of line break, with odd spaces, invisible or
//! full-width characters) × every category × the section it is written in. For each
//! body, either the note is refused, or a canary written after the heading is filed
//! only under the category the heading names, and one written before it only under the
//! section it was written in: through `parse_sections`, `add_note`, `amend_note` and
//! `import_notes` (read back from the vault, so the stored split agrees), and for a
//! sample through the CLI's `note add --file`, `note import`, `note amend --file` and
//! `note add --edit`, which refuse with the line and leave the vault unchanged.

mod common;

use std::cell::{Cell, RefCell};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use casevault::{
    ClientId, DEFAULT_CATEGORIES, Date, Error, KdfParams, NewClient, NewNote, NoteParseError,
    Section, Session, Vault, parse_sections,
};
use common::{TestVault, files_under};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rand::Rng;
use secrecy::SecretString;

/// Line endings: what editors write, what some paste, and what only parsers count.
const LINE_ENDINGS: &[&str] = &[
    "\n", "\r\n", "\r", "\u{2028}", "\u{2029}", "\u{85}", "\u{c}", "\u{b}",
];

/// A category's name as someone might write it; the second field is true for
/// spellings that differ from the name by more than a slip (compared leniently, so
/// only in real headings).
fn spellings(category: &str) -> Vec<(String, bool)> {
    let words: Vec<&str> = category.split('-').collect();
    let title: Vec<String> = words
        .iter()
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        })
        .collect();
    let title = title.join(" ");
    let full_width: String = category
        .chars()
        .map(|c| {
            char::from_u32(c as u32 + 0xFEE0)
                .filter(|_| c.is_ascii_alphabetic())
                .unwrap_or(c)
        })
        .collect();
    let mut invisible = category.to_owned();
    invisible.insert(1, '\u{200B}');
    let mut accented = title.clone();
    accented.insert(1, '\u{301}');
    vec![
        (category.to_owned(), false),
        (title.clone(), false),
        (category.to_uppercase().replace('-', "_"), false),
        (format!("{category}s"), false),
        (full_width, false),
        (invisible, false),
        (accented, false),
        (format!("Recent {title}"), true),
        (format!("{title} review"), true),
    ]
}

/// Heading forms: `{N}` is the name, `{E}` the line ending. The flag is true for forms
/// a reader shows as a heading (lenient spellings are tried with those only).
const FORMS: &[(&str, bool)] = &[
    ("## {N}", true),
    ("# {N}", true),
    ("### {N}", true),
    ("###### {N}", true),
    ("##{N}", true),
    ("##\u{a0}{N}", true),
    ("##\u{3000}{N}", true),
    ("＃＃ {N}", true),
    ("\u{200b}## {N}", true),
    (" ## {N} ##", true),
    ("    ## {N}", true),
    ("{N}{E}---", true),
    ("{N}{E}===", true),
    ("Intro line{E}{N}{E}---", true),
    ("<h2>{N}</h2>", true),
    ("<H3 class=\"x\">{N}</H3>", true),
    ("<h2>{E}{N}{E}</h2>", true),
    ("```{E}## {N}{E}```", true),
    ("<div>{E}## {N}{E}</div>", true),
    ("**{N}**", false),
    ("__{N}:__", false),
    ("{N}:", false),
    ("{N}", false),
];

/// Containers the heading is written in: a prefix for its first line and one for the
/// others.
const NESTING: &[(&str, &str)] = &[
    ("", ""),
    ("> ", "> "),
    ("- ", "  "),
    ("1. ", "   "),
    ("* text{E}  ", "  "),
    ("[^1]: x{E}{E}    ", "    "),
];

/// One generated note body and what is known about it.
#[derive(Clone, Debug)]
struct Case {
    body: String,
    /// The category the heading names.
    category: &'static str,
    /// The category of the section the heading is written in.
    context: &'static str,
    /// Written before the heading, and after it.
    before: String,
    after: String,
}

fn case() -> impl Strategy<Value = Case> {
    let categories = DEFAULT_CATEGORIES.len();
    (
        0..categories,
        // Written in a section of its own category a third of the time (accepted when
        // it is a sub-heading there).
        prop_oneof![2 => 0..=categories, 1 => Just(usize::MAX)],
        0..9usize,
        0..FORMS.len(),
        // Plain and LF or CRLF half of the time, so that accepted bodies are tried too.
        prop_oneof![Just(0), 0..NESTING.len()],
        prop_oneof![0..2usize, 0..LINE_ENDINGS.len()],
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(category, context, spelling, form, nesting, ending, everywhere, seed)| {
            let context = if context == usize::MAX { category } else { context };
            let category = DEFAULT_CATEGORIES[category];
            let (mut name, lenient) = spellings(category)[spelling].clone();
            let (form, heading) = FORMS[form];
            if lenient && !heading {
                name = category.to_owned();
            }
            let eol = LINE_ENDINGS[ending];
            // The ending under test around the heading; elsewhere too, or LF.
            let rest = if everywhere { eol } else { "\n" };
            let (first, others) = NESTING[nesting];
            let text = form.replace("{N}", &name).replace("{E}", "\u{0}");
            let nested: Vec<String> = text
                .split('\u{0}')
                .enumerate()
                .map(|(i, line)| format!("{}{line}", if i == 0 { first } else { others }))
                .collect();
            let heading_text = nested.join(eol).replace("{E}", eol);
            let before = format!("before-{seed:016x}");
            let after = format!("after-{seed:016x}");
            let (context, opening) = match DEFAULT_CATEGORIES.get(context) {
                Some(c) => (*c, format!("Intro.{rest}{rest}## {c}{rest}")),
                None => ("progress", String::new()),
            };
            let body = format!(
                "{opening}{before} text{rest}{rest}{heading_text}{eol}{after} text{rest}Ends.{rest}"
            );
            Case {
                body,
                category,
                context,
                before,
                after,
            }
        })
}

/// Checks sections read back for `case`: the canary after the heading only under its
/// category, the one before only under the section it was written in.
fn filed_where_written(case: &Case, sections: &[Section]) -> Result<(), TestCaseError> {
    for s in sections {
        if s.text.contains(&case.after) {
            prop_assert_eq!(&s.category, case.category, "after the heading: {:?}", case);
        }
        if s.text.contains(&case.before) {
            prop_assert_eq!(&s.category, case.context, "before the heading: {:?}", case);
        }
    }
    let everywhere: String = sections.iter().map(|s| s.text.as_str()).collect();
    prop_assert!(
        everywhere.contains(&case.after),
        "the text is kept: {:?}",
        case
    );
    Ok(())
}

fn cases() -> u32 {
    std::env::var("HEADINGS_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

fn session(dir: &Path) -> (Session, ClientId) {
    let (mut session, _) = Vault::create(
        dir.join("practice.casevault"),
        &SecretString::from("headings test passphrase"),
        KdfParams::default(),
        "dr-test",
    )
    .expect("a vault");
    let client = session
        .add_client(NewClient {
            name: "Ada Example".into(),
            ..NewClient::default()
        })
        .expect("a client");
    (session, client)
}

fn date() -> Date {
    "2026-03-01".parse().expect("a date")
}

#[test]
fn a_canary_after_a_generated_heading_is_filed_only_under_its_category_or_refused() {
    // On a memory file system when there is one: every case commits three times.
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let (session, client) = session(dir.path());
    let session = RefCell::new(session);
    // A signed note to amend.
    let signed = {
        let mut s = session.borrow_mut();
        let id = s
            .add_note(NewNote::individual(&client, date(), "Signed note."))
            .unwrap();
        s.sign_note(&id).unwrap();
        id
    };
    let (tried, refused) = (Cell::new(0u32), Cell::new(0u32));
    let mut runner = TestRunner::new(Config::with_cases(cases()));
    runner
        .run(&case(), |case| {
            tried.set(tried.get() + 1);
            let parsed = parse_sections(&case.body, DEFAULT_CATEGORIES);
            let mut session = session.borrow_mut();
            let added = session.add_note(NewNote::individual(&client, date(), &case.body));
            let amended = session.amend_note(&signed, &case.body);
            let import = tempfile::tempdir().unwrap();
            fs::write(import.path().join("2026-03-01-note.md"), &case.body).unwrap();
            let imported = session
                .import_notes(&client, import.path(), &mut |_| {})
                .unwrap();
            match parsed {
                Err(e) => {
                    refused.set(refused.get() + 1);
                    let line = e.to_string();
                    prop_assert!(line.starts_with("line ") || e == NoteParseError::Empty);
                    prop_assert!(matches!(added, Err(Error::NoteBody(ref a)) if *a == e));
                    prop_assert!(matches!(amended, Err(Error::NoteBody(ref a)) if *a == e));
                    prop_assert!(imported.imported.is_empty() && imported.failed.len() == 1);
                }
                Ok(sections) => {
                    filed_where_written(&case, &sections)?;
                    let note = session.note(&added.expect("accepted by add")).unwrap();
                    prop_assert_eq!(&note.sections, &sections);
                    amended.expect("accepted by amend");
                    let note = session.note(&signed).unwrap();
                    let addendum = note.addenda.last().unwrap();
                    prop_assert_eq!(&addendum.sections, &sections);
                    // A body generated twice is imported once.
                    prop_assert!(imported.failed.is_empty());
                    for (_, id) in &imported.imported {
                        let note = session.note(id).unwrap();
                        prop_assert_eq!(&note.sections, &sections);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "{} generated heading forms tried, {} refused, the rest filed where written",
        tried.get(),
        refused.get()
    );
    assert!(refused.get() > tried.get() / 2, "most forms are refused");
}

/// Generated cases that `parse_sections` refuses, with the line it names.
fn refused_sample(count: usize, seed: u8) -> Vec<(Case, usize)> {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &[seed; 32],
        ),
    );
    let strategy = case();
    let mut sample = Vec::new();
    while sample.len() < count {
        let mut case = strategy.new_tree(&mut runner).unwrap().current();
        // A random canary per run: nothing on the machine holds it by chance.
        let canary = format!("canary-{:016x}", rand::thread_rng().r#gen::<u64>());
        case.body = case.body.replace(&case.after, &canary);
        case.after = canary;
        if let Err(e) = parse_sections(&case.body, DEFAULT_CATEGORIES) {
            let line: usize = e
                .to_string()
                .strip_prefix("line ")
                .and_then(|r| r.split(':').next())
                .and_then(|n| n.parse().ok())
                .expect("the error names a line");
            sample.push((case, line));
        }
    }
    sample
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn note_count(v: &TestVault, client: &str) -> usize {
    v.json(&["note", "list", "--client", client])
        .as_array()
        .map(Vec::len)
        .expect("note list --json is an array")
}

/// Nothing in the vault's directory holds the canary in plain text.
fn not_in_plain_text(v: &TestVault, canary: &str) {
    for file in files_under(v.dir.path()) {
        let bytes = fs::read(&file).unwrap_or_default();
        assert!(
            !common::contains(&bytes, canary),
            "{} holds it",
            file.display()
        );
    }
}

#[test]
fn the_cli_refuses_generated_forms_with_the_line_through_add_import_and_amend() {
    let (v, _) = TestVault::init();
    let client = v.add_client("Ada Example", &[]);
    let signed = v.add_note(&client, "2026-03-01", "Signed note.\n");
    v.ok(&["note", "sign", &signed]);
    let show = |v: &TestVault| v.json(&["note", "show", &signed]);
    let signed_before = show(&v);
    let source = tempfile::tempdir().unwrap();
    for (i, (case, line)) in refused_sample(6, 7).into_iter().enumerate() {
        let at_line = format!("line {line}:");
        let file = source.path().join(format!("body-{i}.md"));
        fs::write(&file, &case.body).unwrap();
        let file = file.to_str().unwrap();

        let out = v.output(&[
            "note",
            "add",
            "--client",
            &client,
            "--date",
            "2026-03-01",
            "--file",
            file,
        ]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "note add: {case:?}\n{}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains(&at_line),
            "{at_line} {case:?}\n{}",
            stderr(&out)
        );

        let out = v.output(&["note", "amend", &signed, "--file", file]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "note amend: {case:?}\n{}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains(&at_line),
            "{at_line} {case:?}\n{}",
            stderr(&out)
        );

        let import = source.path().join(format!("import-{i}"));
        fs::create_dir(&import).unwrap();
        fs::write(import.join("2026-03-01-session.md"), &case.body).unwrap();
        let out = v.output(&[
            "note",
            "import",
            "--client",
            &client,
            import.to_str().unwrap(),
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(1),
            "note import: {case:?}\n{stdout}"
        );
        assert!(
            stdout.contains("0 note(s)") && stdout.contains(&at_line),
            "{case:?}\n{stdout}"
        );

        not_in_plain_text(&v, &case.after);
    }
    // Only the signed note, and it has no addendum.
    assert_eq!(note_count(&v, &client), 1);
    assert_eq!(show(&v), signed_before);
}

#[test]
fn the_editor_path_refuses_generated_forms_with_the_line() {
    let shm = Path::new("/dev/shm");
    if !shm.is_dir() {
        eprintln!("skipped: no /dev/shm on this machine");
        return;
    }
    let (v, _) = TestVault::init();
    let client = v.add_client("Ada Example", &[]);
    let edit_dir = tempfile::tempdir_in(shm).unwrap();
    let bin = v.dir.path().join("bin");
    fs::create_dir(&bin).unwrap();
    let editor = bin.join("stand-in-editor");
    // Writes the text it is given over the file it is asked to edit.
    fs::write(
        &editor,
        "#!/bin/sh\nfor last in \"$@\"; do :; done\nprintf '%s' \"$EDITOR_TEXT\" > \"$last\"\n",
    )
    .unwrap();
    fs::set_permissions(&editor, fs::Permissions::from_mode(0o755)).unwrap();
    for (case, line) in refused_sample(4, 11) {
        // A body the shell can pass whole: no NUL, and printf '%s' keeps the rest.
        let out = v
            .cmd()
            .args([
                "note",
                "add",
                "--client",
                &client,
                "--date",
                "2026-03-01",
                "--edit",
            ])
            .env("EDITOR", &editor)
            .env("EDITOR_TEXT", &case.body)
            .env("CASEVAULT_EDIT_DIR", edit_dir.path())
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{case:?}\n{err}");
        assert!(
            err.contains(&format!("line {line}:")),
            "line {line}: {case:?}\n{err}"
        );
        not_in_plain_text(&v, &case.after);
        for file in files_under(edit_dir.path()) {
            let bytes = fs::read(&file).unwrap_or_default();
            assert!(
                !common::contains(&bytes, &case.after),
                "{} is left",
                file.display()
            );
        }
    }
    assert_eq!(note_count(&v, &client), 0);
}

#[test]
fn a_byte_order_mark_before_the_first_heading_is_encoding_not_text() {
    let (v, _) = common::TestVault::init();
    let client = v.add_client("Ada Example", &[]);
    let file = v.dir.path().join("windows.md");
    for body in ["\u{feff}## risk\nLow.\n", "\u{feff}## risk\r\nLow.\r\n"] {
        std::fs::write(&file, body).unwrap();
        let id = v.ok(&[
            "note",
            "add",
            "--client",
            &client,
            "--date",
            "2026-03-01",
            "--file",
            file.to_str().unwrap(),
        ]);
        let note = v.json(&["note", "show", &id]);
        assert_eq!(note["sections"][0]["category"], "risk", "{note}");
        assert!(
            !note["body"].as_str().unwrap().starts_with('\u{feff}'),
            "{note}"
        );
    }
}
