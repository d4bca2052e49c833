//! The search index against a full decrypting scan: for every member (each role
//! reads other categories and clients) and every query, a search through the index
//! finds exactly the lines a reading of every note finds. Notes are added, edited,
//! signed and amended, some joint, across categories, with text whose lowercasing
//! is not one-to-one (final sigma, dotted capital I, the Kelvin sign, combining
//! marks).
//!
//! The scan is what a search does when the index of a compartment is missing: the test
//! takes the manifests out of the file (between searches) to get it.

#[path = "common/practice.rs"]
mod practice;

use std::path::Path;

use casevault::{NewNote, NoteType, SearchHit, Session};
use practice::{OWNER, add_member, date, new_vault, unlock};
use proptest::prelude::*;

/// Lines a note is made of: words whose case folds in every way search meets.
const LINES: &[&str] = &[
    "Slept badly; Insomnia again this week.",
    "INSOMNIA worse after the move",
    "insomnia",
    "ΟΔΟΣ and ΣΟΦΙΑ came up",
    "σοφια, οδος: a dream",
    "İstanbul trip planned",
    "\u{212a}elvin the cat",
    "kelvin KELVIN",
    "café visit, cafe\u{301} again",
    "Nightmares less frequent",
    "ab",
    "",
    "Straße and STRASSE",
];

/// Headings of the default policy's categories (a body may have each once).
const HEADINGS: &[&str] = &[
    "## risk",
    "## medication",
    "## substance-use",
    "## diagnosis",
    "## psychotherapy-notes",
];

/// Queries that meet those lines in every way; more are drawn from the notes.
const QUERIES: &[&str] = &[
    "insomnia",
    "SOMN",
    "σοφια",
    "ΟΔΟΣ",
    "οδος",
    "i̇stanbul",
    "kelvin",
    "\u{212a}el",
    "café",
    "cafe\u{301}",
    "strasse",
    "ab",
    "a",
    "zzz",
    "in again",
    " NIGHT",
];

/// A body: some lines, then some sections, each heading at most once.
fn body_strategy() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(0..LINES.len(), 1..4),
        proptest::collection::vec((0..HEADINGS.len(), 0..LINES.len()), 0..4),
    )
        .prop_map(|(lines, sections)| {
            let mut body: String = lines.iter().map(|&i| format!("{}\n", LINES[i])).collect();
            let mut used = Vec::new();
            for (h, l) in sections {
                if used.contains(&h) {
                    continue;
                }
                used.push(h);
                body.push_str(&format!("{}\n{}\n", HEADINGS[h], LINES[l]));
            }
            if body.trim().is_empty() {
                body.push_str("Arrived on time.\n");
            }
            body
        })
}

/// What happens to the vault: a new note (of client A, B, or both), or a change to
/// an earlier one.
#[derive(Clone, Debug)]
enum Op {
    Add { clients: u8, body: String },
    Edit { note: usize, body: String },
    SignAmend { note: usize, body: String },
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..3, body_strategy()).prop_map(|(clients, body)| Op::Add { clients, body }),
        1 => (0usize..8, body_strategy()).prop_map(|(note, body)| Op::Edit { note, body }),
        1 => (0usize..8, body_strategy()).prop_map(|(note, body)| Op::SignAmend { note, body }),
    ]
}

/// Takes the index's manifests out of the vault file (a search then reads every
/// note), and returns them to be put back.
fn take_manifests(path: &Path) -> Vec<(String, Vec<u8>)> {
    let db = rusqlite::Connection::open(path).expect("open the vault file");
    let rows: Vec<(String, Vec<u8>)> = db
        .prepare(
            "SELECT name, value FROM meta WHERE name LIKE 'index/%' AND name NOT LIKE 'index/%/%'",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!rows.is_empty(), "the vault has an index");
    db.execute(
        "DELETE FROM meta WHERE name LIKE 'index/%' AND name NOT LIKE 'index/%/%'",
        [],
    )
    .unwrap();
    rows
}

fn put_back(path: &Path, rows: &[(String, Vec<u8>)]) {
    let db = rusqlite::Connection::open(path).expect("open the vault file");
    for (name, value) in rows {
        db.execute(
            "INSERT INTO meta (name, value) VALUES (?1, ?2)",
            rusqlite::params![name, value],
        )
        .unwrap();
    }
}

