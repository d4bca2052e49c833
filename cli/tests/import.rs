//! Bulk import (`casevault note import --client ID DIR`) through the real binary:
//! dates from front matter or file names, sections by `## category`, one audit event
//! per note, malformed files reported by name while the rest import, re-runs that
//! import only what is new, an import killed with SIGKILL and run again, no plaintext
//! outside the source directory, and no progress bar when stderr is not a terminal.
//!
//! Every source directory lives inside the test's temporary directory (which is also
//! casevault's HOME and TMPDIR), so "everything on disk but the source directory" is
//! that directory minus `source/`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use common::{TestVault, contains, files_under};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Notes per transaction in `Session::import_notes`.
const BATCH: usize = 500;

/// A new vault with one client, and an empty source directory in the test's directory.
fn setup() -> (TestVault, String, PathBuf) {
    let (v, _) = TestVault::init();
    let client = v.add_client("Imported Client", &[]);
    let source = v.dir.path().join("source");
    std::fs::create_dir(&source).unwrap();
    (v, client, source)
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn import(v: &TestVault, client: &str, dir: &Path) -> Output {
    v.output(&["note", "import", "--client", client, dir.to_str().unwrap()])
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `out` in a form fit for an assertion message.
fn show(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// The first line the CLI prints for an import that skipped nothing.
fn summary(imported: usize, already: usize, failed: usize) -> String {
    counts(imported, already, failed, 0)
}

/// The first line the CLI prints for an import.
fn counts(imported: usize, already: usize, failed: usize, skipped: usize) -> String {
    format!(
        "imported {imported} note(s); {already} already imported earlier; {failed} failed; {skipped} skipped"
    )
}

/// Asserts an import exited 0 and printed only its summary line.
fn assert_imported(out: &Output, imported: usize, already: usize) {
    assert_eq!(out.status.code(), Some(0), "{}", show(out));
    assert_eq!(
        text(&out.stdout).trim_end(),
        summary(imported, already, 0),
        "{}",
        show(out)
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `note list --client CLIENT --json`.
fn notes(v: &TestVault, client: &str) -> Vec<Value> {
    v.json(&["note", "list", "--client", client])
        .as_array()
        .expect("a JSON array of notes")
        .clone()
}

/// Notes keyed by the name of the file they were imported from (each name once).
fn by_file(notes: &[Value]) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    for n in notes {
        let file = n["source"]["file"]
            .as_str()
            .unwrap_or_else(|| panic!("an imported note records its file: {n}"))
            .to_owned();
        assert!(
            map.insert(file.clone(), n.clone()).is_none(),
            "{file} was imported twice"
        );
    }
    map
}

fn ids(notes: &[Value]) -> BTreeSet<String> {
    notes
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

fn categories(note: &Value) -> Vec<String> {
    note["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["category"].as_str().unwrap().to_owned())
        .collect()
}

/// The `note.import` events of `audit log --json`.
fn import_events(v: &TestVault) -> Vec<Value> {
    v.json(&["audit", "log"])
        .as_array()
        .expect("a JSON array of events")
        .iter()
        .filter(|e| e["action"] == "note.import")
        .cloned()
        .collect()
}

/// The one target of an `ok` import event: a write of version 1 of a note, with the
/// digest of the ciphertext written. Returns the note's id.
fn written_note(event: &Value) -> String {
    assert_eq!(event["outcome"], "ok", "{event}");
    assert_eq!(event["actor"], "dr-test", "{event}");
    let targets = event["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 1, "one target per import event: {event}");
    let t = &targets[0];
    assert_eq!(t["kind"], "note", "{event}");
    assert_eq!(t["access"], "write", "{event}");
    assert_eq!(t["version"], 1, "{event}");
    let digest = t["sha256"].as_str().expect("a write keeps its digest");
    assert_eq!(digest.len(), 64, "{event}");
    t["id"].as_str().unwrap().to_owned()
}

fn assert_verified(v: &TestVault) {
    let out = v.output(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        text(&out.stdout).contains("audit trail intact"),
        "{}",
        show(&out)
    );
}

/// Reads every file of `dir` (not recursively), by name.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// Scans every file in the test's directory except those under `source` for each
/// canary (as written and lowercased); returns the files scanned.
fn assert_no_plaintext(v: &TestVault, source: &Path, canaries: &[&str]) -> Vec<PathBuf> {
    let scanned: Vec<PathBuf> = files_under(v.dir.path())
        .into_iter()
        .filter(|p| !p.starts_with(source))
        .collect();
    assert!(
        scanned.contains(&v.path),
        "the vault is scanned: {scanned:?}"
    );
    for file in &scanned {
        let bytes = std::fs::read(file).unwrap();
        for canary in canaries {
            for form in [canary.to_string(), canary.to_lowercase()] {
                assert!(
                    !contains(&bytes, &form),
                    "{form:?} is readable in {}",
                    file.display()
                );
            }
        }
    }
    scanned
}

fn imports_dated_and_front_matter_files_with_sections_search_and_one_audited_write_each() {
    let (v, client, source) = setup();
    let other = v.add_client("Other Client", &[]);
    // Dated file name, no front matter; text before the first heading is `progress`.
    write(
        &source,
        "2026-01-05-intake.md",
        "First session, Quillmarsh-7Tq intake.\n\
         ## risk\nDenies intent; Larchpivot-2Wn.\n\
         ## treatment-plan\nWeekly, Ottervane-5Rk.\n",
    );
    // Front matter date and type; an undated file name.
    write(
        &source,
        "session-b.md",
        "---\ndate: 2026-02-10\ntype: individual\n---\n\
         Mood lifted; Brackenfold-3Hy.\n\
         ## psychotherapy-notes\nHypothesis Sorrelgate-8Dp.\n",
    );
    // `.markdown` counts too; a body with no heading is one `progress` section.
    write(
        &source,
        "2026-03-15.markdown",
        "Plain text only, Tinderloft-4Mc.\n",
    );
    // The front matter's date wins over the file name's.
    write(
        &source,
        "2025-12-31-overridden.md",
        "---\ndate: 2026-04-01\n---\n## medication\nStarted Cobaltreed-6Nv.\n",
    );
    // CRLF line endings, and a heading in another case.
    write(
        &source,
        "crlf.md",
        "---\r\ndate: 2026-05-02\r\ntype: individual\r\n---\r\n\
         Windows line endings, Fennelspire-1Xb.\r\n## Risk\r\nNone, Gorsewell-9Pz.\r\n",
    );
    // Not Markdown, and not in the directory itself: not imported, not failures.
    write(&source, "README.txt", "2026-06-01 not a note\n");
    std::fs::create_dir(source.join("archive")).unwrap();
    write(
        &source.join("archive"),
        "2026-06-02-old.md",
        "Archived, Pumicewold-4Ke.\n",
    );
    let before = snapshot(&source);

    let out = import(&v, &client, &source);
    assert_imported(&out, 5, 0);
    assert_eq!(snapshot(&source), before, "the source files are untouched");

    let listed = notes(&v, &client);
    assert_eq!(listed.len(), 5, "{listed:?}");
    let notes = by_file(&listed);
    let expected: [(&str, &str, &[&str]); 5] = [
        (
            "2026-01-05-intake.md",
            "2026-01-05",
            &["progress", "risk", "treatment-plan"],
        ),
        (
            "session-b.md",
            "2026-02-10",
            &["progress", "psychotherapy-notes"],
        ),
        ("2026-03-15.markdown", "2026-03-15", &["progress"]),
        ("2025-12-31-overridden.md", "2026-04-01", &["medication"]),
        ("crlf.md", "2026-05-02", &["progress", "risk"]),
    ];
    for (file, date, sections) in expected {
        let n = &notes[file];
        assert_eq!(n["date"], date, "{file}: {n}");
        assert_eq!(categories(n), sections, "{file}: {n}");
        assert_eq!(n["note_type"], "individual", "{file}: {n}");
        assert_eq!(n["clients"], serde_json::json!([client]), "{file}: {n}");
        assert_eq!(n["version"], 1, "{file}: {n}");
        assert_eq!(n["status"]["state"], "draft", "{file}: {n}");
        assert_eq!(n["written_by"], "dr-test", "{file}: {n}");
        let bytes = std::fs::read(source.join(file)).unwrap();
        assert_eq!(n["source"]["sha256"], sha256_hex(&bytes), "{file}: {n}");
        let body = n["body"].as_str().unwrap();
        assert!(
            !body.contains("date:") && !body.starts_with("---"),
            "the front matter is not part of the body: {file}: {body:?}"
        );
    }
    assert_eq!(
        notes["2026-01-05-intake.md"]["sections"][1]["text"],
        "Denies intent; Larchpivot-2Wn."
    );
    assert_eq!(
        notes["crlf.md"]["sections"][1]["text"]
            .as_str()
            .unwrap()
            .trim_end(),
        "None, Gorsewell-9Pz."
    );

    // The human list shows each note with its date, sorted by date.
    let human = v.ok(&["note", "list", "--client", &client]);
    let lines: Vec<&str> = human.lines().collect();
    assert_eq!(lines.len(), 5, "{human}");
    for (line, (file, date, _)) in lines.iter().zip(expected) {
        let id = notes[file]["id"].as_str().unwrap();
        assert!(
            line.starts_with(&format!("{id}  {date}  individual")),
            "{human}"
        );
    }
    // Nothing went to the other client.
    assert_eq!(
        v.ok(&["note", "list", "--client", &other]),
        "no notes for this client"
    );

    // Search finds imported text, in any section, case-insensitively.
    let b = notes["session-b.md"]["id"].as_str().unwrap();
    let hit = v.ok(&["search", "Sorrelgate-8Dp"]);
    assert_eq!(hit, format!("{b}  2026-02-10  Hypothesis Sorrelgate-8Dp."));
    let crlf = notes["crlf.md"]["id"].as_str().unwrap();
    let hit = v.ok(&["search", "fennelspire", "--client", &client]);
    assert!(
        hit.starts_with(&format!("{crlf}  2026-05-02  Windows line endings")),
        "{hit}"
    );
    let hit = v.ok(&["search", "Cobaltreed"]);
    assert!(hit.contains("2026-04-01"), "{hit}");
    // Front matter is not note text; skipped files were never read.
    assert_eq!(v.ok(&["search", "type: individual"]), "no matches");
    assert_eq!(v.ok(&["search", "Pumicewold"]), "no matches");

    // One `note.import` event per note, each the audited write of that note, with the
    // digest of the ciphertext now in the vault.
    let events = import_events(&v);
    assert_eq!(events.len(), 5, "{events:?}");
    let written: BTreeSet<String> = events.iter().map(written_note).collect();
    assert_eq!(written, ids(&listed));
    let db = v.db();
    for e in &events {
        let t = &e["targets"][0];
        let ciphertext = db.bytes(
            "SELECT ciphertext FROM records WHERE kind = 'note' AND id = ?1 AND version = 1",
            &[t["id"].as_str().unwrap().into()],
        );
        assert_eq!(t["sha256"], sha256_hex(&ciphertext), "{e}");
    }
    drop(db);
    assert_verified(&v);
}

fn malformed_files_are_reported_by_name_with_the_reason_and_the_others_still_import() {
    let (v, client, source) = setup();
    write(&source, "2026-01-10-good.md", "Good session.\n");
    write(
        &source,
        "good-front.md",
        "---\ndate: 2026-01-11\n---\nAlso fine.\n## risk\nNone.\n",
    );
    // (file, content, the start of the reason printed for it)
    let bad: &[(&str, &[u8], &str)] = &[
        (
            "bad-date.md",
            b"---\ndate: 2026-02-30\n---\nText.\n",
            "front matter line 2: \"2026-02-30\" is not a date",
        ),
        (
            "unknown-key.md",
            b"---\ndate: 2026-03-01\nmood: calm\n---\nText.\n",
            "front matter line 3: unknown key \"mood\"",
        ),
        (
            "2026-03-02-heading.md",
            b"Opening.\n## Kestrel Plan\nMore.\n",
            "note body, line 2: heading \"## Kestrel Plan\" is not a category",
        ),
        (
            "2026-03-03-latin1.md",
            b"Caf\xe9 conversation.\n",
            "it is not UTF-8 text",
        ),
        (
            "undated.md",
            b"No date here or in the name.\n",
            "it has no session date",
        ),
        (
            "couples.md",
            b"---\ndate: 2026-03-05\ntype: couples\n---\nThey argued.\n",
            "a couples note has several clients",
        ),
        (
            "2026-03-06-bad-type.md",
            b"---\ntype: solo\n---\nText.\n",
            "front matter line 2: type \"solo\" is not individual, couples, family or group",
        ),
        (
            "unclosed.md",
            b"---\ndate: 2026-03-07\ntype: individual\n",
            "the front matter has no closing `---` line",
        ),
        (
            "2026-03-08-no-colon.md",
            b"---\ndate 2026-03-08\n---\nText.\n",
            "front matter line 2: expected `key: value`",
        ),
        (
            "2026-03-09-empty.md",
            b" \n\n",
            "note body, the note is empty",
        ),
    ];
    for (name, bytes, _) in bad {
        write(&source, name, bytes);
    }

    let out = import(&v, &client, &source);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some(summary(2, 0, bad.len()).as_str()),
        "{stdout}"
    );
    let failed: BTreeMap<&str, &str> = lines
        .map(|l| {
            l.strip_prefix("  FAILED ")
                .and_then(|l| l.split_once(": "))
                .unwrap_or_else(|| panic!("not a FAILED line: {l:?} in\n{stdout}"))
        })
        .collect();
    assert_eq!(failed.len(), bad.len(), "{stdout}");
    for (name, _, reason) in bad {
        let printed = failed
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not reported:\n{stdout}"));
        assert!(
            printed.starts_with(reason),
            "{name}: expected {reason:?}, got {printed:?}"
        );
    }
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "error: {} file(s) could not be imported (listed above); the others were",
            bad.len()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("run the same import again"), "{stderr}");

    // The good files imported; the bad ones left no record behind.
    let listed = notes(&v, &client);
    let files: Vec<String> = by_file(&listed).into_keys().collect();
    assert_eq!(files, ["2026-01-10-good.md", "good-front.md"]);
    let records = v
        .db()
        .int("SELECT count(*) FROM records WHERE kind = 'note'", &[]);
    assert_eq!(records, 2);
    // Every file was an audited attempt: the failures wrote nothing and say why only
    // in general terms.
    let events = import_events(&v);
    assert_eq!(events.len(), 2 + bad.len(), "{events:?}");
    let (ok, failures): (Vec<&Value>, Vec<&Value>) =
        events.iter().partition(|e| e["outcome"] == "ok");
    let written: BTreeSet<String> = ok.iter().map(|e| written_note(e)).collect();
    assert_eq!(written, ids(&listed));
    for e in failures {
        let outcome = e["outcome"].as_str().unwrap();
        assert!(
            outcome == "failed: invalid input" || outcome == "failed: malformed note body",
            "{e}"
        );
        assert!(
            e["targets"].as_array().unwrap().is_empty(),
            "a failed file writes nothing: {e}"
        );
    }
    assert_verified(&v);

    // Fixing one file and running the same import again imports just that one.
    write(
        &source,
        "couples.md",
        "---\ndate: 2026-03-05\ntype: individual\n---\nThey argued.\n",
    );
    let out = import(&v, &client, &source);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(&summary(1, 2, bad.len() - 1)),
        "{stdout}"
    );
    assert!(!stdout.contains("FAILED couples.md"), "{stdout}");
    let listed = notes(&v, &client);
    assert_eq!(listed.len(), 3);
    assert_eq!(by_file(&listed)["couples.md"]["date"], "2026-03-05");
    assert_verified(&v);
}

/// The line of an unknown heading should be the line in the file the user opens, as
/// the front matter's lines are; with front matter above it, it is not.
fn an_unknown_heading_below_front_matter_is_reported_with_its_line_in_the_file() {
    let (v, client, source) = setup();
    // Line 5 of the file; line 2 of the body below the front matter.
    write(
        &source,
        "heading.md",
        "---\ndate: 2026-03-01\n---\nOpening.\n## Kestrel Plan\nMore.\n",
    );
    let out = import(&v, &client, &source);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("FAILED heading.md: note body, line 5: heading \"## Kestrel Plan\""),
        "the heading is on line 5 of heading.md:\n{stdout}"
    );
}

/// Editors on Windows often start UTF-8 files with a byte-order mark; the front matter
/// behind it is still front matter.
fn front_matter_after_a_utf8_byte_order_mark_is_still_front_matter() {
    let (v, client, source) = setup();
    write(
        &source,
        "2026-01-01-bom.md",
        "\u{feff}---\ndate: 2026-03-01\ntype: individual\n---\nText.\n",
    );
    let out = import(&v, &client, &source);
    assert_imported(&out, 1, 0);
    let n = &notes(&v, &client)[0];
    assert_eq!(n["date"], "2026-03-01", "the front matter's date: {n}");
    assert!(
        !n["body"].as_str().unwrap().contains("date:"),
        "the front matter is not part of the body: {n}"
    );
}

fn running_the_same_import_again_imports_nothing_twice() {
    let (v, client, source) = setup();
    for day in 1..=4 {
        write(
            &source,
            &format!("2026-02-0{day}.md"),
            format!("Session {day}.\n"),
        );
    }
    assert_imported(&import(&v, &client, &source), 4, 0);
    let first = ids(&notes(&v, &client));

    let out = import(&v, &client, &source);
    assert_imported(&out, 0, 4);
    assert_eq!(ids(&notes(&v, &client)), first, "same notes, none added");
    assert_eq!(
        import_events(&v).len(),
        4,
        "no import event for a skipped file"
    );
    assert_verified(&v);
}

fn files_added_after_an_import_are_the_only_ones_the_next_run_imports() {
    let (v, client, source) = setup();
    for day in 1..=3 {
        write(
            &source,
            &format!("2026-02-0{day}.md"),
            format!("Session {day}.\n"),
        );
    }
    assert_imported(&import(&v, &client, &source), 3, 0);
    let first = by_file(&notes(&v, &client));

    write(&source, "2026-02-04.md", "Session 4.\n");
    write(&source, "2026-02-05.md", "Session 5.\n");
    assert_imported(&import(&v, &client, &source), 2, 3);
    let now = by_file(&notes(&v, &client));
    assert_eq!(
        now.keys().collect::<Vec<_>>(),
        [
            "2026-02-01.md",
            "2026-02-02.md",
            "2026-02-03.md",
            "2026-02-04.md",
            "2026-02-05.md"
        ]
    );
    for (file, note) in &first {
        assert_eq!(&now[file], note, "{file} was not touched");
    }
    assert_eq!(now["2026-02-05.md"]["date"], "2026-02-05");
    assert_eq!(import_events(&v).len(), 5);
    assert_verified(&v);
}

/// A note is known by the SHA-256 of its file's bytes, not by the file's name: a file
/// edited since it was imported is imported again as a second note, and the first
/// note stays as it was (it is neither replaced nor removed).
fn a_changed_file_counts_as_new_and_is_imported_beside_its_earlier_note() {
    let (v, client, source) = setup();
    write(&source, "2026-02-01.md", "Original text, Veldtmarrow.\n");
    write(&source, "2026-02-02.md", "Unchanged.\n");
    assert_imported(&import(&v, &client, &source), 2, 0);
    let first = notes(&v, &client);

    write(&source, "2026-02-01.md", "Corrected text, Veldtmarrow.\n");
    assert_imported(&import(&v, &client, &source), 1, 1);
    let now = notes(&v, &client);
    assert_eq!(now.len(), 3, "{now:?}");
    let ids_now = ids(&now);
    assert!(
        ids_now.is_superset(&ids(&first)),
        "the earlier notes remain"
    );
    let from_file: Vec<&str> = now
        .iter()
        .filter(|n| n["source"]["file"] == "2026-02-01.md")
        .map(|n| n["body"].as_str().unwrap())
        .collect();
    let mut bodies = from_file.clone();
    bodies.sort();
    assert_eq!(
        bodies,
        [
            "Corrected text, Veldtmarrow.\n",
            "Original text, Veldtmarrow.\n"
        ]
    );
    assert_eq!(import_events(&v).len(), 3);
    assert_verified(&v);
}

/// The other side of the same rule: renaming a file does not make it new.
fn a_renamed_file_with_unchanged_bytes_counts_as_already_imported() {
    let (v, client, source) = setup();
    write(&source, "2026-02-01.md", "Session one.\n");
    assert_imported(&import(&v, &client, &source), 1, 0);
    std::fs::rename(
        source.join("2026-02-01.md"),
        source.join("2026-02-01-renamed.md"),
    )
    .unwrap();
    assert_imported(&import(&v, &client, &source), 0, 1);
    let listed = notes(&v, &client);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["source"]["file"], "2026-02-01.md");
}

// Canaries for the plaintext scan: long and random-looking, so a match cannot be an
// accident of ciphertext.
const GOOD_PROGRESS: &str = "Wrenfallow-Kx81tq";
const GOOD_RISK: &str = "Mistlebarrow-Qp27vz";
const GOOD_NAME: &str = "Halcyonreed-Zm44";
const FRONT_NAME: &str = "Obsidianlark-Vr19";
const FRONT_DATE: &str = "2033-09-17";
const NAME_DATE: &str = "2034-11-26";
const BAD_HEADING: &str = "Gallowsfern-Jt63";
const BAD_TEXT: &str = "Pennywhistle-Lc90";
const BAD_NAME: &str = "Tamarindcove-Hs52";
const LATIN1_TEXT: &str = "Saltmeadow-Ub36";

#[test]
fn no_plaintext_of_imported_or_failed_notes_reaches_the_disk_outside_the_source_directory() {
    let (v, client, source) = setup();
    let good_name = format!("{NAME_DATE}-{GOOD_NAME}.md");
    let front_name = format!("{FRONT_NAME}.md");
    let bad_name = format!("2026-02-04-{BAD_NAME}.md");
    write(
        &source,
        &good_name,
        format!("Reports {GOOD_PROGRESS}.\n## risk\nDenies; {GOOD_RISK}.\n"),
    );
    write(
        &source,
        &front_name,
        format!("---\ndate: {FRONT_DATE}\n---\nFront matter note.\n"),
    );
    write(
        &source,
        &bad_name,
        format!("{BAD_TEXT} opened.\n## {BAD_HEADING} plan\nMore.\n"),
    );
    let mut latin1 = format!("{LATIN1_TEXT} caf").into_bytes();
    latin1.extend_from_slice(b"\xe9\n");
    write(&source, "2026-02-05-latin1.md", latin1);

    let out = import(&v, &client, &source);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    // Positive controls: each canary went in and was read back (or reported), so its
    // absence below is not because it was never handled.
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with(&summary(2, 0, 2)), "{stdout}");
    assert!(
        stdout.contains(&bad_name) && stdout.contains(BAD_HEADING),
        "{stdout}"
    );
    let listed = serde_json::to_string(&notes(&v, &client)).unwrap();
    for canary in [
        GOOD_PROGRESS,
        GOOD_RISK,
        GOOD_NAME,
        FRONT_NAME,
        FRONT_DATE,
        NAME_DATE,
    ] {
        assert!(
            listed.contains(canary),
            "{canary} was not imported: {listed}"
        );
    }
    v.ok(&["audit", "log"]);
    assert_verified(&v);

    let scanned = assert_no_plaintext(
        &v,
        &source,
        &[
            GOOD_PROGRESS,
            GOOD_RISK,
            GOOD_NAME,
            FRONT_NAME,
            FRONT_DATE,
            NAME_DATE,
            BAD_HEADING,
            BAD_TEXT,
            BAD_NAME,
            LATIN1_TEXT,
        ],
    );
    // The journal mode is DELETE: nothing but the vault itself is left.
    assert_eq!(
        scanned,
        std::slice::from_ref(&v.path),
        "files left by casevault"
    );
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let (v, client, source) = setup();
    // More than two batches, so a bar would have moved several times.
    let count = 2 * BATCH + 100;
    for i in 0..count {
        write(
            &source,
            &format!("2026-01-01-{i:04}.md"),
            format!("Note {i}.\n"),
        );
    }
    let out = import(&v, &client, &source);
    assert_imported(&out, count, 0);
    let stderr = text(&out.stderr);
    assert!(!stderr.contains('\r'), "{stderr:?}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(!stderr.contains("importing"), "{stderr:?}");
    assert!(
        stderr.is_empty(),
        "a successful import prints nothing on stderr: {stderr:?}"
    );

    // Positive control: on a terminal (a pseudo-terminal from util-linux `script`) the
    // same kind of import does draw the bar, so its absence above means something.
    let second = v.add_client("Second Client", &[]);
    let on_tty = v.dir.path().join("on-tty");
    std::fs::create_dir(&on_tty).unwrap();
    for i in 0..20 {
        write(
            &on_tty,
            &format!("2026-01-02-{i:02}.md"),
            format!("Note {i}.\n"),
        );
    }
    let command = format!(
        "'{}' note import --client '{second}' '{}'",
        env!("CARGO_BIN_EXE_casevault"),
        on_tty.display()
    );
    // The same clean environment as every other casevault run here.
    let mut script = std::process::Command::new("script");
    script.env_clear();
    for (key, value) in v.process().get_envs() {
        if let Some(value) = value {
            script.env(key, value);
        }
    }
    // Without TERM indicatif draws nothing even on a terminal.
    let script = script
        .env("TERM", "xterm")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::null())
        .output();
    match script {
        Ok(out) if out.status.success() => {
            let terminal = text(&out.stdout);
            assert!(terminal.contains(&summary(20, 0, 0)), "{terminal:?}");
            assert!(
                terminal.contains("importing ") && terminal.contains("/20 files"),
                "on a terminal the bar is drawn: {terminal:?}"
            );
        }
        other => eprintln!("positive control skipped: cannot run `script`: {other:?}"),
    }
}

/// The dated name and the body of the `i`th note of the kill test; names sort by `i`.
fn kill_test_note(i: usize) -> (String, String, String) {
    let start = time::Date::from_calendar_date(2000, time::Month::January, 1).unwrap();
    let date = (start + time::Duration::days(i as i64)).to_string();
    let name = format!("{date}-Fernquill-{i:05}.md");
    let text = format!(
        "Session {i}: Brindlequartz-{i:05} talked.\n## risk\nHarrowmint-{i:05} denies intent.\n"
    );
    // Every other note also carries its date as front matter.
    let body = if i.is_multiple_of(2) {
        format!("---\ndate: {date}\ntype: individual\n---\n{text}")
    } else {
        text
    };
    (date, name, body)
}

const KILL_CANARIES: &[&str] = &["Brindlequartz-", "Harrowmint-", "Fernquill-"];

enum Attempt {
    /// Killed after `committed` notes; the vault and source are kept for the rest.
    Killed {
        v: TestVault,
        client: String,
        source: PathBuf,
        committed: usize,
    },
    /// The import finished before a batch could be seen committed.
    TooFast,
}

/// Starts an import of `total` notes as a child process and kills it (SIGKILL) once
/// the vault holds some but not all of them and the next batch is being written.
fn start_and_kill(total: usize) -> Attempt {
    let (v, client, source) = setup();
    for i in 0..total {
        let (_, name, body) = kill_test_note(i);
        write(&source, &name, body);
    }
    let mut child = v
        .process()
        .args(["note", "import", "--client", &client])
        .arg(&source)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start casevault note import");
    let journal = PathBuf::from(format!("{}-journal", v.path.display()));
    let db = v.sqlite_read_only();
    db.busy_timeout(std::time::Duration::from_millis(50))
        .unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "the import failed on its own: {status}");
            return Attempt::TooFast;
        }
        // Busy while a batch commits: just look again. Kill while the next batch is
        // being written (its journal exists), so the kill tears a transaction.
        let seen: Option<i64> = db
            .query_row(
                "SELECT count(*) FROM records WHERE kind = 'note'",
                [],
                |r| r.get(0),
            )
            .ok();
        if let Some(n) = seen
            && n > 0
            && (n as usize) < total
            && journal.exists()
        {
            child.kill().unwrap();
            let status = child.wait().unwrap();
            assert_eq!(
                std::os::unix::process::ExitStatusExt::signal(&status),
                Some(9),
                "killed by SIGKILL: {status}"
            );
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    drop(db);

    // Scan before anything opens the vault again, so a hot journal is scanned too.
    assert_no_plaintext(&v, &source, KILL_CANARIES);
    eprintln!(
        "after SIGKILL: {}",
        if journal.exists() {
            "a hot journal (a torn batch) is left behind"
        } else {
            "no journal (killed between batches)"
        }
    );
    // The vault opens despite any journal (SQLite rolls the torn batch back) and holds
    // whole batches only: the first files by name.
    let listed = notes(&v, &client);
    assert!(
        !journal.exists(),
        "opening the vault rolls back the journal"
    );
    let committed = listed.len();
    if committed == total {
        return Attempt::TooFast;
    }
    assert!(committed > 0, "a batch was seen committed");
    assert!(
        committed.is_multiple_of(BATCH),
        "whole batches only: {committed}"
    );
    let files: BTreeSet<String> = by_file(&listed).into_keys().collect();
    let first: BTreeSet<String> = (0..committed).map(|i| kill_test_note(i).1).collect();
    assert_eq!(files, first, "the batches commit in file-name order");
    Attempt::Killed {
        v,
        client,
        source,
        committed,
    }
}

