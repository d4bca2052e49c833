//! Need-to-know is a property of the keys, not of the code that uses them
//! (PRACTICE.md §2–§3): each member's passphrase is used to unwrap every key it leads
//! to, and each key is tried on every row of the vault file directly, and on every
//! part of every note. What opens must be exactly what the member's role and caseload
//! grant. A vault that checked roles with `if` statements (one key for everything)
//! fails every test here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use casevault::internals::{RecordKind, RecordRef, note_parts, open_part_with, unwrap_all};
use casevault::{
    ConsentRecipient, ErrorClass, NewClient, NewConsent, NewNote, Relationship, Session, Vault,
};

#[path = "common/practice.rs"]
mod practice;

use practice::*;

const PN: &str = "psychotherapy-notes";

/// The default policy's categories, in its order.
const CATEGORIES: [&str; 11] = [
    "identity",
    "attendance",
    "diagnosis",
    "treatment-plan",
    "progress",
    "medication",
    "risk",
    PN,
    "substance-use",
    "sexual-health",
    "third-party",
];

/// The role table of PRACTICE.md §2, with the record compartments (`consents`,
/// `disclosures`) each default role reads: what a member may read, whether they see
/// every client or only their caseload, and whether they review the audit trail.
/// `psychotherapy-notes` in `reads` means the member's own only.
struct RoleRow {
    role: &'static str,
    reads: &'static [&'static str],
    all_clients: bool,
    audit_review: bool,
}

const EVERY_CATEGORY: &[&str] = &[
    "identity",
    "attendance",
    "diagnosis",
    "treatment-plan",
    "progress",
    "medication",
    "risk",
    PN,
    "substance-use",
    "sexual-health",
    "third-party",
    "consents",
    "disclosures",
];
const ALL_BUT_PN: &[&str] = &[
    "identity",
    "attendance",
    "diagnosis",
    "treatment-plan",
    "progress",
    "medication",
    "risk",
    "substance-use",
    "sexual-health",
    "third-party",
    "consents",
    "disclosures",
];

const ROLES: [RoleRow; 5] = [
    RoleRow {
        role: "owner",
        reads: EVERY_CATEGORY,
        all_clients: true,
        audit_review: true,
    },
    RoleRow {
        role: "clinician",
        reads: EVERY_CATEGORY,
        all_clients: false,
        audit_review: false,
    },
    RoleRow {
        role: "supervisor",
        reads: &[
            "identity",
            "attendance",
            "diagnosis",
            "treatment-plan",
            "progress",
            "medication",
            "risk",
            "sexual-health",
            "third-party",
            "consents",
        ],
        all_clients: false,
        audit_review: false,
    },
    RoleRow {
        role: "biller",
        reads: &[
            "identity",
            "attendance",
            "diagnosis",
            "consents",
            "disclosures",
        ],
        all_clients: true,
        audit_review: false,
    },
    RoleRow {
        role: "records",
        reads: ALL_BUT_PN,
        all_clients: true,
        audit_review: true,
    },
];

fn role_row(role: &str) -> &'static RoleRow {
    ROLES
        .iter()
        .find(|r| r.role == role)
        .unwrap_or_else(|| panic!("no role {role} in the test's table"))
}

/// A note's text with one section of each category the tests look at.
const FULL_NOTE: &str = "Arrived on time.\n\
## risk\nNo current risk.\n\
## substance-use\nDrinks at weekends.\n\
## psychotherapy-notes\nA hunch about the father.\n\
## diagnosis\nF41.1\n";

