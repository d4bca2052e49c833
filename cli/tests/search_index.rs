//! The search index as a user meets it: `index rebuild`, searches that fail closed
//! when a block of it is missing, altered or moved, `audit verify` naming what is
//! wrong, and a vault made before the index searching every note until it is
//! rebuilt. On a vault file and on a server.

mod common;

use common::{SqlValue, TestDb, TestVault, fails};

const INTEGRITY: i32 = 5;

/// Every row of the index: (name, sealed bytes), in name order.
fn index_rows(db: &TestDb) -> Vec<(String, Vec<u8>)> {
    db.rows(
        "SELECT name, value FROM meta WHERE name LIKE 'index/%' ORDER BY name",
        &[],
    )
    .into_iter()
    .map(|row| {
        let mut row = row.into_iter();
        let name = match row.next() {
            Some(SqlValue::Text(t)) => t,
            other => panic!("a name, not {other:?}"),
        };
        (name, row.next().expect("a value").into_bytes())
    })
    .collect()
}

fn set_row(db: &TestDb, name: &str, value: &[u8]) {
    db.execute("DELETE FROM meta WHERE name = ?1", &[name.into()]);
    db.execute(
        "INSERT INTO meta (name, value) VALUES (?1, ?2)",
        &[name.into(), value.into()],
    );
}

/// A vault with one client and three notes, two of which mention insomnia (one in
/// its risk section).
fn vault_with_notes() -> (TestVault, String, Vec<String>) {
    let (v, _) = TestVault::init();
    let client = v.add_client("Ada Example", &[]);
    let notes = vec![
        v.add_note(&client, "2026-03-01", "Slept badly: insomnia.\n"),
        v.add_note(
            &client,
            "2026-03-08",
            "Good week.\n## risk\nInsomnia may return.\n",
        ),
        v.add_note(&client, "2026-03-15", "Talked about work.\n"),
    ];
    (v, client, notes)
}

fn found_notes(v: &TestVault, word: &str) -> Vec<String> {
    let hits = v.json(&["search", word]);
    let mut notes: Vec<String> = hits
        .as_array()
        .expect("a list of hits")
        .iter()
        .map(|h| h["note"].as_str().expect("a note").to_owned())
        .collect();
    notes.dedup();
    notes
}