#[test]
fn an_import_killed_midway_resumes_with_every_note_exactly_once() {
    let mut total = 3000;
    let mut attempt = start_and_kill(total);
    for _ in 0..3 {
        if !matches!(attempt, Attempt::TooFast) {
            break;
        }
        total *= 2;
        attempt = start_and_kill(total);
    }
    let Attempt::Killed {
        v,
        client,
        source,
        committed,
    } = attempt
    else {
        eprintln!(
            "NOT TESTED: every import (up to {total} notes) finished before a committed batch could be seen, so none could be killed midway"
        );
        return;
    };
    eprintln!("killed after {committed} of {total} notes");

    let out = import(&v, &client, &source);
    assert_imported(&out, total - committed, committed);

    let listed = notes(&v, &client);
    assert_eq!(listed.len(), total, "no note missing, none twice");
    let notes = by_file(&listed);
    assert_eq!(ids(&listed).len(), total, "distinct ids");
    let mut dates = BTreeSet::new();
    for i in 0..total {
        let (date, name, _) = kill_test_note(i);
        let n = notes
            .get(&name)
            .unwrap_or_else(|| panic!("{name} is missing"));
        assert_eq!(n["date"], date.as_str(), "{name}");
        let body = n["body"].as_str().unwrap();
        assert!(
            body.starts_with(&format!("Session {i}: Brindlequartz-{i:05} talked.\n")),
            "{name}: {body:?}"
        );
        assert_eq!(categories(n), ["progress", "risk"], "{name}");
        dates.insert(n["date"].as_str().unwrap().to_owned());
    }
    assert_eq!(dates.len(), total, "every date once");

    // The killed batch's events went with its notes: one event per note in the vault.
    let events = import_events(&v);
    assert_eq!(events.len(), total, "one note.import event per note");
    let written: BTreeSet<String> = events.iter().map(written_note).collect();
    assert_eq!(written, ids(&listed));
    assert_verified(&v);

    // No journal is left, and SQLite finds the file sound.
    let journal = PathBuf::from(format!("{}-journal", v.path.display()));
    assert!(!journal.exists(), "{} is left behind", journal.display());
    let check: String = v
        .sqlite_read_only()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");

    let scanned = assert_no_plaintext(&v, &source, KILL_CANARIES);
    assert_eq!(
        scanned,
        std::slice::from_ref(&v.path),
        "files left by casevault"
    );
}

common::on_both_backends!(
    imports_dated_and_front_matter_files_with_sections_search_and_one_audited_write_each,
    malformed_files_are_reported_by_name_with_the_reason_and_the_others_still_import,
    an_unknown_heading_below_front_matter_is_reported_with_its_line_in_the_file,
    front_matter_after_a_utf8_byte_order_mark_is_still_front_matter,
    running_the_same_import_again_imports_nothing_twice,
    files_added_after_an_import_are_the_only_ones_the_next_run_imports,
    a_changed_file_counts_as_new_and_is_imported_beside_its_earlier_note,
    a_renamed_file_with_unchanged_bytes_counts_as_already_imported,
);
