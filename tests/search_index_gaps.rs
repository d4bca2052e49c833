//! The search index's promises checked where they are thinnest: a member whose index
//! was made ready by `index rebuild` and who then gains compartments, a compartment
//! whose index is taken away or put back alone, and what the blocks' sizes tell a
//! member who does not hold a compartment.
//!
//! Each test states the promise (SECURITY.md "Search index", the index module's
//! invariants) and the sequence that breaks it.

#[path = "common/practice.rs"]
mod practice;

use std::path::Path;

use casevault::internals::{RecordKind, note_parts, open_part_with};
use casevault::{Error, NewClient, NewNote, Session};
use practice::{OWNER, add_member, date, keys_of, new_vault, open_row, rows, unlock};

fn client(session: &mut Session, name: &str) -> String {
    session
        .add_client(NewClient {
            name: name.into(),
            ..NewClient::default()
        })
        .expect("add a client")
        .to_string()
}

fn db(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open the vault file")
}

/// Takes away every row of the search index and its ready marks: the vault as a
/// casevault before the index left it (schema 3), notes and all.
fn as_made_before_the_index(path: &Path) {
    db(path)
        .execute(
            "DELETE FROM meta WHERE name LIKE 'index/%' OR name LIKE 'index.ready%'",
            [],
        )
        .expect("delete the index");
}

/// The compartment of the part of `category` in the body of note `note` (newest
/// version), as the owner's keys name it (the note's first client's).
fn part_compartment(path: &Path, note: &str, category: &str) -> String {
    let keys = keys_of(path, OWNER);
    let row = rows(path)
        .into_iter()
        .filter(|r| r.reference.kind == RecordKind::Note && r.reference.id == note)
        .max_by_key(|r| r.reference.version)
        .expect("the note's row");
    let plain = open_row(&keys, &row).expect("the owner opens the note");
    for (place, compartment, sealed) in note_parts(&plain) {
        if place != "body" {
            continue;
        }
        for (_, key) in &keys {
            if let Some((c, _)) = open_part_with(key, &row.reference, &place, &compartment, &sealed)
                && c == category
            {
                return compartment;
            }
        }
    }
    panic!("note {note} has no {category} part the owner opens")
}

fn meta_value(path: &Path, name: &str) -> Option<Vec<u8>> {
    db(path)
        .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .ok()
}

/// Promise: "for a member for whom the index is ready, every note version written
/// since is in the index of every compartment it has a part in" and "the index may
/// name notes a search does not find, never miss one it would" (index/mod.rs); "a
/// search through the index returns exactly the hits a full scan returns".
///
/// Sequence: a vault made before the index (its notes in no index); bob, a clinician
/// with client A on his caseload, runs `index rebuild` (his index is marked ready);
/// the owner then assigns him client B, whose notes were written before the index.
/// Expected: bob's search finds B's note (a full scan does). Before the fix: bob's search
/// goes through the index, B's compartments have none, and the note is missed with
/// no error. The same holds for a member given emergency access or a wider role
/// after their rebuild.
#[test]
fn a_client_assigned_after_a_rebuild_is_searched_in_full() {
    let (_dir, path, mut owner) = new_vault();
    add_member(&mut owner, "bob", "clinician");
    let a = client(&mut owner, "Ada Example");
    let b = client(&mut owner, "Ben Example");
    owner
        .add_note(NewNote::individual(&a, date("2026-03-01"), "Slept well.\n"))
        .unwrap();
    owner
        .add_note(NewNote::individual(
            &b,
            date("2026-03-02"),
            "Insomnia since the move.\n",
        ))
        .unwrap();
    owner.assign_client("bob", &a, None).unwrap();
    drop(owner);
    as_made_before_the_index(&path);

    let mut bob = unlock(&path, "bob");
    let rebuilt = bob.rebuild_search_index().unwrap();
    assert_eq!(rebuilt.incomplete, 0);
    drop(bob);

    let mut owner = unlock(&path, OWNER);
    owner.assign_client("bob", &b, None).unwrap();
    // The owner's index is not ready: a full scan.
    let scanned = owner.search("insomnia", None).unwrap();
    assert_eq!(scanned.len(), 1, "the full scan finds B's note");
    drop(owner);

    let mut bob = unlock(&path, "bob");
    let found = bob.search("insomnia", None);
    assert!(
        matches!(&found, Ok(hits) if *hits == scanned),
        "bob's search through his index must find what a full scan finds: {found:?} \
         (a full scan: {scanned:?})"
    );
}