fn index_rebuild_reports_and_searches_find_the_same() {
    let (v, _, notes) = vault_with_notes();
    assert_eq!(found_notes(&v, "INSOMNIA"), notes[..2]);
    assert_eq!(v.ok(&["index", "rebuild"]).trim(), "indexed 3 notes");
    let report = v.json(&["index", "rebuild"]);
    assert_eq!(report["notes"], 3);
    assert_eq!(report["incomplete"], 0);
    assert!(report["complete"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(found_notes(&v, "insomnia"), notes[..2]);
    // Two characters have no trigram: every note is read, with the same answer.
    assert_eq!(found_notes(&v, "ia"), notes[..2]);
    v.ok(&["audit", "verify"]);
    // The rebuild is audited, as a read of every note.
    let log = v.ok(&["audit", "log"]);
    assert!(log.contains("index.rebuild"), "{log}");
}

fn a_missing_index_block_fails_search_closed_and_verify_names_it() {
    let (v, _, notes) = vault_with_notes();
    let db = v.db();
    let rows = index_rows(&db);
    assert!(!rows.is_empty(), "the notes are indexed");
    // Every block of every compartment's index, in turn.
    let blocks: Vec<&(String, Vec<u8>)> = rows
        .iter()
        .filter(|(n, _)| n.matches('/').count() == 2)
        .collect();
    let mut refused = 0;
    for (name, value) in blocks.iter().step_by(3) {
        db.execute("DELETE FROM meta WHERE name = ?1", &[name.as_str().into()]);
        // A search that needs the block refuses; one that does not (a chunk of lists
        // the query has no use for) answers in full. Never a partial answer.
        let out = v
            .cmd()
            .args(["search", "insomnia", "--json"])
            .output()
            .unwrap();
        if out.status.success() {
            assert_eq!(found_notes(&v, "insomnia"), notes[..2]);
        } else {
            refused += 1;
            assert_eq!(out.status.code(), Some(INTEGRITY));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("the search index is damaged")
                    && stderr.contains("casevault index rebuild"),
                "{stderr}"
            );
        }
        let (stdout, _) = fails(&v, &["audit", "verify"], INTEGRITY);
        assert!(stdout.contains("the search index is damaged"), "{stdout}");
        set_row(&db, name, value);
        assert_eq!(found_notes(&v, "insomnia"), notes[..2]);
    }
    assert!(refused > 0, "no missing block was ever needed");
    v.ok(&["audit", "verify"]);
}

fn an_altered_or_moved_index_block_does_not_open() {
    let (v, _, notes) = vault_with_notes();
    let db = v.db();
    let rows = index_rows(&db);
    let blocks: Vec<&(String, Vec<u8>)> = rows
        .iter()
        .filter(|(n, _)| n.matches('/').count() == 2)
        .collect();
    let put_back = || {
        for (name, value) in &blocks {
            set_row(&db, name, value);
        }
    };
    // One bit flipped in every block (a search reads at least each segment's header).
    for (name, value) in &blocks {
        let mut bad = value.clone();
        bad[30] ^= 1;
        set_row(&db, name, &bad);
    }
    let (_, stderr) = fails(&v, &["search", "insomnia"], INTEGRITY);
    assert!(stderr.contains("fails its integrity check"), "{stderr}");
    put_back();
    assert_eq!(found_notes(&v, "insomnia"), notes[..2]);
    // Another compartment's block under each block name of one compartment: bound to
    // its own place, it does not open there.
    let compartment = |name: &str| name.split('/').nth(1).map(str::to_owned);
    let first = compartment(&blocks[0].0);
    let (_, other) = blocks
        .iter()
        .find(|(n, _)| compartment(n) != first)
        .expect("a block of another compartment");
    for (name, _) in blocks.iter().filter(|(n, _)| compartment(n) == first) {
        set_row(&db, name, other);
    }
    let (_, stderr) = fails(&v, &["search", "insomnia"], INTEGRITY);
    assert!(stderr.contains("fails its integrity check"), "{stderr}");
    let (stdout, _) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(stdout.contains("the search index is damaged"), "{stdout}");
    // Rebuilt, it is whole again.
    assert_eq!(v.ok(&["index", "rebuild"]).trim(), "indexed 3 notes");
    assert_eq!(found_notes(&v, "insomnia"), notes[..2]);
    v.ok(&["audit", "verify"]);
}

fn an_older_index_put_back_is_caught_by_verify() {
    let (v, client, notes) = vault_with_notes();
    let db = v.db();
    let old = index_rows(&db);
    let newer = v.add_note(&client, "2026-03-22", "Insomnia is back.\n");
    assert_eq!(
        found_notes(&v, "insomnia"),
        [notes[0].clone(), notes[1].clone(), newer.clone()]
    );
    // The index as it was before the newest note: every block authentic, but the
    // newest note is in none of them.
    db.execute("DELETE FROM meta WHERE name LIKE 'index/%'", &[]);
    for (name, value) in &old {
        set_row(&db, name, value);
    }
    let (stdout, _) = fails(&v, &["audit", "verify"], INTEGRITY);
    assert!(
        stdout.contains(&format!(
            "note {newer} is missing from the search index (a search would not find it)"
        )),
        "{stdout}"
    );
    v.ok(&["index", "rebuild"]);
    assert_eq!(
        found_notes(&v, "insomnia"),
        [notes[0].clone(), notes[1].clone(), newer.clone()]
    );
    v.ok(&["audit", "verify"]);
}

fn a_vault_made_before_the_index_searches_every_note_until_rebuilt() {
    let (v, _, notes) = vault_with_notes();
    let db = v.db();
    // As a vault made before the index: no mark, no index.
    db.execute("DELETE FROM meta WHERE name LIKE 'index%'", &[]);
    assert_eq!(found_notes(&v, "insomnia"), notes[..2]);
    v.ok(&["audit", "verify"]);
    assert!(index_rows(&db).is_empty());
    assert_eq!(v.ok(&["index", "rebuild"]).trim(), "indexed 3 notes");
    assert!(!index_rows(&db).is_empty());
    assert_eq!(found_notes(&v, "insomnia"), notes[..2]);
    v.ok(&["audit", "verify"]);
}

fn the_index_holds_no_word_of_any_note() {
    let (v, _) = TestVault::init();
    let client = v.add_client("Ada Example", &[]);
    let canary = common::random_token();
    v.add_note(&client, "2026-03-01", &format!("Said {canary} twice.\n"));
    let db = v.db();
    let rows = index_rows(&db);
    assert!(!rows.is_empty());
    for (name, value) in rows {
        assert!(!name.contains(&canary));
        for window in [&canary[..], &canary.to_lowercase()[..]] {
            assert!(!common::contains(&value, window), "{name} holds {window}");
        }
        // Sealed and padded: at least 512 bytes of plaintext, nonce and tag.
        assert!(
            value.len() >= 24 + 512 + 16,
            "{name}: {} bytes",
            value.len()
        );
    }
}

common::on_both_backends!(
    index_rebuild_reports_and_searches_find_the_same,
    a_missing_index_block_fails_search_closed_and_verify_names_it,
    an_altered_or_moved_index_block_does_not_open,
    an_older_index_put_back_is_caught_by_verify,
    a_vault_made_before_the_index_searches_every_note_until_rebuilt,
    the_index_holds_no_word_of_any_note,
);
