//! Property test of what leaves in a disclosure (README.md, "The rules"; docs/EXPORT.md,
//! "What goes in"): for random requests
//! under an exact consent, an `all` consent or the client's own request, the export
//! (decrypted with the age crate) carries exactly the canaries of the categories
//! requested and permitted, a `[withheld: <category>]` marker for every other section
//! of a category the policy marks (and no trace at all of the others: substance use,
//! psychotherapy and sexual health notes are not even said to exist),
//! no third party's name unless `third-party` is permitted, and none of the client's
//! identifiers unless `identity` is; a request the policy denies writes nothing.
//!
//! One vault serves every case (built once, through the library, so a case costs
//! milliseconds); each case has a client, note and consent of its own.

use std::cell::RefCell;
use std::io::Read;
use std::path::PathBuf;

use casevault::{
    ConsentRecipient, Date, DisclosureRequest, Error, ExportEncryption, ExportFormat,
    ExportOptions, KdfParams, NewClient, NewConsent, NewNote, Relationship, Session, Vault,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use secrecy::SecretString;
use serde_json::Value;

const CATEGORIES: [&str; 11] = [
    "identity",
    "attendance",
    "diagnosis",
    "treatment-plan",
    "progress",
    "medication",
    "risk",
    "psychotherapy-notes",
    "substance-use",
    "sexual-health",
    "third-party",
];
const PSYCHOTHERAPY: &str = "psychotherapy-notes";
const SUBSTANCE: &str = "substance-use";

/// The session date of every note; it leaves only with `attendance`.
const SESSION: &str = "2025-02-14";
/// The day of every decision.
const TODAY: &str = "2026-06-01";

/// What a request rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ground {
    /// A consent to Dr Exact naming exactly the requested categories (`--consent ID`).
    ExactConsent,
    /// A consent to Dr All naming `all`.
    AllConsent,
    /// The client's own request (`--to client --purpose client-request`).
    OwnRequest,
}

#[derive(Clone, Debug)]
struct Case {
    ground: Ground,
    /// The categories requested; `["all"]` stands for `--categories all`.
    request: Vec<&'static str>,
    json: bool,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![
            2 => Just(Ground::ExactConsent),
            2 => Just(Ground::AllConsent),
            1 => Just(Ground::OwnRequest),
        ],
        1u16..(1 << CATEGORIES.len()),
        0u8..4,
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(ground, mask, twist, json, seed)| {
            let mut request: Vec<&'static str> = CATEGORIES
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, c)| *c)
                .collect();
            // Mostly permitted requests, a quarter that the policy must deny.
            match ground {
                Ground::ExactConsent if request.contains(&PSYCHOTHERAPY) && twist % 2 == 0 => {
                    request = vec![PSYCHOTHERAPY];
                }
                Ground::AllConsent if twist != 0 => {
                    request.retain(|c| *c != PSYCHOTHERAPY && *c != SUBSTANCE);
                }
                Ground::OwnRequest if twist == 1 => request = vec!["all"],
                Ground::OwnRequest if twist != 0 => request.retain(|c| *c != PSYCHOTHERAPY),
                _ => {}
            }
            if request.is_empty() {
                request.push("progress");
            }
            Case {
                ground,
                request,
                json,
                seed,
            }
        })
}

/// The categories a request stands for (`all` expanded as the policy expands it for
/// the client's own request: everything but psychotherapy notes).
fn requested(case: &Case) -> Vec<&'static str> {
    if case.request == ["all"] {
        CATEGORIES
            .iter()
            .copied()
            .filter(|c| *c != PSYCHOTHERAPY)
            .collect()
    } else {
        case.request.clone()
    }
}

/// The model of the rules (README.md, "The rules") for these three grounds.
fn permitted(case: &Case, category: &str) -> bool {
    match case.ground {
        // Psychotherapy notes need a consent naming them alone; substance use needs
        // naming, which an exact consent does.
        Ground::ExactConsent => category != PSYCHOTHERAPY || case.request == [PSYCHOTHERAPY],
        // `all` covers neither.
        Ground::AllConsent => category != PSYCHOTHERAPY && category != SUBSTANCE,
        Ground::OwnRequest => category != PSYCHOTHERAPY,
    }
}

