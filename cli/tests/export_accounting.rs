//! The accounting of disclosures (docs/EXPORT.md, "The accounting of disclosures";
//! rule 8 of README.md, "The rules"; HIPAA 45 CFR 164.528) as the
//! `casevault` CLI keeps it: every disclosure that left is listed once, with its date,
//! recipient, description, purpose and basis, oldest first; nothing that did not leave
//! is listed; exports are written 0600, never over an existing file, and in plaintext
//! only when asked by name.
//!
//! Consents are judged on the day the command runs, so they span 2020-01-01..2099-12-31.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use casevault::{Date, DisclosureRequest, ExceptionRequest, ExportEncryption, ExportFormat};
use common::{PASSPHRASE, RecipientKey, TestVault, fails, files_under};
use secrecy::SecretString;
use serde_json::Value;

const FROM: &str = "2020-01-01";
const UNTIL: &str = "2099-12-31";

const ADA: &str = "Adelheid Vasquez-Tormund";
const ADA_DOB: &str = "1984-05-17";
const ADA_PHONE: &str = "+1 555 0142 8861";
const ADA_EMAIL: &str = "adelheid.vt@mailhost-acct.example";
const ADA_PARTNER: &str = "Cornelius Abernathy-Lisk";

/// One canary per category, in the policy's order.
const CANARIES: [(&str, &str); 11] = [
    ("identity", "identity-harborlight-3Vmq"),
    ("attendance", "attendance-pinecrest-8Tgd"),
    ("diagnosis", "diagnosis-wrenfield-5Kpa"),
    ("treatment-plan", "plan-tidewater-2Nsx"),
    ("progress", "progress-ashgrove-7Rwe"),
    ("medication", "medication-coldbrook-4Hzu"),
    ("risk", "risk-stonemere-9Bjc"),
    ("psychotherapy-notes", "psychotherapy-foxhollow-6Lqy"),
    ("substance-use", "substance-marshgate-1Dfo"),
    ("sexual-health", "sexualhealth-briarwick-0Ynt"),
    ("third-party", "thirdparty-elmstead-5Gri"),
];

fn canary(category: &str) -> &'static str {
    CANARIES
        .iter()
        .find(|(c, _)| *c == category)
        .map(|(_, canary)| *canary)
        .expect("a category of the policy")
}

/// A note body with a section of every category; the progress section (the text
/// before any heading) names the client, her contact details and her partner.
fn full_note() -> String {
    let mut body = format!(
        "{ADA} called from {ADA_PHONE} and wrote from {ADA_EMAIL}; {ADA_PARTNER} came up. {}\n",
        canary("progress")
    );
    for (category, canary) in CANARIES {
        if category != "progress" {
            body.push_str(&format!("## {category}\n{canary}\n"));
        }
    }
    body
}

// ---------------------------------------------------------------------------------
// Helpers

/// `casevault ARGS` on `vault`, expected to exit with `code`; returns (stdout, stderr).
/// `casevault ARGS` on `vault`, expected to succeed; returns (stdout, stderr).
fn succeeds(v: &TestVault, args: &[&str]) -> (String, String) {
    fails(v, args, 0)
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temporary path")
}

/// Adds Ada, with her date of birth, contact and partner; returns her id.
fn add_ada(v: &TestVault) -> String {
    v.ok(&[
        "client",
        "add",
        "--name",
        ADA,
        "--dob",
        ADA_DOB,
        "--contact",
        &format!("{ADA_PHONE}, {ADA_EMAIL}"),
        "--third-party",
        ADA_PARTNER,
    ])
}

/// Records an active consent and returns its id.
fn active(v: &TestVault, client: &str, recipient: &str, purposes: &str, allow: &str) -> String {
    v.ok(&[
        "consent",
        "add",
        "--client",
        client,
        "--recipient",
        recipient,
        "--purpose",
        purposes,
        "--allow",
        allow,
        "--from",
        FROM,
        "--expires",
        UNTIL,
    ])
}

/// `disclose` arguments for a consent-based request (without --out).
fn request<'a>(client: &'a str, to: &'a str, purpose: &'a str, cats: &'a str) -> Vec<&'a str> {
    vec![
        "disclose",
        "--client",
        client,
        "--to",
        to,
        "--purpose",
        purpose,
        "--categories",
        cats,
    ]
}

/// Runs `disclose ARGS --recipient KEY --out FILE --json`, expecting success; returns
/// what it printed.
fn disclose(v: &TestVault, args: &[&str], key: &RecipientKey, out: &Path) -> Value {
    let mut args = args.to_vec();
    args.extend(["--recipient", &key.public, "--out", path_str(out), "--json"]);
    let (stdout, _) = succeeds(v, &args);
    let done: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("disclose --json prints JSON ({e}):\n{stdout}"));
    assert!(out.exists(), "{} written", out.display());
    done
}