fn count(path: &Path, table: &str) -> i64 {
    let db = rusqlite::Connection::open(path).expect("open the file with SQLite");
    db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

/// One sealed part of a note record.
struct Part {
    reference: RecordRef,
    place: String,
    compartment: String,
    sealed: Vec<u8>,
}

fn parts_of(row: &Row, plain: &[u8]) -> Vec<Part> {
    note_parts(plain)
        .into_iter()
        .map(|(place, compartment, sealed)| Part {
            reference: row.reference.clone(),
            place,
            compartment,
            sealed,
        })
        .collect()
}

/// The category and text of `part` if any of `keys` opens it (every key tried, not
/// only the one the part names).
fn open_part(keys: &Keys, part: &Part) -> Option<(String, String)> {
    keys.iter().find_map(|(_, key)| {
        open_part_with(
            key,
            &part.reference,
            &part.place,
            &part.compartment,
            &part.sealed,
        )
    })
}

/// What the test wrote, to say what each row and part is.
#[derive(Default)]
struct Book {
    /// client id -> its name in the test ("A", "B").
    clients: BTreeMap<String, String>,
    /// note id -> (client id, author).
    notes: BTreeMap<String, (String, String)>,
    /// consent id -> client id.
    consents: BTreeMap<String, String>,
    /// member -> role.
    roles: BTreeMap<String, String>,
    /// (member, client id) assignments standing today.
    assigned: BTreeSet<(String, String)>,
}

impl Book {
    fn name(&self, client: &str) -> &str {
        self.clients.get(client).map_or("?", String::as_str)
    }

    /// How a row reads in an assertion's message.
    fn describe(&self, r: &RecordRef) -> String {
        let about = match r.kind {
            RecordKind::Client => format!(" (client {})", self.name(&r.id)),
            RecordKind::Note => self.notes.get(&r.id).map_or(String::new(), |(c, a)| {
                format!(" (client {}, by {a})", self.name(c))
            }),
            RecordKind::Consent => self
                .consents
                .get(&r.id)
                .map_or(String::new(), |c| format!(" (client {})", self.name(c))),
            _ => String::new(),
        };
        format!("{} {} v{}{about}", r.kind.as_str(), r.id, r.version)
    }

    fn reads(&self, member: &str, name: &str) -> bool {
        role_row(&self.roles[member]).reads.contains(&name)
    }

    fn sees(&self, member: &str, client: &str) -> bool {
        role_row(&self.roles[member]).all_clients
            || self
                .assigned
                .contains(&(member.to_owned(), client.to_owned()))
    }

    /// Whether the role table entitles `member` to open `r` (as a whole record).
    fn may_open_record(&self, member: &str, r: &RecordRef) -> bool {
        let client_record =
            |client: &str, name: &str| self.sees(member, client) && self.reads(member, name);
        match r.kind {
            // The practice compartment: every active member.
            RecordKind::Roster
            | RecordKind::Caseload
            | RecordKind::Policy
            | RecordKind::AccessRequest => true,
            // The audit identity, sealed for the audit reviewers; a member's own keys,
            // sealed under their personal key (no compartment key opens them).
            RecordKind::Member => r.id == "audit" && role_row(&self.roles[member]).audit_review,
            RecordKind::Client => client_record(&r.id, "identity"),
            RecordKind::Note => {
                let (client, _) = &self.notes[&r.id];
                client_record(client, "attendance")
            }
            RecordKind::Consent => client_record(&self.consents[&r.id], "consents"),
            other => panic!("the test does not expect a {} record", other.as_str()),
        }
    }

    /// Whether `member` may open the part of `category` of note `note`.
    fn may_open_part(&self, member: &str, note: &str, category: &str) -> bool {
        let (client, author) = &self.notes[note];
        self.sees(member, client)
            && self.reads(member, category)
            && (category != PN || author == member)
    }
}

/// Every part of every note row, with its category, read with everyone's keys
/// together (so that a part is tried on every member whether or not their keys open
/// the note's record).
fn all_parts(rows: &[Row], everyone: &[&Keys]) -> Vec<(Part, String)> {
    let mut out = Vec::new();
    for row in rows.iter().filter(|r| r.reference.kind == RecordKind::Note) {
        let plain = everyone
            .iter()
            .find_map(|keys| open_row(keys, row))
            .unwrap_or_else(|| panic!("nobody's keys open {}", row.reference));
        let parts = parts_of(row, &plain);
        assert!(!parts.is_empty(), "{} has no parts", row.reference);
        for part in parts {
            let (category, _) = everyone
                .iter()
                .find_map(|keys| open_part(keys, &part))
                .unwrap_or_else(|| {
                    panic!(
                        "nobody's keys open the {} part {} of {}",
                        part.place, part.compartment, row.reference
                    )
                });
            out.push((part, category));
        }
    }
    out
}

fn new_client(session: &mut Session, name: &str) -> String {
    session
        .add_client(NewClient {
            name: name.into(),
            ..NewClient::default()
        })
        .unwrap_or_else(|e| panic!("add client {name}: {e}"))
        .to_string()
}

fn new_note(session: &mut Session, client: &str, day: &str, body: &str) -> String {
    session
        .add_note(NewNote::individual(client, date(day), body))
        .unwrap_or_else(|e| panic!("{} adds a note: {e}", session.member()))
        .to_string()
}

fn new_consent(session: &mut Session, client: &str) -> String {
    session
        .add_consent(NewConsent {
            client: client.into(),
            recipient: ConsentRecipient {
                name: "Dr. Osei".into(),
                organization: None,
                public_key: None,
            },
            purposes: vec!["treatment".into()],
            categories: vec!["diagnosis".into()],
            excluded: Vec::new(),
            effective: date("2020-01-01"),
            expires: date("2099-12-31"),
            signed_by: String::new(),
            relationship: Relationship::Client,
            tpo: None,
        })
        .expect("add a consent")
        .0
        .to_string()
}

fn add_member(owner: &mut Session, book: &mut Book, name: &str, role: &str) {
    practice::add_member(owner, name, role);
    book.roles.insert(name.to_owned(), role.to_owned());
}

fn sorted<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    items.into_iter().collect()
}

