//! Redaction tables, one per identifier class: each row is redacted when its
//! category is refused and kept whole when it is permitted; near misses stay under
//! every permission. Then properties: redaction never panics, and a third party's
//! name never survives a refusal, whatever text surrounds it.

use casevault::{Client, IdentifierClass, Redaction, RedactionKind, Redactor};
use proptest::prelude::*;

use IdentifierClass::{Address, DateOfBirth, Email, Name, Phone, Ssn};
use RedactionKind::{Identity, ThirdParty};

fn client() -> Client {
    Client {
        id: "0badcafe".into(),
        name: "Ada Marsh".into(),
        date_of_birth: Some("1990-05-17".parse().expect("a date")),
        contact: Some("555-123-4567, ada.marsh@example.org, 12 Elm St., Springfield".into()),
        third_parties: vec![
            "Ben Quill (partner)".into(),
            "Zoë".into(),
            "José García-Núñez (employer)".into(),
        ],
        created_at: "2026-03-01T00:00:00Z".into(),
    }
}

const PERMISSIONS: [(bool, bool); 4] = [(false, false), (true, false), (false, true), (true, true)];

/// Each row: a text holding identifiers of `kind` and `class` only, and the text
/// expected when `kind` is refused, with `{M}` where each marker goes.
fn redacted(kind: RedactionKind, class: IdentifierClass, rows: &[(&str, &str)]) {
    let expected_redaction = Redaction { kind, class };
    for &(text, template) in rows {
        for (identity, third_party) in PERMISSIONS {
            let permitted = match kind {
                Identity => identity,
                ThirdParty => third_party,
            };
            let (out, redactions) = Redactor::new(&client(), identity, third_party).redact(text);
            if permitted {
                assert_eq!(out, text, "kept when {kind} is permitted");
                assert!(redactions.is_empty(), "{text:?}: {redactions:?}");
            } else {
                assert_eq!(
                    out,
                    template.replace("{M}", kind.marker()),
                    "{text:?} with {kind} refused"
                );
                assert_eq!(
                    redactions,
                    vec![expected_redaction; template.matches("{M}").count()],
                    "{text:?}"
                );
            }
        }
    }
}

/// Texts that hold nothing to redact, under any permission.
fn kept(texts: &[&str]) {
    for text in texts {
        for (identity, third_party) in PERMISSIONS {
            let (out, redactions) = Redactor::new(&client(), identity, third_party).redact(text);
            assert_eq!(&out, text);
            assert!(redactions.is_empty(), "{text:?}: {redactions:?}");
        }
    }
}

#[test]
fn third_party_names() {
    redacted(
        ThirdParty,
        Name,
        &[
            ("Ben Quill came.", "{M} came."),
            ("BEN QUILL came.", "{M} came."),
            ("ben quill", "{M}"),
            ("Ben  Quill's car", "{M}'s car"),
            ("Ben Quill’s car", "{M}’s car"),
            ("ben-quill", "{M}"),
            ("Ben\nQuill", "{M}"),
            ("Quill, Ben", "{M}, {M}"),
            ("Ben", "{M}"),
            ("(Ben)", "({M})"),
            ("“Ben,” she said", "“{M},” she said"),
            ("_Ben_ and **Quill**", "_{M}_ and **{M}**"),
            ("Ben and Zoë", "{M} and {M}"),
            ("Zoë cried", "{M} cried"),
            ("ZOË", "{M}"),
            ("Zoe", "{M}"),
            ("zoe\u{308}!", "{M}!"),
            ("José García-Núñez", "{M}"),
            ("JOSE GARCIA NUNEZ", "{M}"),
            ("García said", "{M} said"),
            ("Núñez's office", "{M}'s office"),
            // Pasted from a word processor: soft hyphens and zero-width characters.
            ("Be\u{ad}n Qu\u{ad}ill came.", "{M} came."),
            ("Ben\u{200b} Quill", "{M}"),
            // Full-width letters.
            ("Ｂｅｎ Ｑｕｉｌｌ came.", "{M} came."),
        ],
    );
}

#[test]
fn third_party_name_near_misses() {
    kept(&[
        "Benjamin",
        "a bench",
        "Benny's",
        "Quills",
        "Zoetrope",
        "Josefina",
        "her partner and her employer",
        "BenQuill",
    ]);
}

#[test]
fn the_clients_name() {
    redacted(
        Identity,
        Name,
        &[
            ("Ada Marsh came", "{M} came"),
            ("ADA MARSH", "{M}"),
            ("ada  marsh's", "{M}'s"),
            ("Ada", "{M}"),
            ("Marsh said", "{M} said"),
            ("MARSH", "{M}"),
            ("Marsh, Ada", "{M}, {M}"),
        ],
    );
}