/// The client's accounting, as JSON.
fn accounting(v: &TestVault, client: &str) -> Vec<Value> {
    v.json(&["accounting", "--client", client])
        .as_array()
        .expect("accounting --json prints an array")
        .clone()
}

/// The audit events of `action`.
fn events(v: &TestVault, action: &str) -> Vec<Value> {
    v.json(&["audit", "log"])
        .as_array()
        .expect("audit log --json prints an array")
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

fn assert_audit_intact(v: &TestVault) {
    let verified = v.ok(&["audit", "verify"]);
    assert!(verified.contains("audit trail intact"), "{verified}");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Files under `dir` other than the vault and its SQLite companions.
fn stray_files(v: &TestVault) -> Vec<String> {
    files_under(v.dir.path())
        .into_iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with("practice.casevault"))
        .collect()
}

/// Checks one accounting entry (JSON) against what `disclose --json` printed.
fn check_entry(entry: &Value, client: &str, done: &Value) {
    let decision = &done["decision"];
    assert_eq!(entry["client"], client, "{entry:#}");
    assert_eq!(entry["decision"], decision["id"], "{entry:#}");
    assert_eq!(
        entry["disclosed_on"], decision["decision"]["decided_on"],
        "{entry:#}"
    );
    let request = &decision["decision"]["request"];
    assert_eq!(entry["recipient"], request["recipient"], "{entry:#}");
    assert_eq!(entry["purpose"], request["purpose"], "{entry:#}");
    let description = entry["description"].as_str().expect("description");
    for v in decision["decision"]["verdicts"].as_array().unwrap() {
        assert_eq!(v["permitted"], true, "{v:#}");
        let category = v["category"].as_str().unwrap();
        assert!(
            description.contains(category),
            "the description names {category}: {entry:#}"
        );
    }
    assert!(
        entry["id"]
            .as_str()
            .is_some_and(|id| id.len() == 8 && id.chars().all(|c| c.is_ascii_hexdigit())),
        "{entry:#}"
    );
    assert!(
        entry["recorded_at"].as_str().is_some_and(|t| t.len() >= 20),
        "{entry:#}"
    );
    assert_eq!(entry["recorded_by"], "dr-test", "{entry:#}");
    assert!(
        entry["basis"].as_str().is_some_and(|b| !b.is_empty()),
        "{entry:#}"
    );
}

// ---------------------------------------------------------------------------------
// Every disclosure, once, with its fields

fn every_disclosure_is_accounted_once_with_date_recipient_description_purpose_basis() {
    let (v, _) = TestVault::init();
    let ada = add_ada(&v);
    let other = v.add_client("Other Client", &[]);
    v.add_note(&ada, "2026-01-10", &full_note());
    v.add_note(&ada, "2026-02-14", "## risk\nLow.\n## diagnosis\nF41.1\n");
    v.add_note(&other, "2026-01-11", "Someone else's session.\n");
    let consent = active(&v, &ada, "Dr Smith", "treatment", "diagnosis,progress");
    let key = RecipientKey::new();
    let dir = v.dir.path();

    let mut done = Vec::new();
    // Under the client's consent.
    done.push(disclose(
        &v,
        &request(&ada, "Dr Smith", "treatment", "diagnosis,progress"),
        &key,
        &dir.join("1-consent.age"),
    ));
    // Under a court order, with its reference.
    let mut court = request(&ada, "Family Court", "legal", "diagnosis");
    court.extend([
        "--exception",
        "court-order",
        "--justification",
        "Order of the family court to produce the diagnosis",
        "--reference",
        "FC-2026-0042",
    ]);
    done.push(disclose(&v, &court, &key, &dir.join("2-court.age")));
    // Under the duty to protect, without a reference.
    let mut protect = request(&ada, "Officer Lane", "legal", "identity,risk");
    protect.extend([
        "--exception",
        "duty-to-protect",
        "--justification",
        "Serious and imminent threat against a named person",
    ]);
    done.push(disclose(&v, &protect, &key, &dir.join("3-protect.age")));
    // The client's own request.
    done.push(disclose(
        &v,
        &request(&ada, "client", "client-request", "all"),
        &key,
        &dir.join("4-own.age"),
    ));
    // Dry runs and a denied request add nothing.
    let mut dry = request(&ada, "Dr Smith", "treatment", "diagnosis");
    dry.push("--dry-run");
    succeeds(&v, &dry);
    let denied_out = dir.join("5-denied.age");
    let mut denied = request(&ada, "Dr Smith", "treatment", "risk");
    denied.extend(["--recipient", &key.public, "--out", path_str(&denied_out)]);
    fails(&v, &denied, 4);

    // What disclose printed matches the entries it wrote.
    for d in &done {
        let entries = d["accounting"].as_array().expect("accounting entries");
        assert_eq!(entries.len(), 1, "{d:#}");
        check_entry(&entries[0], &ada, d);
    }

    let entries = accounting(&v, &ada);
    assert_eq!(
        entries.len(),
        done.len(),
        "one entry per disclosure: {entries:#?}"
    );
    for d in &done {
        let id = &d["decision"]["id"];
        let matching: Vec<&Value> = entries.iter().filter(|e| e["decision"] == *id).collect();
        assert_eq!(
            matching.len(),
            1,
            "decision {id} accounted once: {entries:#?}"
        );
        check_entry(matching[0], &ada, d);
        assert_eq!(*matching[0], d["accounting"][0], "stored as printed");
    }
    let entry = |i: usize| {
        entries
            .iter()
            .find(|e| e["decision"] == done[i]["decision"]["id"])
            .unwrap()
    };
    assert_eq!(
        entry(0)["basis"],
        format!("the client's consent ({consent})")
    );
    assert_eq!(entry(0)["client_request"], false);
    assert_eq!(
        entry(0)["description"],
        "diagnosis, progress from 2 session note(s)"
    );
    assert_eq!(
        entry(1)["basis"],
        "legal exception court-order (reference FC-2026-0042): Order of the family court to produce the diagnosis"
    );
    assert_eq!(entry(1)["client_request"], false);
    assert_eq!(
        entry(2)["basis"],
        "legal exception duty-to-protect: Serious and imminent threat against a named person"
    );
    assert_eq!(entry(3)["client_request"], true);
    assert_eq!(
        entry(3)["basis"],
        "the client's own request for their records"
    );
    // Another client's accounting is untouched.
    assert!(accounting(&v, &other).is_empty());

    // The human listing has the same entries in the same order, every field shown.
    let human = v.ok(&["accounting", "--client", &ada]);
    let lines: Vec<&str> = human.lines().collect();
    assert_eq!(lines.len(), 3 * entries.len(), "{human}");
    for (block, e) in lines.chunks(3).zip(&entries) {
        let s = |field: &str| e[field].as_str().unwrap().to_owned();
        let mark = if e["client_request"] == true {
            "  (the client's own request)"
        } else {
            ""
        };
        assert_eq!(
            block,
            [
                format!(
                    "{}  to {}  for {}{mark}",
                    s("disclosed_on"),
                    s("recipient"),
                    s("purpose")
                ),
                format!("    what:  {}", s("description")),
                format!("    basis: {}", s("basis")),
            ],
            "{human}"
        );
    }

    // Each disclosure is audited as `disclose`, permitted, with its purpose.
    let audited = events(&v, "disclose");
    let permitted: Vec<&str> = audited
        .iter()
        .filter(|e| e["outcome"] == "permitted")
        .map(|e| e["purpose"].as_str().unwrap_or("<none>"))
        .collect();
    assert_eq!(
        permitted,
        ["treatment", "legal", "legal", "client-request"],
        "{audited:#?}"
    );
    assert_audit_intact(&v);
}

/// Several disclosures made within one second must still be listed in the order they
/// were made, and disclosures of an earlier day before them.
fn accounting_lists_disclosures_oldest_first() {
    let (v, _) = TestVault::init();
    let ada = add_ada(&v);
    v.add_note(&ada, "2026-01-10", &full_note());
    let key = RecipientKey::new();
    let today: Date = "2026-06-15".parse().unwrap();
    let earlier: Date = "2026-06-01".parse().unwrap();
    {
        // The library, so that the disclosures follow each other within milliseconds.
        let mut session = casevault::Vault::open(v.vault_location())
            .unwrap()
            .unlock(&SecretString::from(PASSPHRASE), "dr-test")
            .unwrap();
        let mut made = |recipient: &str, day: Date, n: usize| {
            let request = DisclosureRequest {
                client: ada.as_str().into(),
                recipient: recipient.to_owned(),
                purpose: "legal".into(),
                categories: vec!["risk".into()],
                consent: None,
                exception: Some(ExceptionRequest {
                    kind: "duty-to-protect".into(),
                    justification: "Serious and imminent threat".into(),
                    reference: None,
                    order_categories: Vec::new(),
                    about: None,
                }),
                from: None,
                until: None,
                recipient_kind: None,
            };
            let options = casevault::ExportOptions {
                format: ExportFormat::Markdown,
                encryption: ExportEncryption::Recipients(vec![key.public.clone()]),
                out: v.dir.path().join(format!("export-{n}.age")),
            };
            session.disclose(&request, day, &options).unwrap();
        };
        for n in 1..=6 {
            made(&format!("Recipient {n}"), today, n);
        }
        // Recorded later, disclosed earlier (a disclosure entered after the fact).
        made("Recipient 0", earlier, 0);
    }
    let order: Vec<String> = accounting(&v, &ada)
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["disclosed_on"].as_str().unwrap(),
                e["recipient"].as_str().unwrap()
            )
        })
        .collect();
    let expected: Vec<String> = std::iter::once("2026-06-01 Recipient 0".to_owned())
        .chain((1..=6).map(|n| format!("2026-06-15 Recipient {n}")))
        .collect();
    assert_eq!(
        order, expected,
        "the accounting lists disclosures oldest first"
    );
    assert_audit_intact(&v);
}