/// Promise (SECURITY.md): "A block missing, altered, moved to another name or
/// compartment, or unreadable makes the search fail (exit 5 ...), never answer in
/// part"; only "an authentic older index put back wholesale" is left to `audit
/// verify`.
///
/// Sequence: a vault with the index ready; two notes of client A say "insomnia" in
/// their unheaded (progress) text; one row is deleted from the file: the manifest
/// `index/<A's progress compartment>`, every other row of the index left as it is.
/// Expected: the search fails with `SearchIndexDamaged`, or finds both notes.
/// Before the fix: the search answers with no hit and no error (a missing manifest reads as a
/// compartment never written to). `audit verify` reports it.
#[test]
fn a_compartment_index_deleted_alone_is_not_an_empty_answer() {
    let (_dir, path, mut owner) = new_vault();
    let a = client(&mut owner, "Ada Example");
    let first = owner
        .add_note(NewNote::individual(
            &a,
            date("2026-03-01"),
            "Insomnia again.\n## risk\nNone noted.\n",
        ))
        .unwrap();
    owner
        .add_note(NewNote::individual(
            &a,
            date("2026-03-08"),
            "Less insomnia.\n",
        ))
        .unwrap();
    let before = owner.search("insomnia", None).unwrap();
    assert_eq!(before.len(), 2);
    drop(owner);

    let progress = part_compartment(&path, first.as_str(), "progress");
    let deleted = db(&path)
        .execute(
            "DELETE FROM meta WHERE name = ?1",
            [format!("index/{progress}")],
        )
        .unwrap();
    assert_eq!(deleted, 1, "the compartment had a manifest");

    let mut owner = unlock(&path, OWNER);
    let after = owner.search("insomnia", None);
    let verified = owner.verify_audit(None).unwrap();
    assert!(
        !verified.is_intact(),
        "audit verify reports the compartment's index gone"
    );
    assert!(
        matches!(&after, Err(Error::SearchIndexDamaged { .. }))
            || matches!(&after, Ok(hits) if *hits == before),
        "one manifest row deleted: the search must fail or answer in full, not {after:?}"
    );
}

/// The same promise for one compartment's manifest put back as it was one note ago,
/// every other row of the index current (not an older index put back wholesale: the
/// other compartments of the same note are current).
///
/// An authentic older manifest is a rollback of the index, of the same kind as an
/// older version of a record put back: SECURITY.md says a search may then miss the
/// notes written since, and `audit verify` names them. This checks the second half.
#[test]
fn one_compartment_manifest_put_back_alone_is_caught_by_verify() {
    let (_dir, path, mut owner) = new_vault();
    let a = client(&mut owner, "Ada Example");
    let first = owner
        .add_note(NewNote::individual(
            &a,
            date("2026-03-01"),
            "Insomnia again.\n",
        ))
        .unwrap();
    drop(owner);
    let progress = part_compartment(&path, first.as_str(), "progress");
    let manifest = format!("index/{progress}");
    let older = meta_value(&path, &manifest).expect("a manifest after the first note");

    let mut owner = unlock(&path, OWNER);
    owner
        .add_note(NewNote::individual(
            &a,
            date("2026-03-08"),
            "Less insomnia.\n",
        ))
        .unwrap();
    let before = owner.search("insomnia", None).unwrap();
    assert_eq!(before.len(), 2);
    drop(owner);

    db(&path)
        .execute(
            "UPDATE meta SET value = ?2 WHERE name = ?1",
            rusqlite::params![manifest, older],
        )
        .unwrap();

    let mut owner = unlock(&path, OWNER);
    let verified = owner.verify_audit(None).unwrap();
    assert!(
        verified
            .findings
            .iter()
            .any(|f| matches!(f, casevault::VerifyFinding::SearchIndexIncomplete { .. })),
        "audit verify reports the note missing from the index: {:?}",
        verified.findings
    );
    // Rebuilt, the search answers in full again.
    owner.rebuild_search_index().unwrap();
    assert_eq!(owner.search("insomnia", None).unwrap(), before);
}