/// Deterministic letters from the case's seed (SplitMix64), so a failing case
/// reproduces with the same canaries.
struct Letters(u64);

impl Letters {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn word(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'a' + (self.next() % 26) as u8))
            .collect()
    }

    fn name(&mut self, initial: char, len: usize) -> String {
        format!("{initial}{}", self.word(len))
    }

    fn digits(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'0' + (self.next() % 10) as u8))
            .collect()
    }
}

/// One case's client and note.
struct People {
    name: String,
    dob: String,
    phone: String,
    email: String,
    third_party: String,
    /// An emergency contact written in the client's contact field: someone else,
    /// who is not on the profile's list of third parties.
    emergency: [String; 3],
    /// One canary per category, in [`CATEGORIES`]' order.
    canaries: Vec<String>,
}

impl People {
    fn new(seed: u64) -> People {
        let mut l = Letters(seed);
        People {
            name: format!("{} {}", l.name('Q', 6), l.name('Z', 8)),
            dob: format!(
                "19{}-0{}-1{}",
                40 + l.next() % 60,
                1 + l.next() % 9,
                l.next() % 10
            ),
            phone: format!("+1 555 {} {}", l.digits(3), l.digits(4)),
            email: format!("{}.{}@{}.example", l.word(6), l.word(5), l.word(7)),
            third_party: format!("{} {}", l.name('J', 7), l.name('X', 9)),
            emergency: [
                format!("{} {}", l.name('K', 6), l.name('W', 7)),
                format!("556-0{}", l.digits(3)),
                format!("{}@{}.example", l.word(7), l.word(6)),
            ],
            canaries: CATEGORIES
                .iter()
                .enumerate()
                .map(|(i, _)| format!("canary{}{}", char::from(b'a' + i as u8), l.word(14)))
                .collect(),
        }
    }

    fn canary(&self, category: &str) -> &str {
        let i = CATEGORIES.iter().position(|c| *c == category).unwrap();
        &self.canaries[i]
    }

    /// A section of every category; the progress section (text before any heading)
    /// names the client, her phone and e-mail, and the third party on her profile.
    fn note(&self) -> String {
        let mut body = format!(
            "{} was reached at {} and {}; {} joined the call; {} was called at {}. {}\n",
            self.name,
            self.phone,
            self.email,
            self.third_party,
            self.emergency[0],
            self.emergency[1],
            self.canary("progress")
        );
        for category in CATEGORIES.iter().filter(|c| **c != "progress") {
            body.push_str(&format!("## {category}\n{}\n", self.canary(category)));
        }
        body
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    exports: PathBuf,
    session: Session,
    identity: age::x25519::Identity,
    cases: usize,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (session, _) = Vault::create(
            dir.path().join("practice.casevault"),
            &SecretString::from("correct horse battery staple"),
            KdfParams::default(),
            "dr-prop",
        )
        .expect("create the vault");
        let exports = dir.path().join("exports");
        std::fs::create_dir(&exports).unwrap();
        Fixture {
            exports,
            _dir: dir,
            session,
            identity: age::x25519::Identity::generate(),
            cases: 0,
        }
    }

    fn open(&self, file: &std::path::Path) -> String {
        let sealed = std::fs::read(file).expect("the export exists");
        let decryptor = age::Decryptor::new_buffered(&sealed[..]).expect("an age file");
        let mut reader = decryptor
            .decrypt(std::iter::once(&self.identity as &dyn age::Identity))
            .expect("the export opens with the recipient's key");
        let mut text = String::new();
        reader.read_to_string(&mut text).expect("UTF-8 export");
        text
    }
}

fn date(s: &str) -> Date {
    s.parse().expect("a date")
}