// ---------------------------------------------------------------------------------
// The client's own request

fn the_clients_own_request_is_listed_as_such_and_releases_all_but_psychotherapy_notes() {
    let (v, _) = TestVault::init();
    let ada = add_ada(&v);
    v.add_note(&ada, "2026-01-10", &full_note());
    let key = RecipientKey::new();
    let out = v.dir.path().join("own.age");
    let done = disclose(
        &v,
        &request(&ada, "client", "client-request", "all"),
        &key,
        &out,
    );
    assert_eq!(
        done["decision"]["decision"]["basis"]["kind"],
        "client-request"
    );

    let text = key.open(&out);
    for (category, canary) in CANARIES {
        if category == "psychotherapy-notes" {
            assert!(!text.contains(canary), "{canary} released:\n{text}");
            // No marker in the note; the cover gives the true reason, on every
            // client's copy alike.
            assert!(
                !text.contains("[withheld: psychotherapy-notes]"),
                "marker:\n{text}"
            );
            assert!(
                text.contains("- psychotherapy-notes: not part of a client's own copy: psychotherapy-notes are kept apart from the record"),
                "cover:\n{text}"
            );
            assert!(!text.contains("only what the recipient needs"), "{text}");
        } else {
            assert!(text.contains(canary), "{category} missing:\n{text}");
            assert!(
                !text.contains(&format!("[withheld: {category}]")),
                "{category} withheld:\n{text}"
            );
        }
    }
    // The client's own identifiers, and the people in her record, are hers to see.
    for identifier in [ADA, ADA_DOB, ADA_PHONE, ADA_EMAIL, ADA_PARTNER] {
        assert!(text.contains(identifier), "{identifier} redacted:\n{text}");
    }
    assert!(
        text.contains(&format!(
            "{ADA} called from {ADA_PHONE} and wrote from {ADA_EMAIL}; {ADA_PARTNER} came up."
        )),
        "the note's text comes out unredacted:\n{text}"
    );
    assert!(!text.contains("[redacted:"), "{text}");
    assert!(
        text.contains("**Client:** Adelheid Vasquez-Tormund"),
        "{text}"
    );
    assert!(
        text.contains("## Notice prohibiting redisclosure"),
        "{text}"
    );

    let entries = accounting(&v, &ada);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let e = &entries[0];
    check_entry(e, &ada, &done);
    assert_eq!(e["client_request"], true);
    assert_eq!(e["recipient"], "client");
    assert_eq!(e["purpose"], "client-request");
    assert_eq!(e["basis"], "the client's own request for their records");
    let description = e["description"].as_str().unwrap();
    assert!(
        !description.contains("psychotherapy-notes"),
        "{description}"
    );
    let human = v.ok(&["accounting", "--client", &ada]);
    let head = human.lines().next().unwrap();
    assert!(
        head.ends_with("to client  for client-request  (the client's own request)"),
        "{human}"
    );
    assert_audit_intact(&v);
}