fn searches(session: &mut Session, queries: &[String]) -> Vec<Vec<SearchHit>> {
    queries
        .iter()
        .map(|q| session.search(q, None).expect("a search"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn the_index_finds_exactly_what_a_full_scan_finds(
        ops in proptest::collection::vec(op_strategy(), 1..10),
        drawn in proptest::collection::vec((0..LINES.len(), 0usize..40, 1usize..6, any::<bool>()), 4),
    ) {
        let (_dir, path, mut owner) = new_vault();
        add_member(&mut owner, "bob", "clinician");
        add_member(&mut owner, "sue", "supervisor");
        add_member(&mut owner, "bill", "biller");
        let a = owner.add_client(casevault::NewClient { name: "Ada Example".into(), ..Default::default() }).unwrap();
        let b = owner.add_client(casevault::NewClient { name: "Ben Example".into(), ..Default::default() }).unwrap();
        owner.assign_client("bob", &a, None).unwrap();
        owner.assign_client("sue", &a, None).unwrap();
        owner.assign_client("sue", &b, None).unwrap();
        let mut notes = Vec::new();
        // bob writes client A's notes (his psychotherapy notes are his alone); the
        // owner writes the rest.
        let mut bob = unlock(&path, "bob");
        for op in &ops {
            match op {
                Op::Add { clients, body } => {
                    let new = match clients {
                        0 => NewNote::individual(&a, date("2026-03-01"), body),
                        1 => NewNote::individual(&b, date("2026-03-02"), body),
                        _ => NewNote {
                            clients: vec![a.clone(), b.clone()],
                            date: date("2026-03-03"),
                            note_type: Some(NoteType::Couples),
                            body: body.clone(),
                        },
                    };
                    let writer = if *clients == 0 { &mut bob } else { &mut owner };
                    notes.push((*clients, writer.add_note(new).unwrap()));
                }
                Op::Edit { note, body } | Op::SignAmend { note, body } if !notes.is_empty() => {
                    let (clients, id) = &notes[note % notes.len()];
                    let writer = if *clients == 0 { &mut bob } else { &mut owner };
                    if matches!(op, Op::Edit { .. }) {
                        // A signed note takes no edit: refused, nothing changes.
                        let _ = writer.edit_note(id, body);
                    } else {
                        let _ = writer.sign_note(id);
                        writer.amend_note(id, body).unwrap();
                    }
                }
                _ => {}
            }
        }
        let mut queries: Vec<String> = QUERIES.iter().map(|q| (*q).to_owned()).collect();
        for (line, start, len, upper) in drawn {
            let chars: Vec<char> = LINES[line].chars().collect();
            if chars.is_empty() {
                continue;
            }
            let start = start % chars.len();
            let q: String = chars[start..(start + len).min(chars.len())].iter().collect();
            queries.push(if upper { q.to_uppercase() } else { q });
        }
        queries.retain(|q| !casevault::is_blank(q));
        drop(bob);
        drop(owner);
        for member in [OWNER, "bob", "sue", "bill"] {
            let mut session = unlock(&path, member);
            let indexed = searches(&mut session, &queries);
            let manifests = take_manifests(&path);
            let scanned = searches(&mut session, &queries);
            put_back(&path, &manifests);
            for ((q, i), s) in queries.iter().zip(&indexed).zip(&scanned) {
                prop_assert_eq!(i, s, "{} searching {:?}", member, q);
            }
            if member == OWNER {
                // Not two empty answers: the owner reads client B's notes and the
                // joint ones whole (but bob's psychotherapy notes), so a line of
                // theirs is found.
                let found: usize = indexed.iter().map(Vec::len).sum();
                let owner_notes = notes.iter().filter(|(c, _)| *c != 0).count();
                prop_assert!(owner_notes == 0 || found > 0);
            }
        }
    }
}

/// After `audit verify`, `index rebuild` and the owner's search, nothing changed what a
/// search finds; the index of a destroyed client goes with its keys.
#[test]
fn rebuild_and_verify_keep_the_answers() {
    let (_dir, _path, mut owner) = new_vault();
    let a = owner
        .add_client(casevault::NewClient {
            name: "Ada Example".into(),
            ..Default::default()
        })
        .unwrap();
    for i in 0..20 {
        let body = if i % 3 == 0 {
            format!("Session {i}: insomnia.\n## risk\nNone noted ({i}).\n")
        } else {
            format!("Session {i}: sleeping well.\n")
        };
        owner
            .add_note(NewNote::individual(&a, date("2026-03-01"), &body))
            .unwrap();
    }
    let before = owner.search("INSOMNIA", Some(&a)).unwrap();
    assert_eq!(before.len(), 7);
    assert!(owner.verify_audit(None).unwrap().is_intact());
    let rebuilt = owner.rebuild_search_index().unwrap();
    assert_eq!(rebuilt.notes, 20);
    assert_eq!(rebuilt.incomplete, 0);
    assert_eq!(owner.search("INSOMNIA", Some(&a)).unwrap(), before);
    assert_eq!(owner.search("noted (1", None).unwrap().len(), 3);
    assert!(owner.verify_audit(None).unwrap().is_intact());
}