#[test]
fn each_default_role_opens_exactly_its_compartments() {
    let (_dir, path, mut owner) = new_vault();
    let mut book = Book::default();
    book.roles.insert(OWNER.into(), "owner".into());
    add_member(&mut owner, &mut book, "dr-c", "clinician");
    add_member(&mut owner, &mut book, "dr-s", "supervisor");
    add_member(&mut owner, &mut book, "bill", "biller");
    add_member(&mut owner, &mut book, "rec", "records");
    let a = new_client(&mut owner, "Client A");
    let b = new_client(&mut owner, "Client B");
    book.clients.insert(a.clone(), "A".into());
    book.clients.insert(b.clone(), "B".into());
    owner
        .assign_client("dr-c", &a, None)
        .expect("assign A to dr-c");
    owner
        .assign_client("dr-s", &a, Some(date("2099-12-31")))
        .expect("assign A to dr-s");
    book.assigned.insert(("dr-c".into(), a.clone()));
    book.assigned.insert(("dr-s".into(), a.clone()));
    let consent = new_consent(&mut owner, &a);
    book.consents.insert(consent, a.clone());
    let note_b = new_note(&mut owner, &b, "2026-03-02", FULL_NOTE);
    book.notes.insert(note_b.clone(), (b.clone(), OWNER.into()));
    drop(owner);
    let mut clinician = unlock(&path, "dr-c");
    let note_a = new_note(&mut clinician, &a, "2026-03-02", FULL_NOTE);
    book.notes
        .insert(note_a.clone(), (a.clone(), "dr-c".into()));
    drop(clinician);

    let members = [OWNER, "dr-c", "dr-s", "bill", "rec"];
    let keys: BTreeMap<&str, Keys> = members.iter().map(|m| (*m, keys_of(&path, m))).collect();
    let rows = rows(&path);
    let everyone: Vec<&Keys> = keys.values().collect();
    let parts = all_parts(&rows, &everyone);
    // Every category has a part in both notes, opened by someone.
    for note in [&note_a, &note_b] {
        let categories = sorted(
            parts
                .iter()
                .filter(|(p, _)| &p.reference.id == note)
                .map(|(_, c)| c.as_str()),
        );
        assert_eq!(categories, sorted(CATEGORIES), "the categories of {note}");
    }

    let mut failures = Vec::new();
    for member in members {
        let keys = &keys[member];
        let opened = sorted(
            rows.iter()
                .filter(|row| open_row(keys, row).is_some())
                .map(|row| book.describe(&row.reference)),
        );
        let expected = sorted(
            rows.iter()
                .filter(|row| book.may_open_record(member, &row.reference))
                .map(|row| book.describe(&row.reference)),
        );
        if opened != expected {
            failures.push(format!(
                "{member} ({}): records opened but not entitled: {:?}; entitled but not opened: {:?}",
                book.roles[member],
                opened.difference(&expected).collect::<Vec<_>>(),
                expected.difference(&opened).collect::<Vec<_>>(),
            ));
        }
        let label = |part: &Part, category: &str| {
            format!(
                "{} {}: {category}",
                book.describe(&part.reference),
                part.place
            )
        };
        let opened_parts = sorted(parts.iter().filter_map(|(part, _)| {
            open_part(keys, part).map(|(category, _)| label(part, &category))
        }));
        let expected_parts = sorted(
            parts
                .iter()
                .filter(|(part, category)| book.may_open_part(member, &part.reference.id, category))
                .map(|(part, category)| label(part, category)),
        );
        if opened_parts != expected_parts {
            failures.push(format!(
                "{member} ({}): parts opened but not entitled: {:?}; entitled but not opened: {:?}",
                book.roles[member],
                opened_parts.difference(&expected_parts).collect::<Vec<_>>(),
                expected_parts.difference(&opened_parts).collect::<Vec<_>>(),
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The same, spelled out for the notes, so that the table above cannot be wrong
    // in the same way as the library.
    let categories_of = |member: &str, note: &str| {
        sorted(
            parts
                .iter()
                .filter(|(p, _)| p.reference.id == note)
                .filter_map(|(p, _)| open_part(&keys[member], p).map(|(c, _)| c)),
        )
    };
    let all = sorted(CATEGORIES.iter().map(|c| c.to_string()));
    let without = |gone: &[&str]| {
        sorted(
            CATEGORIES
                .iter()
                .filter(|c| !gone.contains(c))
                .map(|c| c.to_string()),
        )
    };
    let none = BTreeSet::new();
    let billing = sorted(["identity", "attendance", "diagnosis"].map(String::from));
    assert_eq!(categories_of("dr-c", &note_a), all);
    assert_eq!(categories_of("dr-c", &note_b), none);
    assert_eq!(categories_of(OWNER, &note_a), without(&[PN]));
    assert_eq!(categories_of(OWNER, &note_b), all);
    assert_eq!(
        categories_of("dr-s", &note_a),
        without(&[PN, "substance-use"])
    );
    assert_eq!(categories_of("dr-s", &note_b), none);
    assert_eq!(categories_of("bill", &note_a), billing);
    assert_eq!(categories_of("bill", &note_b), billing);
    assert_eq!(categories_of("rec", &note_a), without(&[PN]));
    assert_eq!(categories_of("rec", &note_b), without(&[PN]));
}

#[test]
fn a_removed_member_holds_nothing_new() {
    let (_dir, path, mut owner) = new_vault();
    let mut book = Book::default();
    book.roles.insert(OWNER.into(), "owner".into());
    add_member(&mut owner, &mut book, "dr-c", "clinician");
    let a = new_client(&mut owner, "Client A");
    book.clients.insert(a.clone(), "A".into());
    owner.assign_client("dr-c", &a, None).expect("assign A");
    let consent = new_consent(&mut owner, &a);
    book.consents.insert(consent.clone(), a.clone());
    let owners_old = new_note(&mut owner, &a, "2026-03-01", FULL_NOTE);
    book.notes
        .insert(owners_old.clone(), (a.clone(), OWNER.into()));
    drop(owner);
    let mut clinician = unlock(&path, "dr-c");
    let theirs = new_note(&mut clinician, &a, "2026-03-02", FULL_NOTE);
    book.notes
        .insert(theirs.clone(), (a.clone(), "dr-c".into()));
    drop(clinician);
    let captured = keys_of(&path, "dr-c");

    let mut owner = unlock(&path, OWNER);
    owner.remove_member("dr-c").expect("remove dr-c");
    drop(owner);
    let refused =
        Vault::open(&path)
            .expect("open")
            .unlock_member(&passphrase("dr-c"), "dr-c", Some("dr-c"));
    match refused {
        Ok(_) => panic!("a removed member's passphrase still unlocks"),
        Err(e) => assert_eq!(e.class(), ErrorClass::WrongSecret, "{e}"),
    }
    assert!(
        unwrap_all(&path, "dr-c", &keyslot_of("dr-c"), &passphrase("dr-c")).is_err(),
        "a removed member's keyslot still unwraps keys"
    );

    // A note written after the removal: none of dr-c's keys opens any of it.
    let mut owner = unlock(&path, OWNER);
    let new = new_note(&mut owner, &a, "2026-03-03", FULL_NOTE);
    book.notes.insert(new.clone(), (a.clone(), OWNER.into()));
    drop(owner);
    let owners = keys_of(&path, OWNER);
    let rows = rows(&path);
    let new_rows: Vec<&Row> = rows.iter().filter(|r| r.reference.id == new).collect();
    assert_eq!(new_rows.len(), 1);
    let plain = open_row(&owners, new_rows[0]).expect("the owner opens the new note");
    assert!(
        open_row(&captured, new_rows[0]).is_none(),
        "dr-c's old keys open the note written after their removal"
    );
    let new_parts = parts_of(new_rows[0], &plain);
    assert_eq!(new_parts.len(), CATEGORIES.len());
    for part in &new_parts {
        let owner_reads = open_part(&owners, part).map(|(c, _)| c);
        assert!(
            owner_reads.is_some(),
            "the owner opens each part of their note"
        );
        assert!(
            open_part(&captured, part).is_none(),
            "dr-c's old keys open the {:?} part of the note written after their removal",
            owner_reads
        );
    }

    // Before rekey, what was written before still opens with the old keys.
    let old_opened = sorted(
        rows.iter()
            .filter(|row| open_row(&captured, row).is_some())
            .map(|row| book.describe(&row.reference)),
    );
    for expected in [
        RecordRef::new(RecordKind::Client, a.clone(), 1),
        RecordRef::new(RecordKind::Note, theirs.clone(), 1),
        RecordRef::new(RecordKind::Note, owners_old.clone(), 1),
        RecordRef::new(RecordKind::Consent, consent.clone(), 1),
    ] {
        assert!(
            old_opened.contains(&book.describe(&expected)),
            "before rekey, dr-c's old keys should still open {} (they opened {old_opened:?})",
            book.describe(&expected)
        );
    }

    let mut owner = unlock(&path, OWNER);
    let report = owner.rekey(&mut |_, _| {}).expect("rekey");
    drop(owner);
    let owners = keys_of(&path, OWNER);
    let rows = self::rows(&path);
    let mut still = Vec::new();
    let mut pn_parts = Vec::new();
    for row in &rows {
        let Some(plain) = open_row(&owners, row) else {
            continue;
        };
        if open_row(&captured, row).is_some() {
            still.push(format!("record {}", book.describe(&row.reference)));
        }
        if row.reference.kind != RecordKind::Note {
            continue;
        }
        for part in parts_of(row, &plain) {
            let Some((category, _)) = open_part(&captured, &part) else {
                continue;
            };
            let (_, author) = &book.notes[&row.reference.id];
            if category == PN && author == "dr-c" && open_part(&owners, &part).is_none() {
                pn_parts.push(format!("{} {}", book.describe(&row.reference), part.place));
            } else {
                still.push(format!(
                    "part {category} of {} {}",
                    book.describe(&row.reference),
                    part.place
                ));
            }
        }
    }
    assert!(
        still.is_empty(),
        "after rekey ({report:?}), dr-c's old keys still open what the owner holds:\n{}",
        still.join("\n")
    );
    // The documented exception: dr-c's own psychotherapy notes, which nobody else
    // holds and so nobody can seal again. Exactly the one part dr-c wrote.
    assert_eq!(
        pn_parts,
        [format!(
            "{} body",
            book.describe(&RecordRef::new(RecordKind::Note, theirs.clone(), 1))
        )]
    );
}

/// A JSON value with every string replaced by its length: ids, timestamps and
/// sealed parts all differ between two notes, but must not differ in size.
fn shape(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(format!("<{} bytes>", s.len())),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        other => other.clone(),
    }
}

#[test]
fn a_biller_cannot_tell_which_client_has_substance_use_notes() {
    let (_dir, path, mut owner) = new_vault();
    let mut book = Book::default();
    book.roles.insert(OWNER.into(), "owner".into());
    add_member(&mut owner, &mut book, "bill", "biller");
    let x = new_client(&mut owner, "Client X");
    let y = new_client(&mut owner, "Client Y");
    book.clients.insert(x.clone(), "X".into());
    book.clients.insert(y.clone(), "Y".into());
    // Equally short texts of the categories both have; X alone has substance-use and
    // psychotherapy notes, each short enough for the smallest padding bucket.
    let with = "Came in.\n## risk\nLow.\n## substance-use\nDrinks.\n\
                ## psychotherapy-notes\nA hunch.\n## diagnosis\nF41.1\n";
    let without = "Came in.\n## risk\nLow.\n## diagnosis\nF41.1\n";

    let mut seen = Vec::new();
    for (client, body) in [(&x, with), (&y, without)] {
        let grants = count(&path, "grants");
        let records = count(&path, "records");
        let note = new_note(&mut owner, client, "2026-03-05", body);
        book.notes
            .insert(note.clone(), (client.clone(), OWNER.into()));
        seen.push((
            note,
            count(&path, "grants") - grants,
            count(&path, "records") - records,
        ));
    }
    drop(owner);
    // What a reader of the file sees of each note's writing: the same rows. (The
    // psychotherapy notes' compartment of the author is made for both clients alike.)
    // Sealed sizes are not compared: age adds a random-length stanza to every header.
    assert_eq!(
        (seen[0].1, seen[0].2),
        (seen[1].1, seen[1].2),
        "the grants and records added differ between the note with substance-use and \
         psychotherapy notes and the note without"
    );

    let bill = keys_of(&path, "bill");
    let rows = rows(&path);
    let row_of = |note: &str| {
        rows.iter()
            .find(|r| r.reference.kind == RecordKind::Note && r.reference.id == note)
            .expect("the note's row")
    };
    let (rx, ry) = (row_of(&seen[0].0), row_of(&seen[1].0));
    let px = open_row(&bill, rx).expect("the biller opens X's note record");
    let py = open_row(&bill, ry).expect("the biller opens Y's note record");
    let jx: serde_json::Value = serde_json::from_slice(&px).expect("JSON");
    let jy: serde_json::Value = serde_json::from_slice(&py).expect("JSON");
    let parts_x = parts_of(rx, &px);
    let parts_y = parts_of(ry, &py);
    assert_eq!(
        parts_x.len(),
        parts_y.len(),
        "the notes have different numbers of parts"
    );
    assert_eq!(parts_x.len(), CATEGORIES.len());
    // The owner's keys name each part in the messages (the biller's could not).
    let owner = keys_of(&path, OWNER);
    let category_of = |part: &Part| open_part(&owner, part).map(|(c, _)| c);
    let mut differences = Vec::new();
    let mut closed = 0;
    for (part_x, part_y) in parts_x.iter().zip(&parts_y) {
        assert_eq!(part_x.place, part_y.place);
        let category = category_of(part_x).expect("the owner opens each part");
        assert_eq!(
            category_of(part_y).as_ref(),
            Some(&category),
            "parts in order"
        );
        let open_x = open_part(&bill, part_x).map(|(c, _)| c);
        let open_y = open_part(&bill, part_y).map(|(c, _)| c);
        assert_eq!(
            open_x, open_y,
            "the biller opens the {category} part of one note and not of the other"
        );
        match &open_x {
            Some(opened) => assert!(
                ["identity", "attendance", "diagnosis"].contains(&opened.as_str()),
                "the biller opens a {opened} part"
            ),
            None => closed += 1,
        }
        if part_x.sealed.len() != part_y.sealed.len() {
            differences.push(format!(
                "{category} part ({}opened by the biller): sealed {} bytes in X's note \
                 (which has the section) and {} in Y's",
                if open_x.is_some() { "" } else { "not " },
                part_x.sealed.len(),
                part_y.sealed.len(),
            ));
        }
    }
    assert_eq!(closed, CATEGORIES.len() - 3);
    assert!(
        differences.is_empty(),
        "the biller tells the notes apart by their parts' sizes:\n{}",
        differences.join("\n")
    );
    assert_eq!(
        shape(&jx),
        shape(&jy),
        "the note records differ in structure"
    );
}