// ---------------------------------------------------------------------------------
// Joint notes

fn a_released_joint_note_is_accounted_for_the_partner_too() {
    const JOINT: &str = "joint-rivermoss-4Wce";
    const OWN: &str = "individual-quarryfen-8Pal";
    let (v, _) = TestVault::init();
    let ann = v.add_client("Ann Couple", &["Ned Couple"]);
    let ned = v.add_client("Ned Couple", &["Ann Couple"]);
    v.ok_stdin(
        &[
            "note",
            "add",
            "--client",
            &ann,
            "--client",
            &ned,
            "--date",
            "2026-03-03",
            "--type",
            "couples",
        ],
        &format!("Worked on communication. {JOINT}\n"),
    );
    v.add_note(
        &ann,
        "2026-03-10",
        &format!("Individual follow-up. {OWN}\n"),
    );
    let ann_consent = active(&v, &ann, "Dr Smith", "treatment", "progress");
    let key = RecipientKey::new();
    let args = request(&ann, "Dr Smith", "treatment", "progress");

    // Ned has not consented: the joint note stays behind, and nothing is his to account.
    let withheld = v.dir.path().join("withheld.age");
    let done = disclose(&v, &args, &key, &withheld);
    let text = key.open(&withheld);
    assert!(text.contains(OWN), "{text}");
    assert!(!text.contains(JOINT), "{text}");
    // Attendance is not released, so the cover does not even say a joint session
    // took place.
    assert!(!text.contains("joint session"), "{text}");
    assert_eq!(done["accounting"].as_array().unwrap().len(), 1, "{done:#}");
    assert_eq!(accounting(&v, &ann).len(), 1);
    assert!(accounting(&v, &ned).is_empty());

    // Once he consents, the joint note leaves, and his accounting says so.
    let ned_consent = active(&v, &ned, "Dr Smith", "treatment", "progress");
    let released = v.dir.path().join("released.age");
    let done = disclose(&v, &args, &key, &released);
    let text = key.open(&released);
    assert!(text.contains(JOINT), "{text}");
    assert!(text.contains(OWN), "{text}");
    let written = done["accounting"].as_array().unwrap();
    assert_eq!(written.len(), 2, "{done:#}");

    let anns = accounting(&v, &ann);
    assert_eq!(anns.len(), 2, "{anns:#?}");
    assert_eq!(anns[1]["decision"], done["decision"]["id"]);
    assert_eq!(
        anns[1]["description"], "progress from 2 session note(s)",
        "{anns:#?}"
    );
    assert_eq!(
        anns[1]["basis"],
        format!("the client's consent ({ann_consent})")
    );

    let neds = accounting(&v, &ned);
    assert_eq!(neds.len(), 1, "{neds:#?}");
    let e = &neds[0];
    assert_eq!(e["client"], ned.as_str());
    assert_eq!(e["decision"], done["decision"]["id"]);
    assert_eq!(e["recipient"], "Dr Smith");
    assert_eq!(e["purpose"], "treatment");
    assert_eq!(e["client_request"], false);
    assert_eq!(
        e["disclosed_on"],
        done["decision"]["decision"]["decided_on"]
    );
    assert_eq!(
        e["description"],
        "progress from the joint session note of 2026-03-03"
    );
    // What permitted Ned's information to leave is Ned's own consent, not Ann's.
    assert!(
        e["basis"].as_str().unwrap().contains(&ned_consent),
        "Ned's entry must name his consent {ned_consent} (Ann's is {ann_consent}): {e:#}"
    );
    let human = v.ok(&["accounting", "--client", &ned]);
    assert!(human.contains("to Dr Smith  for treatment"), "{human}");
    assert!(
        human.contains("what:  progress from the joint session note of 2026-03-03"),
        "{human}"
    );
    assert_audit_intact(&v);
}