#[test]
fn the_clients_name_near_misses() {
    // "marsh" is also a word: alone, only the capitalized one is the name.
    kept(&["Adam", "Nevada", "Marshall", "the marsh flooded", "adamant"]);
}

#[test]
fn phone_numbers_of_others() {
    let rows: Vec<(String, String)> = [
        "+1 555-987-6543",
        "(555) 987-6543",
        "555.987.6543",
        "555 987 6543",
        "0151 234 5678",
        "+44 20 7946 0958",
        "+44 (0)20 7946 0958",
        "07700 900123",
        "5559876543",
    ]
    .iter()
    .map(|phone| (format!("call {phone} now"), "call {M} now".to_owned()))
    .collect();
    let rows: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    redacted(ThirdParty, Phone, &rows);
}

#[test]
fn the_clients_phone_however_written() {
    redacted(
        Identity,
        Phone,
        &[
            ("call 555-123-4567", "call {M}"),
            ("call (555) 123-4567", "call {M}"),
            ("call +1 555 123 4567", "call {M}"),
            ("call 555.123.4567.", "call {M}."),
            ("call 5551234567", "call {M}"),
            ("call 1-555-123-4567", "call {M}"),
        ],
    );
}

#[test]
fn numbers_that_are_not_phones() {
    kept(&[
        "session on 2026-03-01",
        "worked there 2019-2021",
        "sertraline 50 mg",
        "at 10:30",
        "case 12345",
        "F41.1",
        "v1.2.3",
        "3.5 hours",
        "PHQ-9 score 14",
        "BP 120/80",
    ]);
}

#[test]
fn email_addresses() {
    redacted(
        ThirdParty,
        Email,
        &[
            ("write to ben@quill.example", "write to {M}"),
            ("<b.q+therapy@mail.example.co.uk>", "<{M}>"),
            ("Ben.Q@Example.ORG.", "{M}."),
            ("j_garcia@exämple.de", "{M}"),
        ],
    );
    redacted(
        Identity,
        Email,
        &[
            ("ada.marsh@example.org", "{M}"),
            ("ADA.MARSH@EXAMPLE.ORG", "{M}"),
            ("(ada.marsh+notes@example.org)", "({M})"),
        ],
    );
    kept(&[
        "@home",
        "name at example dot org",
        "user@localhost",
        "a @ b",
    ]);
}

#[test]
fn ssn_like_numbers() {
    redacted(
        ThirdParty,
        Ssn,
        &[
            ("SSN 123-45-6789.", "SSN {M}."),
            ("SSN 123 45 6789", "SSN {M}"),
            // The Canadian social insurance number's shape; nothing else is written so.
            ("SIN 123-456-789", "SIN {M}"),
        ],
    );
    kept(&["123 456 789", "12-345-6789", "1234-56-789"]);
}

#[test]
fn street_addresses() {
    redacted(
        ThirdParty,
        Address,
        &[
            ("lives at 221B Baker Street", "lives at {M}"),
            ("14 Elm Street", "{M}"),
            ("350 5th Avenue, Apt 4B.", "{M}."),
            ("9 rose lane", "{M}"),
            ("4 Hawthorn Court", "{M}"),
            ("77 Sunset Blvd", "{M}"),
            ("10 Downing St.", "{M}."),
        ],
    );
    redacted(
        Identity,
        Address,
        &[
            ("12 Elm St.", "{M}."),
            ("12 Elm Street", "{M}"),
            ("12 ELM STREET", "{M}"),
            ("at 12 elm st", "at {M}"),
        ],
    );
    kept(&[
        "3 sessions",
        "2 weeks ago",
        "10 mg daily",
        "5 minutes down the road",
        "2 family court dates",
        "1 more way",
    ]);
}

#[test]
fn dates_of_birth() {
    redacted(
        ThirdParty,
        DateOfBirth,
        &[
            ("born 1985-01-02", "born {M}"),
            ("DOB: 01/02/1985", "DOB: {M}"),
            ("date of birth 2 January 1985", "date of birth {M}"),
            ("her son (b. 2015-02-03)", "her son (b. {M})"),
            ("born on Jan 2, 1985", "born on {M}"),
            ("Date of Birth: 02.01.85", "Date of Birth: {M}"),
        ],
    );
    // The client's own is hers wherever it stands, with or without "born".
    redacted(
        Identity,
        DateOfBirth,
        &[
            ("born 1990-05-17", "born {M}"),
            ("DOB: 05/17/1990", "DOB: {M}"),
            ("17/05/1990", "{M}"),
            ("17 May 1990", "{M}"),
            ("May 17, 1990", "{M}"),
            ("b. 1990-05-17", "b. {M}"),
        ],
    );
    kept(&[
        "session on 2026-03-01",
        "next appointment 17 May 2026",
        "born in 1985",
        "her birthday is in May",
    ]);
}