/// Fails when X's substance-use index and Y's (who has no such text) differ in size.
fn assert_same_sizes(path: &Path, sx: &str, sy: &str) {
    assert_eq!(
        index_sizes(path, sx),
        index_sizes(path, sy),
        "the sizes of X's substance-use index show that X has substance-use text"
    );
}

/// The padded sizes of a compartment's index blocks (manifest included), sorted: what
/// anyone holding the file sees of it.
fn index_sizes(path: &Path, compartment: &str) -> Vec<i64> {
    let db = db(path);
    let mut statement = db
        .prepare("SELECT length(value) FROM meta WHERE name = ?1 OR name LIKE ?2")
        .unwrap();
    let mut sizes: Vec<i64> = statement
        .query_map(
            rusqlite::params![
                format!("index/{compartment}"),
                format!("index/{compartment}/%")
            ],
            |r| r.get(0),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    sizes.sort_unstable();
    sizes
}

/// Promise (SECURITY.md, "No term on disk"): "the blocks written with a note do not
/// say which categories it has text of, below about two hundred characters of text in a
/// category (as a part's padding hides about a hundred bytes)"; PRACTICE.md: "a biller
/// must not learn that a client has substance-use notes". A biller opens the notes'
/// records (attendance), which list every part's compartment in the policy's order,
/// so they know which `index/<compartment>` rows are a client's substance-use index.
///
/// Sequence: client X has eight notes, each with a substance-use section of under
/// twenty characters; client Y eight notes with none. Each part is far below the
/// part's padding, and far below the two hundred characters the blocks are said to hide.
/// Expected: X's and Y's substance-use indexes have blocks of the same sizes.
/// Before the fix: the eighth note merges the eight segments into one, whose header holds
/// every trigram of the eight sections: X's header block is larger.
const SHORT: [&str; 8] = [
    "Beer on Friday.",
    "Wine at dinner.",
    "Cannabis twice.",
    "Vodka at a party.",
    "Cut down on beer.",
    "No alcohol today.",
    "Gin with friends.",
    "Whisky nightcap.",
];

#[test]
fn short_sections_merged_do_not_show_in_block_sizes() {
    let (_dir, path, mut owner) = new_vault();
    let x = client(&mut owner, "Xena Example");
    let y = client(&mut owner, "Yves Example");
    let mut first = None;
    let mut first_y = None;
    for (i, short) in SHORT.iter().enumerate() {
        let nx = owner
            .add_note(NewNote::individual(
                &x,
                date("2026-03-01"),
                &format!("Session {i}.\n## substance-use\n{short}\n"),
            ))
            .unwrap();
        let ny = owner
            .add_note(NewNote::individual(
                &y,
                date("2026-03-01"),
                &format!("Session {i}.\n"),
            ))
            .unwrap();
        first.get_or_insert(nx);
        first_y.get_or_insert(ny);
        if i == 0 {
            // One note each: the sizes are alike, as promised.
            let sx = part_compartment(&path, first.as_ref().unwrap().as_str(), "substance-use");
            let sy = part_compartment(&path, first_y.as_ref().unwrap().as_str(), "substance-use");
            assert_eq!(index_sizes(&path, &sx), index_sizes(&path, &sy));
        }
    }
    drop(owner);
    let sx = part_compartment(&path, first.unwrap().as_str(), "substance-use");
    let sy = part_compartment(&path, first_y.unwrap().as_str(), "substance-use");
    assert_same_sizes(&path, &sx, &sy);
}

/// The same promise for one note: about sixty characters of substance-use text (below
/// the two hundred SECURITY.md names, and below the part's own padding) against none.
/// (Measured with ordinary English text: from about forty-five characters, the
/// header block of the note's segment doubles, 552 to 1064 bytes stored, while the
/// part itself stays at its padded size.)
#[test]
fn one_short_section_does_not_show_in_block_sizes() {
    let (_dir, path, mut owner) = new_vault();
    let x = client(&mut owner, "Xena Example");
    let y = client(&mut owner, "Yves Example");
    let text = "Drinks two glasses of wine most evenings; cut down since May.";
    assert!(text.chars().count() < 80);
    let nx = owner
        .add_note(NewNote::individual(
            &x,
            date("2026-03-01"),
            &format!("Session.\n## substance-use\n{text}\n"),
        ))
        .unwrap();
    let ny = owner
        .add_note(NewNote::individual(&y, date("2026-03-01"), "Session.\n"))
        .unwrap();
    drop(owner);
    let sx = part_compartment(&path, nx.as_str(), "substance-use");
    let sy = part_compartment(&path, ny.as_str(), "substance-use");
    assert_same_sizes(&path, &sx, &sy);
}

/// Promise: `index rebuild` "indexes what their keys open" (SECURITY.md, Upgrades) and
/// the index "may name notes a search does not find, never miss one it would"
/// (index/mod.rs), for every member; a policy may declare roles (`[roles.NAME]`).
///
/// Sequence: the owner sets a policy with a role that reads only `risk` for every
/// client, and adds rhea with it; a note says "ideation" in its risk section; rhea
/// runs `index rebuild`. Her keys open every client's risk compartment, so the
/// rebuild deletes those compartments' index; her keys do not open the notes'
/// records (they are sealed for attendance), so it indexes nothing back, reports
/// nothing left out, and marks her ready. Expected: the owner's search still finds the
/// note. Before the fix: the owner's search goes through the emptied risk index and finds
/// nothing, with no error (only the owner's `audit verify` notices).
#[test]
fn a_rebuild_by_a_member_who_cannot_open_the_notes_keeps_the_index() {
    let (_dir, path, mut owner) = new_vault();
    let policy = format!(
        "{}\n[roles.risk-review]\nreads = [\"risk\"]\nclients = \"all\"\n",
        casevault::DEFAULT_POLICY
    );
    owner
        .set_policy(&policy)
        .expect("a policy with a risk-review role");
    add_member(&mut owner, "rhea", "risk-review");
    let a = client(&mut owner, "Ada Example");
    owner
        .add_note(NewNote::individual(
            &a,
            date("2026-03-01"),
            "Slept well.\n## risk\nPassive ideation, no plan.\n",
        ))
        .unwrap();
    let before = owner.search("ideation", None).unwrap();
    assert_eq!(before.len(), 1);
    drop(owner);

    let mut rhea = unlock(&path, "rhea");
    let rebuilt = rhea
        .rebuild_search_index()
        .expect("rhea rebuilds her index");
    // She reads no note whole: nothing of hers is complete, and the intact index of
    // every compartment she holds is left as it is.
    assert_eq!(
        (rebuilt.complete, rebuilt.incomplete),
        (0, 0),
        "{rebuilt:?}"
    );
    drop(rhea);

    let mut owner = unlock(&path, OWNER);
    let after = owner.search("ideation", None);
    assert!(
        matches!(&after, Ok(hits) if *hits == before),
        "after rhea's rebuild the owner's search must still find the note: {after:?}"
    );
}

/// Promise: a vault made before the index "has none: searches read every note until a
/// member runs `casevault index rebuild`" (SECURITY.md, Upgrades); tampering with the
/// index fails closed. The mark that says the index is complete, `index.ready`, is a
/// plain named value, bound to nothing.
///
/// Sequence: a vault made before the index (its notes in no index); one row added to
/// the file: `index.ready`. Expected: the search fails, or reads every note. Before the fix:
/// it goes through the (absent) index and answers with no hit and no error; only
/// `audit verify` notices.
#[test]
fn a_ready_mark_added_to_a_vault_without_an_index_is_not_an_empty_answer() {
    let (_dir, path, mut owner) = new_vault();
    let a = client(&mut owner, "Ada Example");
    owner
        .add_note(NewNote::individual(
            &a,
            date("2026-03-01"),
            "Insomnia again.\n",
        ))
        .unwrap();
    drop(owner);
    as_made_before_the_index(&path);
    let mut owner = unlock(&path, OWNER);
    let before = owner.search("insomnia", None).unwrap();
    assert_eq!(before.len(), 1, "a full scan finds the note");
    drop(owner);

    db(&path)
        .execute(
            "INSERT INTO meta (name, value) VALUES ('index.ready', x'31')",
            [],
        )
        .unwrap();
    let mut owner = unlock(&path, OWNER);
    let after = owner.search("insomnia", None);
    assert!(
        matches!(&after, Err(Error::SearchIndexDamaged { .. }))
            || matches!(&after, Ok(hits) if *hits == before),
        "one row added: the search must fail or answer in full, not {after:?}"
    );
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A block sealed as the index seals one: under `key`, bound to its compartment and
/// name (what a member holding the compartment's key can write).
fn seal_as_index(key: &[u8; 32], compartment: &str, name: &str, plain: &[u8]) -> Vec<u8> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};
    let mut binding = b"casevault.org/v1/search-index".to_vec();
    for part in [compartment.as_bytes(), name.as_bytes()] {
        binding.extend_from_slice(&(part.len() as u32).to_be_bytes());
        binding.extend_from_slice(part);
    }
    let mut padded = (plain.len() as u32).to_le_bytes().to_vec();
    padded.extend_from_slice(plain);
    let nonce = [7u8; 24];
    let sealed = XChaCha20Poly1305::new(key.into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &padded,
                aad: &binding,
            },
        )
        .unwrap();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    out
}