// ---------------------------------------------------------------------------------
// What did not leave is not accounted

fn a_denied_disclosure_leaves_no_file_and_no_entry_but_an_audit_event() {
    let (v, _) = TestVault::init();
    let ada = add_ada(&v);
    v.add_note(&ada, "2026-01-10", &full_note());
    active(&v, &ada, "Dr Smith", "treatment", "diagnosis");
    let key = RecipientKey::new();
    let out = v.dir.path().join("denied.age");
    let mut args = request(&ada, "Dr Smith", "treatment", "diagnosis,risk");
    args.extend(["--recipient", &key.public, "--out", path_str(&out)]);
    let (stdout, stderr) = fails(&v, &args, 4);
    assert!(stdout.contains("DENIED"), "the decision is shown: {stdout}");
    assert!(stderr.contains("denied by policy: risk"), "{stderr}");
    assert!(stderr.contains("--categories diagnosis"), "{stderr}");
    assert!(!out.exists(), "no file for a denied disclosure");
    assert!(stray_files(&v).is_empty(), "{:?}", stray_files(&v));

    // Psychotherapy notes under the client's own request: denied too.
    let mut own = request(&ada, "client", "client-request", "psychotherapy-notes");
    own.extend(["--recipient", &key.public, "--out", path_str(&out)]);
    fails(&v, &own, 4);
    assert!(!out.exists());

    assert!(accounting(&v, &ada).is_empty());
    assert_eq!(
        v.ok(&["accounting", "--client", &ada]),
        "no disclosures recorded for this client"
    );
    let audited = events(&v, "disclose");
    assert_eq!(audited.len(), 2, "{audited:#?}");
    for (e, purpose) in audited.iter().zip(["treatment", "client-request"]) {
        assert!(
            e["outcome"]
                .as_str()
                .is_some_and(|o| o.starts_with("failed: denied")),
            "{e:#}"
        );
        assert_eq!(e["purpose"], purpose, "{e:#}");
        assert!(
            e["targets"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["access"] != "write"),
            "a denied disclosure writes nothing: {e:#}"
        );
    }
    assert_audit_intact(&v);
}