fn check(f: &mut Fixture, case: &Case) -> Result<(), TestCaseError> {
    f.cases += 1;
    let people = People::new(case.seed);
    let s = &mut f.session;
    let client = s
        .add_client(NewClient {
            name: people.name.clone(),
            date_of_birth: Some(date(&people.dob)),
            contact: Some(format!(
                "{}, {}; Emergency: {} (partner) {} {}",
                people.phone,
                people.email,
                people.emergency[0],
                people.emergency[1],
                people.emergency[2],
            )),
            third_parties: vec![people.third_party.clone()],
            care: Default::default(),
        })
        .expect("add the client");
    s.add_note(NewNote::individual(&client, date(SESSION), &people.note()))
        .expect("add the note");
    let consent = |s: &mut Session, recipient: &str, categories: Vec<String>| {
        s.add_consent(NewConsent {
            client: client.clone(),
            recipient: ConsentRecipient {
                name: recipient.into(),
                organization: None,
                public_key: None,
            },
            purposes: vec!["treatment".into()],
            categories,
            excluded: Vec::new(),
            effective: date("2020-01-01"),
            expires: date("2099-12-31"),
            signed_by: String::new(),
            relationship: Relationship::Client,
            tpo: None,
        })
        .expect("add the consent")
        .0
    };
    let owned = |cats: &[&str]| cats.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let (recipient, purpose, only) = match case.ground {
        Ground::ExactConsent => {
            let id = consent(s, "Dr Exact", owned(&case.request));
            ("Dr Exact", "treatment", Some(id))
        }
        Ground::AllConsent => {
            consent(s, "Dr All", owned(&["all"]));
            ("Dr All", "treatment", None)
        }
        Ground::OwnRequest => ("client", "client-request", None),
    };
    let request = DisclosureRequest {
        client: client.clone(),
        recipient: recipient.into(),
        purpose: purpose.into(),
        categories: owned(&case.request),
        consent: only,
        exception: None,
        from: None,
        until: None,
        recipient_kind: None,
    };
    let out = f.exports.join(format!("case-{}.age", f.cases));
    let options = ExportOptions {
        format: if case.json {
            ExportFormat::Json
        } else {
            ExportFormat::Markdown
        },
        encryption: ExportEncryption::Recipients(vec![f.identity.to_public().to_string()]),
        out: out.clone(),
    };
    let requested = requested(case);
    let denied: Vec<&str> = requested
        .iter()
        .copied()
        .filter(|c| !permitted(case, c))
        .collect();

    let result = s.disclose(&request, date(TODAY), &options);
    if !denied.is_empty() {
        match result {
            Err(Error::Denied(record)) => {
                let theirs: Vec<&str> = record
                    .decision
                    .verdicts
                    .iter()
                    .filter(|v| !v.permitted)
                    .map(|v| v.category.as_str())
                    .collect();
                prop_assert_eq!(theirs, denied);
            }
            other => prop_assert!(
                false,
                "expected Error::Denied, got {:?}",
                other.map(|d| d.out)
            ),
        }
        prop_assert!(!out.exists(), "a denied disclosure wrote {}", out.display());
        prop_assert!(s.accounting(&client).unwrap().is_empty());
        return Ok(());
    }
    let done = result.map_err(|e| TestCaseError::fail(format!("disclose failed: {e}")))?;
    prop_assert_eq!(done.notes, 1);
    prop_assert!(!done.plaintext);
    prop_assert_eq!(done.accounting.len(), 1);
    prop_assert_eq!(
        done.accounting[0].client_request,
        case.ground == Ground::OwnRequest
    );
    prop_assert_eq!(s.accounting(&client).unwrap(), done.accounting.clone());

    let text = f.open(&out);
    let released = |c: &str| requested.contains(&c);

    // Exactly the requested and permitted sections, and a marker for every other the
    // policy marks; the unmarked ones leave no trace.
    let marked = |c: &str| !["psychotherapy-notes", "substance-use", "sexual-health"].contains(&c);
    for category in CATEGORIES {
        let canary = people.canary(category);
        let marker = format!("[withheld: {category}]");
        if released(category) {
            prop_assert!(text.contains(canary), "{} missing:\n{}", category, text);
            if !case.json {
                prop_assert!(
                    // At the margin: a line of note text is set in by four spaces.
                    text.contains(&format!("\n### {category}\n\n")),
                    "{} section missing:\n{}",
                    category,
                    text
                );
                prop_assert!(!text.contains(&marker), "{} withheld:\n{}", category, text);
            }
        } else {
            prop_assert!(!text.contains(canary), "{} leaked:\n{}", category, text);
            if case.json {
                // Checked below, section by section.
            } else if marked(category) {
                prop_assert!(text.contains(&marker), "no {}:\n{}", marker, text);
            } else {
                prop_assert!(!text.contains(&marker), "{}:\n{}", marker, text);
                prop_assert!(
                    !text.contains(&format!("- {category}: not part of this request")),
                    "{} listed:\n{}",
                    category,
                    text
                );
            }
        }
    }
    if case.json {
        let bundle: Value = serde_json::from_str(&text).expect("JSON export");
        prop_assert_eq!(&bundle["format"], "casevault-disclosure/1");
        prop_assert_eq!(
            &bundle["cover"]["permitted"],
            &serde_json::json!(requested),
            "{:#}",
            bundle["cover"]
        );
        let sections = bundle["notes"][0]["sections"].as_array().expect("sections");
        let shown = CATEGORIES
            .iter()
            .filter(|c| released(c) || marked(c))
            .count();
        prop_assert_eq!(sections.len(), shown);
        for section in sections {
            let category = section["category"].as_str().unwrap();
            prop_assert_eq!(
                section["withheld"] == true,
                !released(category),
                "{:#}",
                section
            );
            prop_assert_eq!(section["text"].is_string(), released(category));
        }
    }
    // The session's date leaves only with attendance.
    prop_assert_eq!(text.contains(SESSION), released("attendance"), "{}", text);
    // The redisclosure notice goes with substance use, and only with it.
    prop_assert_eq!(
        text.contains("42 CFR part 2"),
        released(SUBSTANCE),
        "{}",
        text
    );

    // Third parties (needs the redaction module).
    if released("third-party") {
        if released("progress") || released("identity") {
            prop_assert!(
                text.contains(&people.third_party),
                "{} redacted though third-party is permitted:\n{}",
                people.third_party,
                text
            );
        }
    } else {
        prop_assert!(
            !text.contains(&people.third_party),
            "{} not redacted:\n{}",
            people.third_party,
            text
        );
        if released("progress") {
            prop_assert!(text.contains("[redacted:"), "{}", text);
        }
        // The emergency contact is someone else, in the note and in the contact on
        // the profile that leaves with identity.
        for identifier in &people.emergency {
            prop_assert!(
                !text.contains(identifier.as_str()),
                "{} not redacted:\n{}",
                identifier,
                text
            );
        }
    }
    if released("third-party") && released("identity") {
        // Both permitted: the contact leaves whole.
        for identifier in &people.emergency {
            prop_assert!(
                text.contains(identifier.as_str()),
                "{} missing:\n{}",
                identifier,
                text
            );
        }
    }
    // The client's own identifiers (needs the redaction module).
    for identifier in [&people.name, &people.phone, &people.email, &people.dob] {
        if released("identity") {
            prop_assert!(
                text.contains(identifier.as_str()),
                "{} missing though identity is permitted:\n{}",
                identifier,
                text
            );
        } else {
            prop_assert!(
                !text.contains(identifier.as_str()),
                "{} not redacted though identity is withheld:\n{}",
                identifier,
                text
            );
        }
    }
    Ok(())
}

#[test]
fn exports_carry_exactly_the_permitted_canaries() {
    let fixture = RefCell::new(Fixture::new());
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&case(), |case| check(&mut fixture.borrow_mut(), &case));
    if let Err(e) = result {
        panic!("{e}");
    }
    let mut fixture = fixture.into_inner();
    assert!(fixture.cases >= 24);
    assert!(
        fixture
            .session
            .verify_audit(None)
            .expect("verify")
            .is_intact()
    );
}