const FORGED: &str = "CASEVAULT_TEST_FORGED_INDEX_VAULT";

/// Run in a process of its own by the test below (it may abort): the owner's
/// `audit verify` and search on the vault it names.
#[test]
fn forged_index_child() {
    let Ok(path) = std::env::var(FORGED) else {
        return;
    };
    let mut owner = unlock(Path::new(&path), OWNER);
    let report = owner.verify_audit(None);
    assert!(
        !matches!(&report, Ok(r) if r.is_intact()),
        "the forged index passes audit verify"
    );
    let _ = owner.search("dia", None);
}

/// Promise (segment.rs): "whatever the bytes, reading never panics"; claim: the index
/// fails closed (exit 5) on anything but what casevault wrote. The index's blocks are
/// sealed with the compartment's key, which every holder of the compartment has: a
/// biller holds every client's diagnosis compartment.
///
/// Sequence: bill (biller) writes, with his diagnosis key of client A, a manifest and
/// a segment header that say the segment covers 4,000,000,000 notes (the header lists
/// the 244,141 blocks of notes that takes, each with an empty name: about 250 KB) and
/// no term. Expected: the owner's `audit verify` reports the index damaged. Before the fix:
/// reading the segment's notes reserves room for every note it claims (`all_docs`,
/// `Vec::with_capacity(doc_count)`, about 128 GB), the allocation fails and the
/// process aborts: `audit verify` crashes for every member who holds the compartment.
#[test]
fn a_segment_claiming_billions_of_notes_is_refused_not_a_crash() {
    let (_dir, path, mut owner) = new_vault();
    add_member(&mut owner, "bill", "biller");
    let a = client(&mut owner, "Ada Example");
    let note = owner
        .add_note(NewNote::individual(
            &a,
            date("2026-03-01"),
            "Slept well.\n## diagnosis\nF51.0 insomnia.\n",
        ))
        .unwrap();
    drop(owner);
    let compartment = part_compartment(&path, note.as_str(), "diagnosis");
    let key = keys_of(&path, "bill")
        .into_iter()
        .find(|(id, _)| *id == compartment)
        .expect("bill holds A's diagnosis compartment")
        .1;

    let docs: u64 = 4_000_000_000;
    let doc_blocks = docs.div_ceil(16 * 1024);
    let mut header = b"CVX1".to_vec();
    put_varint(&mut header, docs);
    put_varint(&mut header, doc_blocks);
    header.extend(std::iter::repeat_n(0u8, doc_blocks as usize));
    put_varint(&mut header, 1);
    put_varint(&mut header, 1);
    header.push(b'c');
    put_varint(&mut header, 0);
    let mut blocks = vec!["c".to_owned()];
    blocks.extend(std::iter::repeat_n(String::new(), doc_blocks as usize));
    let manifest = serde_json::json!({
        "segments": [{ "header": "h", "docs": docs, "blocks": blocks }]
    });
    let db = db(&path);
    for (name, value) in [
        (
            format!("index/{compartment}"),
            seal_as_index(
                &key,
                &compartment,
                "",
                &serde_json::to_vec(&manifest).unwrap(),
            ),
        ),
        (
            format!("index/{compartment}/h"),
            seal_as_index(&key, &compartment, "h", &header),
        ),
        (
            format!("index/{compartment}/c"),
            seal_as_index(&key, &compartment, "c", b""),
        ),
    ] {
        db.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)",
            rusqlite::params![name, value],
        )
        .unwrap();
    }
    drop(db);

    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "forged_index_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(FORGED, &path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the owner's audit verify on a forged index did not end cleanly: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