fn a_failed_disclosure_leaves_no_file_and_no_entry() {
    let (v, _) = TestVault::init();
    let ada = add_ada(&v);
    v.add_note(&ada, "2026-01-10", &full_note());
    active(&v, &ada, "Dr Smith", "treatment", "diagnosis");
    let key = RecipientKey::new();
    let base = request(&ada, "Dr Smith", "treatment", "diagnosis");

    // Into a directory that does not exist: refused before anything is decided (a
    // disclosure that fails inside its transaction, on a full disk, is in bad_input.rs).
    let missing = v.dir.path().join("no-such-dir").join("export.age");
    let mut args = base.clone();
    args.extend(["--recipient", &key.public, "--out", path_str(&missing)]);
    let (stdout, stderr) = fails(&v, &args, 1);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains(path_str(missing.parent().unwrap())) && stderr.contains("does not exist"),
        "{stderr}"
    );
    assert!(!missing.parent().unwrap().exists());
    assert!(events(&v, "disclose").is_empty());

    // Over an existing file: refused, the file untouched.
    let existing = v.dir.path().join("existing.age");
    std::fs::write(&existing, "the recipient's earlier export\n").unwrap();
    let mut args = base.clone();
    args.extend(["--recipient", &key.public, "--out", path_str(&existing)]);
    let (_, stderr) = fails(&v, &args, 1);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&existing).unwrap(),
        "the recipient's earlier export\n"
    );

    // To a key that is not one.
    let bad = v.dir.path().join("bad-key.age");
    let mut args = base.clone();
    args.extend(["--recipient", "age1notakey", "--out", path_str(&bad)]);
    let (_, stderr) = fails(&v, &args, 1);
    assert!(stderr.contains("recipient"), "{stderr}");
    assert!(!bad.exists());

    assert!(accounting(&v, &ada).is_empty());
    assert_eq!(stray_files(&v), ["existing.age"], "no partial files left");
    assert!(
        events(&v, "disclose")
            .iter()
            .all(|e| e["outcome"] != "permitted"),
        "no disclosure audited as done"
    );
    assert_audit_intact(&v);
}