#[test]
fn a_whole_note_under_each_permission() {
    let note = "Ada Marsh (DOB 1990-05-17) came with Ben Quill. Ben's mother, born \
                1960-02-03, lives at 14 Elm Street; reach her on 555-987-6543. Ada \
                can be reached on (555) 123-4567. Session on 2026-03-01, 50 mg.";
    let (id, tp) = (Identity.marker(), ThirdParty.marker());
    let expect = [
        format!(
            "{id} (DOB {id}) came with {tp}. {tp}'s mother, born {tp}, lives at {tp}; \
             reach her on {tp}. {id} can be reached on {id}. Session on 2026-03-01, 50 mg."
        ),
        format!(
            "Ada Marsh (DOB 1990-05-17) came with {tp}. {tp}'s mother, born {tp}, lives \
             at {tp}; reach her on {tp}. Ada can be reached on (555) 123-4567. Session \
             on 2026-03-01, 50 mg."
        ),
        format!(
            "{id} (DOB {id}) came with Ben Quill. Ben's mother, born 1960-02-03, lives at \
             14 Elm Street; reach her on 555-987-6543. {id} can be reached on {id}. \
             Session on 2026-03-01, 50 mg."
        ),
        note.to_owned(),
    ];
    for ((identity, third_party), expected) in PERMISSIONS.into_iter().zip(expect) {
        let (out, _) = Redactor::new(&client(), identity, third_party).redact(note);
        assert_eq!(
            out, expected,
            "identity {identity}, third-party {third_party}"
        );
    }
}

/// Every third-party name part, as it would be read: with and without accents.
const THIRD_PARTY_WORDS: &[&str] = &[
    "ben", "quill", "zoë", "zoe", "josé", "jose", "garcía", "garcia", "núñez", "nunez",
];

/// The names as a clinician might write them.
const NAME_VARIANTS: &[&str] = &[
    "Ben Quill",
    "BEN QUILL",
    "ben quill",
    "Ben  Quill's",
    "ben-quill",
    "Ben\nQuill",
    "Quill, Ben",
    "**Ben**",
    "_Quill_",
    "Zoë",
    "ZOË",
    "Zoe",
    "zoe\u{308}",
    "José García-Núñez",
    "JOSE GARCIA-NUNEZ",
    "Núñez's",
    "garcía",
];

/// Surrounding text: letters (some accented), digits, punctuation, spaces, lines.
const SURROUNDING: &str = "[a-zA-Z0-9éüßÆ .,;:!?'\"()*#/@+_\\-\n]{0,30}";

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

proptest! {
    #[test]
    fn redaction_never_panics(
        text in any::<String>(),
        identity in any::<bool>(),
        third_party in any::<bool>(),
    ) {
        let (out, redactions) = Redactor::new(&client(), identity, third_party).redact(&text);
        prop_assert!(redactions.len() <= out.len());
    }

    #[test]
    fn number_soup_never_panics(
        text in "[0-9 +().\\-/:,a-zA-Z@]{0,80}",
        identity in any::<bool>(),
    ) {
        let _ = Redactor::new(&client(), identity, false).redact(&text);
    }

    #[test]
    fn third_party_names_never_survive_a_refusal(
        before in SURROUNDING,
        after in SURROUNDING,
        name in prop::sample::select(NAME_VARIANTS),
        open in prop::sample::select(&[" ", "\n", "(", "\"", "-- ", "*", "_"][..]),
        close in prop::sample::select(&[" ", "\n", ")", ".", "'s ", ",", "_", "!"][..]),
        identity in any::<bool>(),
    ) {
        let text = format!("{before}{open}{name}{close}{after}");
        let (out, redactions) = Redactor::new(&client(), identity, false).redact(&text);
        let words = words(&out);
        for name_word in THIRD_PARTY_WORDS {
            prop_assert!(
                !words.iter().any(|w| w == name_word),
                "{name_word:?} survives in {out:?}"
            );
        }
        prop_assert!(!redactions.is_empty());
    }

    #[test]
    fn the_clients_name_never_survives_a_refusal(
        before in SURROUNDING,
        after in SURROUNDING,
        name in prop::sample::select(&["Ada Marsh", "ADA MARSH", "ada marsh", "Ada", "Marsh's"][..]),
        third_party in any::<bool>(),
    ) {
        let text = format!("{before} {name} {after}");
        let (out, _) = Redactor::new(&client(), false, third_party).redact(&text);
        let words = words(&out);
        prop_assert!(!words.iter().any(|w| w == "ada" || w == "marsh"), "{out:?}");
    }
}