fn anything_at_the_export_path_is_refused_before_the_disclosure() {
    let (v, _) = TestVault::init();
    let ada = add_ada(&v);
    v.add_note(&ada, "2026-01-10", &full_note());
    active(&v, &ada, "Dr Smith", "treatment", "diagnosis");
    let key = RecipientKey::new();
    let base = request(&ada, "Dr Smith", "treatment", "diagnosis");
    let dir = v.dir.path();
    let target = dir.join("elsewhere.txt");
    std::fs::write(&target, "someone else's file\n").unwrap();
    std::fs::create_dir(dir.join("a-directory")).unwrap();
    // Every kind of thing that can sit at a path, a link pointing nowhere included.
    let mut made = vec![
        ("dangling", "a symbolic link"),
        ("to-file", "a symbolic link"),
        ("to-dir", "a symbolic link"),
        ("fifo", "already exists"),
        ("a-directory", "already exists"),
        ("elsewhere.txt", "already exists"),
    ];
    std::os::unix::fs::symlink(dir.join("nowhere").join("x.age"), dir.join("dangling")).unwrap();
    std::os::unix::fs::symlink(&target, dir.join("to-file")).unwrap();
    std::os::unix::fs::symlink(dir.join("a-directory"), dir.join("to-dir")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(dir.join("fifo"))
        .status()
        .is_ok_and(|s| s.success());
    if !fifo {
        made.retain(|(name, _)| *name != "fifo");
    }
    for plaintext in [false, true] {
        for (name, says) in &made {
            let out = dir.join(name);
            let mut args = base.clone();
            if plaintext {
                args.extend(["--write-plaintext", "--out", path_str(&out)]);
            } else {
                args.extend(["--recipient", &key.public, "--out", path_str(&out)]);
            }
            let (stdout, stderr) = fails(&v, &args, 1);
            assert!(stdout.is_empty(), "{name}: {stdout}");
            assert!(stderr.contains(says), "{name}: {stderr}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "someone else's file\n"
    );
    assert!(!dir.join("nowhere").exists());
    assert!(accounting(&v, &ada).is_empty(), "no accounting entry");
    assert!(
        events(&v, "disclose").is_empty(),
        "refused before the attempt"
    );
    let mut left = stray_files(&v);
    left.sort();
    assert!(
        left.iter().all(|f| !f.starts_with(".casevault-export-")),
        "no staging file: {left:?}"
    );
    assert_audit_intact(&v);
}

fn dry_runs_never_add_accounting_entries() {
    let (v, _) = TestVault::init();
    let ada = add_ada(&v);
    v.add_note(&ada, "2026-01-10", &full_note());
    active(&v, &ada, "Dr Smith", "treatment", "diagnosis");
    for (args, code) in [
        (request(&ada, "Dr Smith", "treatment", "diagnosis"), 0),
        (request(&ada, "Dr Smith", "treatment", "risk"), 4),
        (request(&ada, "client", "client-request", "all"), 0),
    ] {
        let mut args = args;
        args.push("--dry-run");
        fails(&v, &args, code);
    }
    // --dry-run with --out still writes nothing.
    let out = v.dir.path().join("dry.age");
    let key = RecipientKey::new();
    let mut args = request(&ada, "Dr Smith", "treatment", "diagnosis");
    args.extend([
        "--recipient",
        &key.public,
        "--out",
        path_str(&out),
        "--dry-run",
    ]);
    succeeds(&v, &args);
    assert!(!out.exists());
    assert!(stray_files(&v).is_empty(), "{:?}", stray_files(&v));

    assert!(accounting(&v, &ada).is_empty());
    assert_eq!(events(&v, "disclose.dry-run").len(), 4);
    assert!(events(&v, "disclose").is_empty());
    assert_audit_intact(&v);
}

// ---------------------------------------------------------------------------------
// The export file

fn write_plaintext_writes_plaintext_and_warns_naming_the_file() {
    let (v, _) = TestVault::init();
    let ada = add_ada(&v);
    v.add_note(&ada, "2026-01-10", &full_note());
    active(&v, &ada, "Dr Smith", "treatment", "diagnosis");
    let out = v.dir.path().join("plain.md");
    let mut args = request(&ada, "Dr Smith", "treatment", "diagnosis");
    args.extend(["--write-plaintext", "--out", path_str(&out)]);
    let (stdout, stderr) = succeeds(&v, &args);
    assert!(
        stderr.contains(&format!("warning: {} is NOT encrypted", out.display())),
        "{stderr}"
    );
    assert!(stdout.contains("(NOT encrypted)"), "{stdout}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with("# Disclosure of health information\n"),
        "{text}"
    );
    assert!(text.contains(canary("diagnosis")), "{text}");
    assert!(!text.contains(canary("risk")), "{text}");
    assert_eq!(mode(&out), 0o600);
    assert_eq!(accounting(&v, &ada).len(), 1);

    // Encrypted exports carry no such warning.
    let key = RecipientKey::new();
    let sealed = v.dir.path().join("sealed.age");
    let mut args = request(&ada, "Dr Smith", "treatment", "diagnosis");
    args.extend(["--recipient", &key.public, "--out", path_str(&sealed)]);
    let (stdout, stderr) = succeeds(&v, &args);
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(stdout.contains("(age-encrypted)"), "{stdout}");
    assert_eq!(accounting(&v, &ada).len(), 2);
}

fn exports_are_created_0600_whatever_the_umask() {
    let (v, _) = TestVault::init();
    let ada = add_ada(&v);
    v.add_note(&ada, "2026-01-10", &full_note());
    active(&v, &ada, "Dr Smith", "treatment", "diagnosis");
    let key = RecipientKey::new();
    let bin = assert_cmd::cargo::cargo_bin("casevault");
    for (name, how) in [
        ("sealed.age", vec!["--recipient", key.public.as_str()]),
        ("plain.md", vec!["--write-plaintext"]),
    ] {
        let out = v.dir.path().join(name);
        let mut args = request(&ada, "Dr Smith", "treatment", "diagnosis");
        args.extend(how);
        args.extend(["--out", path_str(&out)]);
        // A permissive umask must not make the export readable by others.
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg("umask 000 && exec \"$0\" \"$@\"")
            .arg(&bin)
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", v.dir.path())
            .env("TMPDIR", v.dir.path())
            .env("USER", "dr-test")
            .env("CASEVAULT_VAULT", &v.location)
            .env("CASEVAULT_PASSPHRASE", PASSPHRASE)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run casevault under sh");
        assert!(status.success(), "{name}: {status}");
        assert_eq!(mode(&out), 0o600, "{name}");
    }
}

fn disclose_needs_an_output_file_or_a_dry_run() {
    let (v, _) = TestVault::init();
    let ada = add_ada(&v);
    active(&v, &ada, "Dr Smith", "treatment", "diagnosis");
    let key = RecipientKey::new();
    let mut args = request(&ada, "Dr Smith", "treatment", "diagnosis");
    args.extend(["--recipient", &key.public]);
    let (stdout, stderr) = fails(&v, &args, 2);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("--out"), "{stderr}");

    // An output file but no word on how to protect it is a usage error too.
    let out = v.dir.path().join("unsaid.age");
    let mut args = request(&ada, "Dr Smith", "treatment", "diagnosis");
    args.extend(["--out", path_str(&out)]);
    let (_, stderr) = fails(&v, &args, 2);
    assert!(stderr.contains("--recipient"), "{stderr}");
    assert!(stderr.contains("--write-plaintext"), "{stderr}");
    assert!(!out.exists());

    assert!(accounting(&v, &ada).is_empty());
    assert!(events(&v, "disclose").is_empty());
    assert_audit_intact(&v);
}

fn categories_left_out_leave_no_trace_unless_the_policy_marks_them() {
    let (v, _) = TestVault::init();
    let ada = add_ada(&v);
    v.add_note(&ada, "2026-01-10", &full_note());
    let key = RecipientKey::new();
    // Every category released alone (the sole-consent one needs its own consent):
    // what is left out shows only where the default policy marks it.
    const SILENT: [&str; 3] = ["psychotherapy-notes", "substance-use", "sexual-health"];
    for (i, (released, _)) in CANARIES.iter().enumerate() {
        let to = format!("Dr Number{i}");
        active(&v, &ada, &to, "treatment", released);
        let out = v.dir.path().join(format!("out-{i}.age"));
        let text = key.open(&{
            disclose(&v, &request(&ada, &to, "treatment", released), &key, &out);
            out
        });
        for (category, canary) in CANARIES {
            if category == *released {
                continue;
            }
            assert!(!text.contains(canary), "{canary} released with {released}");
            let marker = format!("[withheld: {category}]");
            let listed = format!("- {category}: ");
            if SILENT.contains(&category) {
                assert!(!text.contains(&marker), "{released}: {marker}\n{text}");
                assert!(!text.contains(&listed), "{released}: {listed}\n{text}");
                assert!(
                    !text.contains(category),
                    "{released}: {category} named\n{text}"
                );
            } else if category != "identity" {
                // At the margin, where only the export writes.
                assert!(
                    text.contains(&format!("\n{marker}\n")),
                    "{released}: no {marker}\n{text}"
                );
                assert!(
                    text.contains(&format!("{listed}not part of this request")),
                    "{text}"
                );
            }
        }
    }
}

fn an_abuse_report_names_the_person_it_is_about_and_no_one_else() {
    let (v, _) = TestVault::init();
    let ada = v.ok_stdin(
        &["client", "add"],
        "name: Ada Example\nthird-party: Mia Quill (daughter)\nthird-party: Ben Quill\n",
    );
    v.add_note(
        &ada,
        "2026-01-10",
        "Talked about school.\n## risk\nMia Quill came with bruises; Ben Quill was there.\n",
    );
    let key = RecipientKey::new();
    let about = v.dir.path().join("about.txt");
    let report = |kind: &str, about_file: Option<&Path>, out: &Path, code: i32| {
        let mut args = vec![
            "disclose",
            "--client",
            &ada,
            "--to",
            "County child protection",
            "--purpose",
            "legal",
            "--categories",
            "identity,risk",
            "--exception",
            kind,
            "--justification",
            "Bruises reported by the child",
            "--recipient",
            &key.public,
            "--out",
            path_str(out),
        ];
        if let Some(f) = about_file {
            args.extend(["--about-file", path_str(f)]);
        }
        fails(&v, &args, code)
    };
    // Named as the profile has it, whatever the case and spacing: her name leaves, the
    // other third party's does not.
    for (n, spelled) in ["Mia Quill", "mia  quill\n", "MIA QUILL\r\n"]
        .iter()
        .enumerate()
    {
        std::fs::write(&about, spelled).unwrap();
        let out = v.dir.path().join(format!("report-{n}.age"));
        report("child-abuse-report", Some(&about), &out, 0);
        let text = key.open(&out);
        assert!(text.contains("Mia Quill came with bruises"), "{text}");
        assert!(!text.contains("Ben Quill"), "{text}");
        assert!(text.contains("[redacted: third-party] was there"), "{text}");
    }
    // Without naming her, the child is redacted like any third party.
    let out = v.dir.path().join("unnamed.age");
    report("child-abuse-report", None, &out, 0);
    let text = key.open(&out);
    assert!(!text.contains("Mia") && !text.contains("Quill"), "{text}");
    // Only a report about someone names anyone; and only someone the profile lists.
    std::fs::write(&about, "Mia Quill").unwrap();
    let out = v.dir.path().join("protect.age");
    let (stdout, _) = report("duty-to-protect", Some(&about), &out, 4);
    assert!(stdout.contains("is not a report about someone"), "{stdout}");
    assert!(!out.exists());
    std::fs::write(&about, "Zed Stranger").unwrap();
    let (_, stderr) = report("child-abuse-report", Some(&about), &out, 1);
    assert!(
        stderr.contains("is not among the third parties on client"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("Zed"),
        "the name stays off the screen: {stderr}"
    );
    assert!(!out.exists());
    assert_eq!(accounting(&v, &ada).len(), 4);
}

common::on_both_backends!(
    every_disclosure_is_accounted_once_with_date_recipient_description_purpose_basis,
    accounting_lists_disclosures_oldest_first,
    the_clients_own_request_is_listed_as_such_and_releases_all_but_psychotherapy_notes,
    a_released_joint_note_is_accounted_for_the_partner_too,
    a_denied_disclosure_leaves_no_file_and_no_entry_but_an_audit_event,
    a_failed_disclosure_leaves_no_file_and_no_entry,
    anything_at_the_export_path_is_refused_before_the_disclosure,
    dry_runs_never_add_accounting_entries,
    write_plaintext_writes_plaintext_and_warns_naming_the_file,
    exports_are_created_0600_whatever_the_umask,
    disclose_needs_an_output_file_or_a_dry_run,
    categories_left_out_leave_no_trace_unless_the_policy_marks_them,
    an_abuse_report_names_the_person_it_is_about_and_no_one_else,
);
