//! Consents, intake acknowledgements, the policy and disclosure decisions (dry runs)
//! through the `casevault` CLI: what each command prints, its exit codes (README.md,
//! "Exit codes"), and the decision rules (README.md, "The rules") as a user meets them.
//!
//! Consents are judged on the day the command runs, so active consents span
//! 2020-01-01..2099-12-31 and expired or not-yet-effective ones lie wholly in the past
//! or the future.

mod common;

use common::TestVault;
use serde_json::{Value, json};

/// An age X25519 public key (the example recipient of age's README).
const AGE_KEY: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
/// An SSH public key line, as `ssh-keygen -t ed25519` writes it.
const SSH_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKv+9xaHcHJcr5oCBKiRIkqPiSsmMf0W9ljYQ4E7DZMf court@example.org";

/// A period that contains today.
const FROM: &str = "2020-01-01";
const UNTIL: &str = "2099-12-31";

// The built-in policy, as `policy show` must print it.
use casevault::DEFAULT_POLICY;

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

const PURPOSES: [&str; 9] = [
    "treatment",
    "payment",
    "operations",
    "coordination-of-care",
    "client-request",
    "legal",
    "family-involvement",
    "supervision",
    "research",
];

const EXCEPTIONS: [&str; 7] = [
    "duty-to-protect",
    "child-abuse-report",
    "adult-abuse-report",
    "court-order",
    "emergency",
    "public-health",
    "subpoena",
];

/// `casevault ARGS` on `vault`, expected to exit with `code`; returns (stdout, stderr).
fn fails(vault: &TestVault, args: &[&str], code: i32) -> (String, String) {
    let out = vault.cmd().args(args).assert().code(code);
    let output = out.get_output();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `casevault ARGS` on `vault`, expected to succeed; returns (stdout, stderr).
fn succeeds(vault: &TestVault, args: &[&str]) -> (String, String) {
    let out = vault.cmd().args(args).assert().success();
    let output = out.get_output();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// True for an eight-hex-digit record id.
fn is_id(s: &str) -> bool {
    s.len() == 8 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// Records a consent and returns its id (any warnings are ignored).
fn consent(
    v: &TestVault,
    client: &str,
    recipient: &str,
    purposes: &str,
    allow: &str,
    from: &str,
    expires: &str,
) -> String {
    let id = v.ok(&[
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
        from,
        "--expires",
        expires,
    ]);
    assert!(is_id(&id), "consent add prints an id: {id}");
    id
}

/// An active consent to `recipient` for `purposes`, allowing `allow`.
fn active(v: &TestVault, client: &str, recipient: &str, purposes: &str, allow: &str) -> String {
    consent(v, client, recipient, purposes, allow, FROM, UNTIL)
}

/// `disclose --dry-run` arguments for a consent-based request.
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
        "--dry-run",
    ]
}

/// The line of human decision output that gives `category`'s verdict.
fn verdict_line<'a>(out: &'a str, category: &str) -> &'a str {
    out.lines()
        .find(|l| {
            let mut words = l.split_whitespace();
            matches!(words.next(), Some("permitted" | "DENIED")) && words.next() == Some(category)
        })
        .unwrap_or_else(|| panic!("no verdict for {category} in:\n{out}"))
}

/// The verdict for `category` in a `disclose --json` decision.
fn verdict<'a>(decision: &'a Value, category: &str) -> &'a Value {
    decision["decision"]["verdicts"]
        .as_array()
        .expect("verdicts")
        .iter()
        .find(|v| v["category"] == category)
        .unwrap_or_else(|| panic!("no verdict for {category}: {decision:#}"))
}

/// The `obligation` tags of a `disclose --json` decision.
fn obligations(decision: &Value) -> Vec<String> {
    decision["decision"]["obligations"]
        .as_array()
        .expect("obligations")
        .iter()
        .map(|o| o["obligation"].as_str().expect("tag").to_owned())
        .collect()
}

/// Runs `disclose ... --json`, expecting exit `code`, and parses the decision.
fn decision_json(v: &TestVault, args: &[&str], code: i32) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let (out, _) = fails(v, &args, code);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("decision JSON ({e}):\n{out}"))
}

/// The 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the text"));
    text[..at].matches('\n').count() + 1
}

/// Asserts `policy show` prints version `version` with exactly `text`.
fn assert_policy_is(v: &TestVault, version: u32, text: &str) {
    let out = v.cmd().args(["policy", "show"]).assert().success();
    let shown = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(
        stderr.trim(),
        format!("policy version {version}"),
        "{stderr}"
    );
    assert_eq!(
        shown.trim_end(),
        text.trim_end(),
        "the output is the policy file itself"
    );
    assert_eq!(v.json(&["policy", "show"])["version"], version);
}

/// Writes `text` as a policy file in the vault's directory, runs `policy set` on it
/// expecting exit 1, and checks the error names the file, `line` and `problem`, and
/// that the policy in force did not change.
fn rejected_policy(v: &TestVault, file: &str, text: &str, line: usize, problem: &str) {
    let path = v.dir.path().join(file);
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap();
    let (out, err) = fails(v, &["policy", "set", path], 1);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.starts_with(&format!("error: {path}: ")),
        "the error names the file: {err}"
    );
    assert!(
        err.contains(&format!("line {line}: ")),
        "the error names line {line}: {err}"
    );
    assert!(err.contains(problem), "the error says {problem:?}: {err}");
    assert!(err.contains("the policy in force is unchanged"), "{err}");
    assert_policy_is(v, 1, DEFAULT_POLICY);
}

/// The default policy with the emergency exception also releasing progress.
fn emergency_releases_progress() -> String {
    let from = r#"releases = ["identity", "risk", "medication", "diagnosis"]"#;
    assert_eq!(DEFAULT_POLICY.matches(from).count(), 1);
    DEFAULT_POLICY.replace(
        from,
        r#"releases = ["identity", "risk", "medication", "diagnosis", "progress"]"#,
    )
}

// ---------------------------------------------------------------------------------
// consent add

fn consent_add_prints_an_id_and_records_every_field() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let (out, err) = succeeds(
        &v,
        &[
            "consent",
            "add",
            "--client",
            &ada,
            "--recipient",
            "Dr Smith",
            "--organization",
            "Riverside Clinic",
            "--recipient-key",
            AGE_KEY,
            "--purpose",
            "treatment,coordination-of-care",
            "--allow",
            "diagnosis,progress,medication",
            "--exclude",
            "third-party",
            "--from",
            "2026-01-01",
            "--expires",
            "2099-06-30",
        ],
    );
    let id = out.trim();
    assert!(is_id(id), "consent id is eight hex digits: {out}");
    assert!(err.is_empty(), "no warnings: {err}");

    let c = v.json(&["consent", "show", id]);
    assert_eq!(c["id"], id);
    assert_eq!(c["version"], 1);
    assert_eq!(c["client"], ada.as_str());
    assert_eq!(
        c["recipient"],
        json!({"name": "Dr Smith", "organization": "Riverside Clinic", "public_key": AGE_KEY})
    );
    assert_eq!(c["purposes"], json!(["treatment", "coordination-of-care"]));
    assert_eq!(
        c["categories"],
        json!(["diagnosis", "progress", "medication"])
    );
    assert_eq!(c["excluded"], json!(["third-party"]));
    assert_eq!(c["effective"], "2026-01-01");
    assert_eq!(c["expires"], "2099-06-30");
    assert_eq!(c["signed_by"], "Ada Example", "self-signed by the client");
    assert_eq!(c["relationship"], "self");
    assert_eq!(c["recorded_by"], "dr-test");
    assert_eq!(c["revoked"], Value::Null);

    let shown = v.ok(&["consent", "show", id]);
    for line in [
        format!("consent {id} (version 1)"),
        format!("client:       {ada}"),
        "recipient:    Dr Smith".to_owned(),
        "organization: Riverside Clinic".to_owned(),
        format!("key:          {AGE_KEY}"),
        "purposes:     treatment, coordination-of-care".to_owned(),
        "allows:       diagnosis, progress, medication".to_owned(),
        "excludes:     third-party".to_owned(),
        "period:       2026-01-01 to 2099-06-30".to_owned(),
        "signed by:    Ada Example (self)".to_owned(),
        "recorded:     ".to_owned(),
        "state:        active".to_owned(),
    ] {
        assert!(shown.contains(&line), "missing {line:?} in:\n{shown}");
    }
    assert!(shown.contains(" by dr-test"), "{shown}");
}

fn consent_add_accepts_an_ssh_public_key() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let id = v.ok(&[
        "consent",
        "add",
        "--client",
        &ada,
        "--recipient",
        "County Court",
        "--recipient-key",
        SSH_KEY,
        "--purpose",
        "legal",
        "--allow",
        "attendance",
        "--from",
        FROM,
        "--expires",
        UNTIL,
    ]);
    assert!(is_id(&id), "{id}");
    assert_eq!(
        v.json(&["consent", "show", &id])["recipient"]["public_key"],
        SSH_KEY
    );
}

fn consent_add_rejects_an_invalid_recipient_key() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    for bad in [
        "age1notakey",
        "ssh-ed25519 AAAAnotbase64",
        "not a key at all",
    ] {
        let (out, err) = fails(
            &v,
            &[
                "consent",
                "add",
                "--client",
                &ada,
                "--recipient",
                "Dr Smith",
                "--recipient-key",
                bad,
                "--purpose",
                "treatment",
                "--allow",
                "diagnosis",
                "--from",
                FROM,
                "--expires",
                UNTIL,
            ],
            1,
        );
        assert!(out.is_empty(), "no id printed for {bad:?}: {out}");
        assert!(
            err.contains(
                "the recipient key is neither an age public key (age1…) nor an SSH public key"
            ),
            "{bad:?}: {err}"
        );
        assert!(!err.contains(bad), "the key is not echoed back: {err}");
    }
    assert_eq!(v.json(&["consent", "list", "--client", &ada]), json!([]));
}

fn consent_add_rejects_unknown_purpose_or_category_listing_the_policys_names() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let add = |purpose: &str, allow: &str, exclude: Option<&str>| {
        let mut args = vec![
            "consent",
            "add",
            "--client",
            &ada,
            "--recipient",
            "Dr Smith",
            "--purpose",
            purpose,
            "--allow",
            allow,
            "--from",
            FROM,
            "--expires",
            UNTIL,
        ];
        if let Some(e) = exclude {
            args.extend(["--exclude", e]);
        }
        fails(&v, &args, 2).1
    };

    let err = add("treatment,treatmnt", "diagnosis", None);
    assert!(
        err.contains(&format!(
            "\"treatmnt\" is not a purpose of the policy (did you mean \"treatment\"?); use one of: {}",
            PURPOSES.join(", ")
        )),
        "{err}"
    );

    let err = add("treatment", "diagnosis,diagnoses", None);
    assert!(
        err.contains(&format!(
            "\"diagnoses\" is not a category of the policy (did you mean \"diagnosis\"?); use one of: {}, all",
            CATEGORIES.join(", ")
        )),
        "{err}"
    );

    let err = add("treatment", "all", Some("all"));
    assert!(
        err.contains(&format!(
            "\"all\" is not a category of the policy; use one of: {}",
            CATEGORIES.join(", ")
        )),
        "--exclude takes only real categories: {err}"
    );

    assert_eq!(v.json(&["consent", "list", "--client", &ada]), json!([]));
}

fn consent_add_rejects_an_expiry_before_the_effective_date() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let (out, err) = fails(
        &v,
        &[
            "consent",
            "add",
            "--client",
            &ada,
            "--recipient",
            "Dr Smith",
            "--purpose",
            "treatment",
            "--allow",
            "diagnosis",
            "--from",
            "2026-03-01",
            "--expires",
            "2026-02-28",
        ],
        1,
    );
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("the consent expires (2026-02-28) before it takes effect (2026-03-01)"),
        "{err}"
    );
    // One day is a valid period.
    consent(
        &v,
        &ada,
        "Dr Smith",
        "treatment",
        "diagnosis",
        "2026-03-01",
        "2026-03-01",
    );
}

fn consent_add_for_an_unknown_client_fails() {
    let (v, _) = TestVault::init();
    let (out, err) = fails(
        &v,
        &[
            "consent",
            "add",
            "--client",
            "deadbeef",
            "--recipient",
            "Dr Smith",
            "--purpose",
            "treatment",
            "--allow",
            "diagnosis",
            "--from",
            FROM,
            "--expires",
            UNTIL,
        ],
        1,
    );
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("no client deadbeef"), "{err}");
    assert!(err.contains("casevault client list"), "{err}");
}

fn guardian_consent_needs_the_signers_name() {
    let (v, _) = TestVault::init();
    let kid = v.add_client("Kim Young", &[]);
    let base = [
        "consent",
        "add",
        "--client",
        &kid,
        "--recipient",
        "School Counsellor",
        "--purpose",
        "coordination-of-care",
        "--allow",
        "attendance",
        "--from",
        FROM,
        "--expires",
        UNTIL,
        "--relationship",
        "guardian",
    ];
    let (out, err) = fails(&v, &base, 1);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("a consent signed by a guardian needs the signer's name (--signed-by)"),
        "{err}"
    );
    assert_eq!(v.json(&["consent", "list", "--client", &kid]), json!([]));

    let mut args = base.to_vec();
    args.extend(["--signed-by", "Maria Young"]);
    let id = v.ok(&args);
    let c = v.json(&["consent", "show", &id]);
    assert_eq!(c["signed_by"], "Maria Young");
    assert_eq!(c["relationship"], "guardian");
    let shown = v.ok(&["consent", "show", &id]);
    assert!(
        shown.contains("signed by:    Maria Young (guardian)"),
        "{shown}"
    );
}

fn combining_psychotherapy_notes_with_other_categories_warns() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let args = |allow: &'static str| {
        vec![
            "consent",
            "add",
            "--client",
            ada.as_str(),
            "--recipient",
            "Dr Smith",
            "--purpose",
            "treatment",
            "--allow",
            allow,
            "--from",
            FROM,
            "--expires",
            UNTIL,
        ]
    };

    let (out, err) = succeeds(&v, &args("psychotherapy-notes,progress"));
    assert!(is_id(out.trim()), "still recorded: {out}");
    assert!(
        err.contains(
            "warning: this consent names psychotherapy-notes with other categories, so it will never release psychotherapy-notes: they need a consent of their own"
        ),
        "{err}"
    );
    assert!(!out.contains("warning"), "warnings go to stderr: {out}");

    let (out, err) = succeeds(&v, &args("psychotherapy-notes"));
    assert!(is_id(out.trim()), "{out}");
    assert!(err.is_empty(), "a sole consent draws no warning: {err}");

    let (out, err) = succeeds(&v, &args("all"));
    assert!(is_id(out.trim()), "{out}");
    assert!(
        err.contains("warning: \"all\" does not cover substance-use: it must be named explicitly"),
        "{err}"
    );
}

/// A consent that names psychotherapy-notes twice and nothing else must not be warned
/// about as combined while the engine treats it as a sole consent (or the other way
/// round): the warning and the decision have to agree.
fn sole_consent_warning_agrees_with_the_decision() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let (out, err) = succeeds(
        &v,
        &[
            "consent",
            "add",
            "--client",
            &ada,
            "--recipient",
            "Dr Smith",
            "--purpose",
            "treatment",
            "--allow",
            "psychotherapy-notes,psychotherapy-notes",
            "--from",
            FROM,
            "--expires",
            UNTIL,
        ],
    );
    assert!(is_id(out.trim()), "{out}");
    let warned = err.contains("will never release psychotherapy-notes");
    let mut args = request(&ada, "Dr Smith", "treatment", "psychotherapy-notes");
    args.push("--json");
    let output = v.cmd().args(&args).output().expect("casevault runs");
    let d: Value = serde_json::from_slice(&output.stdout).expect("decision JSON");
    let permitted = verdict(&d, "psychotherapy-notes")["permitted"] == true;
    assert_eq!(
        permitted,
        !warned,
        "consent add {} ({err:?}), yet the decision {} psychotherapy-notes (exit {:?}): {}",
        if warned {
            "warned it will never release them"
        } else {
            "did not warn"
        },
        if permitted { "permits" } else { "denies" },
        output.status.code(),
        verdict(&d, "psychotherapy-notes")["reason"]
    );
    assert_eq!(output.status.code(), Some(if permitted { 0 } else { 4 }));
}

// ---------------------------------------------------------------------------------
// consent list, show, revoke

fn consent_list_shows_each_consents_state() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let other = v.add_client("Zoe Second", &[]);
    assert_eq!(
        v.ok(&["consent", "list", "--client", &ada]),
        "no consents for this client"
    );

    let expired = consent(
        &v,
        &ada,
        "Dr Old",
        "treatment",
        "diagnosis",
        "2020-01-01",
        "2020-12-31",
    );
    let revoked = consent(
        &v,
        &ada,
        "Dr Gone",
        "payment",
        "attendance",
        "2021-01-01",
        UNTIL,
    );
    let current = consent(
        &v,
        &ada,
        "Dr Smith",
        "treatment,payment",
        "diagnosis,progress",
        "2022-01-01",
        UNTIL,
    );
    let future = consent(
        &v,
        &ada,
        "Dr Later",
        "treatment",
        "progress",
        "2098-01-01",
        UNTIL,
    );
    let zoes = active(&v, &other, "Dr Smith", "treatment", "diagnosis");
    v.ok(&["consent", "revoke", &revoked, "--on", "2021-06-01"]);

    let listed = v.ok(&["consent", "list", "--client", &ada]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 4, "{listed}");
    assert!(!listed.contains(&zoes), "only this client's: {listed}");
    // By effective date.
    let expect = [
        (&expired, "expired", "Dr Old", "2020-01-01 to 2020-12-31"),
        (&revoked, "revoked", "Dr Gone", "2021-01-01 to 2099-12-31"),
        (&current, "active", "Dr Smith", "2022-01-01 to 2099-12-31"),
        (
            &future,
            "not yet effective",
            "Dr Later",
            "2098-01-01 to 2099-12-31",
        ),
    ];
    for (line, (id, state, recipient, period)) in lines.iter().zip(expect) {
        assert!(line.starts_with(id.as_str()), "{line}");
        assert!(line.contains(&format!("  {state}  ")), "{state}: {line}");
        assert!(line.contains(recipient), "{line}");
        assert!(line.contains(period), "{line}");
    }
    assert!(
        lines[2].contains("for treatment,payment  allows diagnosis,progress"),
        "{}",
        lines[2]
    );

    let json = v.json(&["consent", "list", "--client", &ada]);
    let ids: Vec<&str> = json
        .as_array()
        .expect("an array")
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [&expired, &revoked, &current, &future]);
    assert_eq!(json[1]["version"], 2);
    assert_eq!(json[1]["revoked"]["effective"], "2021-06-01");
    assert_eq!(json[2]["revoked"], Value::Null);
    assert_eq!(json[2]["recipient"]["name"], "Dr Smith");

    let (_, err) = fails(&v, &["consent", "list", "--client", "deadbeef"], 1);
    assert!(err.contains("no client deadbeef"), "{err}");
}

fn consent_revoke_keeps_the_consent_as_version_2() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let id = active(&v, &ada, "Dr Smith", "treatment", "diagnosis,progress");
    let before = v.json(&["consent", "show", &id]);

    let printed = v.ok(&["consent", "revoke", &id, "--on", "2024-05-01"]);
    assert!(
        printed.starts_with(&format!("consent {id} (version 2)")),
        "{printed}"
    );
    assert!(
        printed.contains("revoked:      from 2024-05-01 (recorded "),
        "{printed}"
    );
    assert!(printed.contains("by dr-test)"), "{printed}");

    let after = v.json(&["consent", "show", &id]);
    assert_eq!(after["version"], 2);
    assert_eq!(after["revoked"]["effective"], "2024-05-01");
    assert_eq!(after["revoked"]["recorded_by"], "dr-test");
    // Everything else is kept as it was.
    let strip = |mut c: Value| {
        let o = c.as_object_mut().unwrap();
        o.remove("version");
        o.remove("revoked");
        c
    };
    assert_eq!(strip(after.clone()), strip(before));

    let listed = v.ok(&["consent", "list", "--client", &ada]);
    assert!(listed.contains("  revoked  "), "{listed}");

    let (out, err) = fails(&v, &["consent", "revoke", &id, "--on", "2025-01-01"], 1);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains(&format!(
            "consent {id} is already revoked from 2024-05-01, which is not later than 2025-01-01"
        )),
        "{err}"
    );
    assert_eq!(
        v.json(&["consent", "show", &id]),
        after,
        "a refused second revocation changes nothing"
    );
}

fn an_earlier_revocation_replaces_a_later_one_and_stops_it_permitting() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let id = active(&v, &ada, "Dr Smith", "treatment", "diagnosis");
    let today = time::OffsetDateTime::now_utc().date();
    // Every later day the first revocation could have been recorded for: the client
    // withdraws today, and the earlier day wins each time.
    for ahead in [1i64, 30, 365] {
        let later = (today + time::Duration::days(ahead)).to_string();
        let id = if ahead == 1 {
            id.clone()
        } else {
            active(&v, &ada, "Dr Smith", "treatment", "diagnosis")
        };
        v.ok(&["consent", "revoke", &id, "--on", &later]);
        let c = v.json(&["consent", "revoke", &id, "--on", &today.to_string()]);
        assert_eq!(c["version"], 3);
        assert_eq!(c["revoked"]["effective"], today.to_string().as_str());
        let mut args = request(&ada, "Dr Smith", "treatment", "diagnosis");
        args.extend(["--consent", &id]);
        let decided = decision_json(&v, &args, 4);
        assert_eq!(
            verdict(&decided, "diagnosis")["permitted"],
            false,
            "{decided}"
        );
    }
}

fn revoke_json_prints_the_revoked_consent() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let id = active(&v, &ada, "Dr Smith", "treatment", "diagnosis");
    let c = v.json(&["consent", "revoke", &id, "--on", "2024-05-01"]);
    assert_eq!(c["id"], id.as_str());
    assert_eq!(c["version"], 2);
    assert_eq!(c["revoked"]["effective"], "2024-05-01");
}

fn unknown_consent_id_fails_with_a_hint() {
    let (v, _) = TestVault::init();
    v.add_client("Ada Example", &[]);
    for args in [
        ["consent", "show", "deadbeef"].as_slice(),
        ["consent", "revoke", "deadbeef"].as_slice(),
        ["consent", "revoke", "deadbeef", "--on", "2026-01-01"].as_slice(),
    ] {
        let (out, err) = fails(&v, args, 1);
        assert!(out.is_empty(), "{out}");
        assert!(err.contains("no consent deadbeef"), "{args:?}: {err}");
        assert!(
            err.contains("casevault consent list --client ID"),
            "{args:?}: {err}"
        );
    }
}

// ---------------------------------------------------------------------------------
// intake

fn intake_lists_the_exceptions_told_and_client_show_reports_it() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);

    let shown = v.ok(&["client", "show", &ada]);
    assert!(
        shown.contains(&format!(
            "intake:        none recorded; record it with `casevault intake --client {ada} --acknowledged-on DATE`"
        )),
        "{shown}"
    );
    assert_eq!(v.json(&["client", "show", &ada])["intake"], json!([]));

    let printed = v.ok(&[
        "intake",
        "--client",
        &ada,
        "--acknowledged-on",
        "2026-01-15",
    ]);
    let first = printed.lines().next().unwrap();
    assert!(first.starts_with("intake "), "{printed}");
    assert!(
        first.contains(&format!(
            "recorded: client {ada} acknowledged on 2026-01-15 the limits of confidentiality under policy \"casevault default\""
        )),
        "{printed}"
    );
    for kind in EXCEPTIONS {
        assert!(
            printed.contains(&format!("  - {kind}: ")),
            "{kind} told: {printed}"
        );
    }
    assert!(
        printed.contains(
            "  - duty-to-protect: When you make a serious and imminent threat against someone, I may warn the person threatened or those able to prevent harm."
        ),
        "{printed}"
    );

    let shown = v.ok(&["client", "show", &ada]);
    assert!(
        shown.contains(
            "intake:        limits of confidentiality acknowledged on 2026-01-15 (7 exceptions of policy \"casevault default\")"
        ),
        "{shown}"
    );
    assert!(!shown.contains("none recorded"), "{shown}");

    let json = v.json(&["client", "show", &ada]);
    assert_eq!(json["id"], ada.as_str());
    let intake = json["intake"].as_array().expect("intake is an array");
    assert_eq!(intake.len(), 1, "{json:#}");
    assert_eq!(intake[0]["client"], ada.as_str());
    assert_eq!(intake[0]["acknowledged_on"], "2026-01-15");
    assert_eq!(intake[0]["policy_version"], 1);
    assert_eq!(intake[0]["policy_name"], "casevault default");
    assert_eq!(intake[0]["recorded_by"], "dr-test");
    let kinds: Vec<&str> = intake[0]["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, EXCEPTIONS);

    let printed = v.json(&[
        "intake",
        "--client",
        &ada,
        "--acknowledged-on",
        "2026-02-01",
    ]);
    assert_eq!(printed["acknowledged_on"], "2026-02-01");
    assert!(is_id(printed["id"].as_str().unwrap()), "{printed}");
    assert_eq!(
        v.json(&["client", "show", &ada])["intake"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let (_, err) = fails(
        &v,
        &[
            "intake",
            "--client",
            "deadbeef",
            "--acknowledged-on",
            "2026-01-15",
        ],
        1,
    );
    assert!(err.contains("no client deadbeef"), "{err}");
}

// ---------------------------------------------------------------------------------
// policy

fn policy_show_prints_the_default_policy_as_version_1() {
    let (v, _) = TestVault::init();
    assert_policy_is(&v, 1, DEFAULT_POLICY);

    let json = v.json(&["policy", "show"]);
    assert_eq!(json["version"], 1);
    let p = &json["policy"];
    assert_eq!(p["name"], "casevault default");
    assert_eq!(p["categories"], json!(CATEGORIES));
    assert_eq!(p["purposes"], json!(PURPOSES));
    assert_eq!(p["sole_consent"], json!(["psychotherapy-notes"]));
    assert_eq!(p["explicit_consent"], json!(["substance-use"]));
    let kinds: Vec<&str> = p["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, EXCEPTIONS);
}

fn policy_set_makes_a_new_version_that_decisions_follow() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let emergency = [
        "disclose",
        "--client",
        &ada,
        "--to",
        "City ER",
        "--purpose",
        "treatment",
        "--categories",
        "medication,progress",
        "--exception",
        "emergency",
        "--justification",
        "overdose; treating physician asked",
        "--dry-run",
    ];
    let (out, _) = fails(&v, &emergency, 4);
    assert!(
        verdict_line(&out, "progress")
            .contains("emergency may release only identity, risk, medication, diagnosis"),
        "{out}"
    );

    let text = emergency_releases_progress();
    let file = v.dir.path().join("policy.toml");
    std::fs::write(&file, &text).unwrap();
    let printed = v.ok(&["policy", "set", file.to_str().unwrap()]);
    assert_eq!(printed, "policy version 2 is now in force");
    assert_policy_is(&v, 2, &text);
    let json = v.json(&["policy", "show"]);
    let releases = json["policy"]["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "emergency")
        .unwrap()["releases"]
        .clone();
    assert_eq!(
        releases,
        json!(["identity", "risk", "medication", "diagnosis", "progress"])
    );

    let out = v.ok(&emergency);
    assert!(
        out.contains("(version 2)"),
        "decided under version 2: {out}"
    );
    assert!(
        verdict_line(&out, "progress").contains(
            "permitted under emergency, which may release identity, risk, medication, diagnosis, progress"
        ),
        "{out}"
    );
    let d = decision_json(&v, &emergency, 0);
    assert_eq!(d["policy_version"], 2);
    assert_eq!(verdict(&d, "progress")["permitted"], true);

    // A third version (the default again) takes progress back out of emergency.
    let file3 = v.dir.path().join("policy3.toml");
    std::fs::write(&file3, DEFAULT_POLICY).unwrap();
    assert_eq!(
        v.ok(&["policy", "set", file3.to_str().unwrap()]),
        "policy version 3 is now in force"
    );
    assert_policy_is(&v, 3, DEFAULT_POLICY);
    fails(&v, &emergency, 4);
}

fn policy_with_an_unknown_category_is_rejected_naming_the_line() {
    let (v, _) = TestVault::init();
    let text = DEFAULT_POLICY.replace(
        r#"releases = ["identity", "risk", "medication""#,
        r#"releases = ["identity", "risks", "medication""#,
    );
    rejected_policy(
        &v,
        "unknown-category.toml",
        &text,
        line_of(&text, "\"risks\""),
        "exception \"emergency\": unknown category \"risks\"; the policy's categories are: identity,",
    );
    let text = DEFAULT_POLICY.replace(
        r#"sole-consent = ["psychotherapy-notes"]"#,
        r#"sole-consent = ["psychotherapy-note"]"#,
    );
    rejected_policy(
        &v,
        "unknown-sole.toml",
        &text,
        line_of(&text, "sole-consent = "),
        "rules.sole-consent: unknown category \"psychotherapy-note\"",
    );
}

fn policy_with_an_unknown_field_is_rejected_naming_the_line() {
    let (v, _) = TestVault::init();
    let text = DEFAULT_POLICY.replace("requires-reference = true", "requires-refrence = true");
    rejected_policy(
        &v,
        "unknown-field.toml",
        &text,
        line_of(&text, "requires-refrence"),
        "unknown field `requires-refrence`",
    );
    let text = DEFAULT_POLICY.replace("\ndescription = \"Deny", "\ndescriptio = \"Deny");
    rejected_policy(
        &v,
        "unknown-top-field.toml",
        &text,
        line_of(&text, "descriptio ="),
        "unknown field `descriptio`",
    );
}

fn policy_with_a_bad_date_is_rejected_naming_the_line() {
    let (v, _) = TestVault::init();
    let text = DEFAULT_POLICY.replace("effective = 2026-01-01", "effective = 2026-13-01");
    let line = line_of(&text, "effective = ");
    rejected_policy(&v, "bad-date.toml", &text, line, "month");
    let text = DEFAULT_POLICY.replace("effective = 2026-01-01", "effective = 2026-01-01T09:00:00");
    rejected_policy(
        &v,
        "date-time.toml",
        &text,
        line,
        "effective: write a date without a time",
    );
}

fn policy_with_a_duplicate_exception_is_rejected_naming_the_line() {
    let (v, _) = TestVault::init();
    let text = format!(
        "{DEFAULT_POLICY}\n[[exception]]\nkind = \"emergency\"\nreleases = [\"identity\"]\ndescription = \"Again.\"\n"
    );
    let second = text.rfind("kind = \"emergency\"").unwrap();
    let line = text[..second].matches('\n').count() + 1;
    assert!(line > line_of(&text, "kind = \"emergency\""));
    rejected_policy(
        &v,
        "duplicate.toml",
        &text,
        line,
        "exception \"emergency\" is defined twice",
    );
}

fn policy_with_a_toml_syntax_error_is_rejected_naming_the_line() {
    let (v, _) = TestVault::init();
    let text = DEFAULT_POLICY.replace("name = \"casevault default\"", "name = casevault default");
    rejected_policy(
        &v,
        "unquoted.toml",
        &text,
        line_of(&text, "name = casevault"),
        "string values must be quoted",
    );
    let text = DEFAULT_POLICY.replace("kind = \"subpoena\"", "kind = \"subpoena");
    rejected_policy(
        &v,
        "unterminated.toml",
        &text,
        line_of(&text, "kind = \"subpoena"),
        "invalid basic string",
    );
}

fn a_rejected_policy_leaves_the_previous_version_in_force() {
    let (v, _) = TestVault::init();
    let good = emergency_releases_progress();
    let file = v.dir.path().join("good.toml");
    std::fs::write(&file, &good).unwrap();
    v.ok(&["policy", "set", file.to_str().unwrap()]);

    let bad = good.replace("effective = 2026-01-01", "effective = 2026-13-01");
    let bad_file = v.dir.path().join("bad.toml");
    std::fs::write(&bad_file, &bad).unwrap();
    let (_, err) = fails(&v, &["policy", "set", bad_file.to_str().unwrap()], 1);
    assert!(
        err.contains(&format!("line {}: ", line_of(&bad, "effective ="))),
        "{err}"
    );
    assert_policy_is(&v, 2, &good);

    let (_, err) = fails(&v, &["policy", "set", "/no/such/policy.toml"], 1);
    assert!(
        err.contains("cannot read the policy file /no/such/policy.toml"),
        "{err}"
    );
    assert_policy_is(&v, 2, &good);
}

// ---------------------------------------------------------------------------------
// disclose --dry-run under consent

fn permitted_dry_run_prints_permitted_lines_with_the_consent_id() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let id = active(&v, &ada, "Dr Smith", "treatment", "diagnosis,progress");
    let (out, err) = succeeds(
        &v,
        &request(&ada, "Dr Smith", "treatment", "diagnosis,progress"),
    );
    assert!(err.is_empty(), "{err}");
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("decision "), "{out}");
    assert!(
        first.contains(" (dry run) on ")
            && first.contains("under policy \"casevault default\" (version 1)"),
        "{out}"
    );
    assert!(
        out.contains(&format!("client {ada} to \"Dr Smith\" for treatment")),
        "{out}"
    );
    assert!(out.contains(&format!("basis: consent {id}")), "{out}");
    for category in ["diagnosis", "progress"] {
        let line = verdict_line(&out, category);
        assert!(line.trim_start().starts_with("permitted"), "{line}");
        assert!(
            line.contains(&format!(
                "permitted by consent {id} (to Dr Smith for treatment, {FROM} to {UNTIL})"
            )),
            "{line}"
        );
    }
    assert!(
        out.contains("obligations:\n  - enter it in the client's accounting of disclosures"),
        "{out}"
    );
    assert!(
        out.contains("  - redact third parties' names and identifiers"),
        "{out}"
    );
    assert!(!out.contains("DENIED"), "{out}");
}

fn dry_run_json_has_verdicts_basis_and_obligations() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let id = active(&v, &ada, "Dr Smith", "treatment", "diagnosis,third-party");
    let d = decision_json(
        &v,
        &request(&ada, "Dr Smith", "treatment", "diagnosis,third-party"),
        0,
    );
    assert!(is_id(d["id"].as_str().unwrap()), "{d:#}");
    assert_eq!(d["dry_run"], true);
    assert_eq!(d["policy_version"], 1);
    assert_eq!(d["made_by"], "dr-test");
    let decision = &d["decision"];
    assert_eq!(decision["policy"], "casevault default");
    assert_eq!(decision["request"]["client"], ada.as_str());
    assert_eq!(decision["request"]["recipient"], "Dr Smith");
    assert_eq!(decision["request"]["purpose"], "treatment");
    assert_eq!(
        decision["request"]["categories"],
        json!(["diagnosis", "third-party"])
    );
    assert_eq!(
        decision["basis"],
        json!({"kind": "consent", "consents": [id]})
    );
    let verdicts = decision["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 2);
    for (v, category) in verdicts.iter().zip(["diagnosis", "third-party"]) {
        assert_eq!(v["category"], category);
        assert_eq!(v["permitted"], true);
        assert_eq!(v["consent"], id.as_str());
        assert!(
            v["reason"]
                .as_str()
                .unwrap()
                .starts_with(&format!("permitted by consent {id}")),
            "{v}"
        );
    }
    assert_eq!(decision["joint_notes"], json!([]));
    // third-party is permitted, so nothing needs redacting.
    assert_eq!(obligations(&d), ["accounting-entry"]);
}

fn partly_denied_request_exits_4_with_a_narrowed_request() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let id = active(&v, &ada, "Dr Smith", "treatment", "diagnosis,progress");
    let args = request(
        &ada,
        "Dr Smith",
        "treatment",
        "diagnosis,medication,progress,sexual-health",
    );
    let (out, err) = fails(&v, &args, 4);
    assert!(
        verdict_line(&out, "medication").contains(&format!(
            "DENIED     medication     consent {id} does not name medication"
        )),
        "{out}"
    );
    assert!(
        verdict_line(&out, "diagnosis").contains("permitted"),
        "{out}"
    );
    assert!(
        err.contains("error: denied by policy: medication, sexual-health"),
        "{err}"
    );
    assert!(
        err.contains(
            "hint: would be permitted: diagnosis, progress; narrow the request to --categories diagnosis,progress"
        ),
        "{err}"
    );

    // The narrowed request is permitted.
    v.ok(&request(
        &ada,
        "Dr Smith",
        "treatment",
        "diagnosis,progress",
    ));

    // JSON on stdout even when denied, for scripts.
    let d = decision_json(&v, &args, 4);
    assert_eq!(verdict(&d, "medication")["permitted"], false);
    assert_eq!(verdict(&d, "medication")["consent"], Value::Null);
    assert_eq!(verdict(&d, "progress")["permitted"], true);
    assert_eq!(
        d["decision"]["basis"],
        json!({"kind": "consent", "consents": [id]})
    );
}

fn nothing_permitted_exits_4_saying_so() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let (out, err) = fails(
        &v,
        &request(&ada, "Dr Smith", "treatment", "diagnosis,progress"),
        4,
    );
    assert!(out.contains("basis: consent (none permits)"), "{out}");
    assert!(
        verdict_line(&out, "diagnosis")
            .contains(&format!("no consent from client {ada} is on file")),
        "{out}"
    );
    assert!(!out.contains("obligations:"), "{out}");
    assert!(
        err.contains("error: denied by policy: diagnosis, progress"),
        "{err}"
    );
    assert!(
        err.contains("hint: nothing in this request would be permitted"),
        "{err}"
    );
    assert!(!err.contains("narrow the request"), "{err}");
    let d = decision_json(&v, &request(&ada, "Dr Smith", "treatment", "diagnosis"), 4);
    assert_eq!(d["decision"]["obligations"], json!([]));
}

fn unknown_purpose_or_category_in_a_request_is_a_usage_error_not_a_stored_denial() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    active(&v, &ada, "Dr Smith", "treatment", "all");
    // Every category and purpose with a letter dropped, doubled or changed, and a
    // word that is no name at all.
    let slips = |name: &str| -> Vec<String> {
        let chars: Vec<char> = name.chars().collect();
        let mut out = Vec::new();
        for i in 0..chars.len() {
            let mut dropped = chars.clone();
            dropped.remove(i);
            let mut doubled = chars.clone();
            doubled.insert(i, chars[i]);
            out.extend([dropped, doubled].map(|c| c.into_iter().collect::<String>()));
        }
        out.retain(|s| {
            s != name && !CATEGORIES.contains(&s.as_str()) && !PURPOSES.contains(&s.as_str())
        });
        out.truncate(3);
        out
    };
    for category in CATEGORIES {
        for slip in slips(category) {
            let cats = format!("diagnosis,{slip}");
            let (out, err) = fails(&v, &request(&ada, "Dr Smith", "treatment", &cats), 2);
            assert!(out.is_empty(), "{out}");
            assert!(
                err.contains(&format!("\"{slip}\" is not a category of the policy")),
                "{err}"
            );
            assert!(err.contains("use one of: identity"), "{err}");
        }
    }
    for purpose in PURPOSES {
        for slip in slips(purpose) {
            let (_, err) = fails(&v, &request(&ada, "Dr Smith", &slip, "diagnosis"), 2);
            assert!(
                err.contains(&format!(
                    "\"{slip}\" is not a purpose of the policy (did you mean \"{purpose}\"?)"
                )),
                "{err}"
            );
        }
    }
    let (_, err) = fails(&v, &request(&ada, "Dr Smith", "treatment", "dreams"), 2);
    assert!(
        err.contains("\"dreams\" is not a category of the policy; use one of"),
        "{err}"
    );
    // No decision was stored for any of them: each attempt is audited as failed.
    let events = v.json(&["audit", "log"]);
    let dry_runs: Vec<&serde_json::Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "disclose.dry-run")
        .collect();
    assert!(dry_runs.len() > 20, "{events:#}");
    assert!(
        dry_runs
            .iter()
            .all(|e| e["outcome"] == "failed: unknown name"),
        "{events:#}"
    );
}

fn psychotherapy_notes_need_a_consent_of_their_own() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let combined = active(
        &v,
        &ada,
        "Dr Combined",
        "treatment",
        "psychotherapy-notes,progress",
    );
    let sole = active(&v, &ada, "Dr Sole", "treatment", "psychotherapy-notes");
    let everything = active(&v, &ada, "Dr All", "treatment", "all");

    let (out, _) = fails(
        &v,
        &request(
            &ada,
            "Dr Combined",
            "treatment",
            "psychotherapy-notes,progress",
        ),
        4,
    );
    assert!(
        verdict_line(&out, "psychotherapy-notes").contains(&format!(
            "psychotherapy-notes need a consent that names them and no other category; consent {combined} also names progress"
        )),
        "{out}"
    );
    assert!(
        verdict_line(&out, "progress").contains("permitted"),
        "{out}"
    );

    let (out, _) = fails(
        &v,
        &request(&ada, "Dr All", "treatment", "psychotherapy-notes"),
        4,
    );
    assert!(
        verdict_line(&out, "psychotherapy-notes")
            .contains(&format!("consent {everything} does not name them")),
        "\"all\" never covers psychotherapy-notes: {out}"
    );

    let out = v.ok(&request(
        &ada,
        "Dr Sole",
        "treatment",
        "psychotherapy-notes",
    ));
    assert!(
        verdict_line(&out, "psychotherapy-notes").contains(&format!("permitted by consent {sole}")),
        "{out}"
    );
}

fn substance_use_must_be_named_and_carries_the_redisclosure_notice() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let all = active(&v, &ada, "Dr All", "treatment", "all");
    let named = active(&v, &ada, "Dr Named", "treatment", "substance-use,diagnosis");

    let (out, err) = fails(
        &v,
        &request(&ada, "Dr All", "treatment", "diagnosis,substance-use"),
        4,
    );
    assert!(
        verdict_line(&out, "substance-use").contains(&format!(
            "substance-use needs a consent that names it explicitly; consent {all} covers it only through \"all\""
        )),
        "{out}"
    );
    assert!(!out.contains("redisclosure"), "nothing carries it: {out}");
    assert!(err.contains("denied by policy: substance-use"), "{err}");

    let out = v.ok(&request(
        &ada,
        "Dr Named",
        "treatment",
        "diagnosis,substance-use",
    ));
    assert!(
        verdict_line(&out, "substance-use").contains(&format!("permitted by consent {named}")),
        "{out}"
    );
    assert!(
        out.contains("  - attach the redisclosure notice (42 CFR part 2)"),
        "{out}"
    );
    let d = decision_json(
        &v,
        &request(&ada, "Dr Named", "treatment", "substance-use"),
        0,
    );
    let notice = d["decision"]["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["obligation"] == "redisclosure-notice")
        .unwrap_or_else(|| panic!("no redisclosure notice: {d:#}"));
    let text = notice["text"].as_str().unwrap();
    assert!(
        text.starts_with("This record, which has been disclosed to you, is protected by federal confidentiality rules (42 CFR part 2)."),
        "{text}"
    );
}

fn revoked_expired_and_future_consents_never_permit() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let revoked = active(&v, &ada, "Dr Smith", "treatment", "diagnosis");
    v.ok(&["consent", "revoke", &revoked, "--on", "2024-05-01"]);
    let expired = consent(
        &v,
        &ada,
        "Dr Smith",
        "treatment",
        "diagnosis",
        "2020-01-01",
        "2021-12-31",
    );
    let future = consent(
        &v,
        &ada,
        "Dr Smith",
        "treatment",
        "diagnosis",
        "2098-01-01",
        UNTIL,
    );

    for (id, reason) in [
        (
            &revoked,
            format!("consent {revoked} was revoked on 2024-05-01"),
        ),
        (&expired, format!("consent {expired} expired on 2021-12-31")),
        (
            &future,
            format!("consent {future} takes effect on 2098-01-01"),
        ),
    ] {
        let mut args = request(&ada, "Dr Smith", "treatment", "diagnosis");
        args.extend(["--consent", id]);
        let (out, err) = fails(&v, &args, 4);
        assert!(verdict_line(&out, "diagnosis").contains(&reason), "{out}");
        assert!(err.contains("denied by policy: diagnosis"), "{err}");
        assert!(
            err.contains("nothing in this request would be permitted"),
            "{err}"
        );
    }

    // Without --consent every consent's reason is given.
    let (out, _) = fails(&v, &request(&ada, "Dr Smith", "treatment", "diagnosis"), 4);
    let line = verdict_line(&out, "diagnosis");
    assert!(line.contains("no consent permits diagnosis: "), "{line}");
    for id in [&revoked, &expired, &future] {
        assert!(line.contains(&format!("consent {id} ")), "{line}");
    }
}

fn a_revocation_dated_in_the_future_does_not_yet_stop_disclosure() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let id = active(&v, &ada, "Dr Smith", "treatment", "diagnosis");
    v.ok(&["consent", "revoke", &id, "--on", "2099-01-01"]);
    assert_eq!(v.json(&["consent", "show", &id])["version"], 2);
    let listed = v.ok(&["consent", "list", "--client", &ada]);
    assert!(listed.contains("  active  "), "{listed}");
    v.ok(&request(&ada, "Dr Smith", "treatment", "diagnosis"));
}

fn wrong_recipient_or_purpose_is_denied() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let id = active(&v, &ada, "Dr Smith", "treatment", "diagnosis");

    let (out, _) = fails(&v, &request(&ada, "Dr Jones", "treatment", "diagnosis"), 4);
    assert!(
        verdict_line(&out, "diagnosis")
            .contains(&format!("consent {id} is for Dr Smith, not Dr Jones")),
        "{out}"
    );

    let (out, _) = fails(&v, &request(&ada, "Dr Smith", "payment", "diagnosis"), 4);
    assert!(
        verdict_line(&out, "diagnosis").contains(&format!(
            "consent {id} does not cover the purpose payment (it covers treatment)"
        )),
        "{out}"
    );

    // The recipient's name is matched without regard to case or spacing.
    v.ok(&request(&ada, "  dr   SMITH ", "treatment", "diagnosis"));
}

fn consent_of_another_client_is_an_error() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let zoe = v.add_client("Zoe Second", &[]);
    let zoes = active(&v, &zoe, "Dr Smith", "treatment", "diagnosis");

    let mut args = request(&ada, "Dr Smith", "treatment", "diagnosis");
    args.extend(["--consent", &zoes]);
    let (out, err) = fails(&v, &args, 1);
    assert!(out.is_empty(), "no decision printed: {out}");
    assert!(
        err.contains(&format!("consent {zoes} is not a consent of client {ada}")),
        "{err}"
    );

    let mut args = request(&ada, "Dr Smith", "treatment", "diagnosis");
    args.extend(["--consent", "deadbeef"]);
    let (_, err) = fails(&v, &args, 1);
    assert!(err.contains("no consent deadbeef"), "{err}");

    let (_, err) = fails(
        &v,
        &request("deadbeef", "Dr Smith", "treatment", "diagnosis"),
        1,
    );
    assert!(err.contains("no client deadbeef"), "{err}");
}

fn excluded_category_is_denied_even_under_all() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let id = v.ok(&[
        "consent",
        "add",
        "--client",
        &ada,
        "--recipient",
        "Dr Smith",
        "--purpose",
        "treatment",
        "--allow",
        "all",
        "--exclude",
        "sexual-health",
        "--from",
        FROM,
        "--expires",
        UNTIL,
    ]);
    let (out, err) = fails(
        &v,
        &request(&ada, "Dr Smith", "treatment", "diagnosis,sexual-health"),
        4,
    );
    assert!(
        verdict_line(&out, "sexual-health")
            .contains(&format!("consent {id} excludes sexual-health")),
        "{out}"
    );
    assert!(err.contains("--categories diagnosis"), "{err}");
}

fn reversed_date_range_is_an_error() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let mut args = request(&ada, "Dr Smith", "treatment", "diagnosis");
    args.extend(["--from", "2026-05-01", "--until", "2026-04-01"]);
    let (_, err) = fails(&v, &args, 1);
    assert!(
        err.contains("the date range ends (2026-04-01) before it starts (2026-05-01)"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------
// disclose --dry-run under exceptions

/// `disclose --dry-run` arguments under `exception`.
fn under<'a>(
    client: &'a str,
    exception: &'a str,
    cats: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "disclose",
        "--client",
        client,
        "--to",
        "County Sheriff",
        "--purpose",
        "legal",
        "--categories",
        cats,
        "--exception",
        exception,
        "--justification",
        "client named a coworker and a date; means and intent stated in session",
        "--dry-run",
    ];
    args.extend_from_slice(extra);
    args
}

fn duty_to_protect_releases_identity_and_risk_only() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);

    let out = v.ok(&under(&ada, "duty-to-protect", "identity,risk", &[]));
    assert!(out.contains("basis: exception duty-to-protect"), "{out}");
    for category in ["identity", "risk"] {
        assert!(
            verdict_line(&out, category)
                .contains("permitted under duty-to-protect, which may release identity, risk"),
            "{out}"
        );
    }
    assert!(
        out.contains("  - enter it in the client's accounting of disclosures"),
        "{out}"
    );
    assert!(
        out.contains("  - tell the client, unless that is unsafe"),
        "{out}"
    );

    let args = under(&ada, "duty-to-protect", "identity,risk,diagnosis", &[]);
    let (out, err) = fails(&v, &args, 4);
    assert!(
        verdict_line(&out, "diagnosis").contains("duty-to-protect may release only identity, risk"),
        "{out}"
    );
    assert!(err.contains("denied by policy: diagnosis"), "{err}");
    assert!(
        err.contains("narrow the request to --categories identity,risk"),
        "{err}"
    );

    let d = decision_json(&v, &args, 4);
    assert_eq!(
        d["decision"]["basis"],
        json!({
            "kind": "exception",
            "exception": "duty-to-protect",
            "justification": "client named a coworker and a date; means and intent stated in session",
            "reference": null,
        })
    );
    assert_eq!(
        obligations(&d),
        ["accounting-entry", "tell-client", "redact-third-parties"]
    );
    assert_eq!(d["decision"]["request"]["purpose"], "legal");
}

fn exceptions_never_release_psychotherapy_notes_except_by_court_order() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let (out, _) = fails(
        &v,
        &under(&ada, "emergency", "medication,psychotherapy-notes", &[]),
        4,
    );
    assert!(
        verdict_line(&out, "psychotherapy-notes").contains(
            "psychotherapy-notes are released without consent only under a court order that names them"
        ),
        "{out}"
    );
    assert!(
        verdict_line(&out, "medication").contains("permitted"),
        "{out}"
    );
}

fn unknown_exception_is_denied_listing_the_policys_exceptions() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let (out, err) = fails(&v, &under(&ada, "act-of-god", "identity", &[]), 4);
    assert!(
        verdict_line(&out, "identity").contains(&format!(
            "act-of-god is not an exception of the policy (it has: {})",
            EXCEPTIONS.join(", ")
        )),
        "{out}"
    );
    assert!(
        err.contains("nothing in this request would be permitted"),
        "{err}"
    );
}

fn exception_without_a_justification_is_a_usage_error() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let base = [
        "disclose",
        "--client",
        &ada,
        "--to",
        "County Sheriff",
        "--purpose",
        "legal",
        "--categories",
        "identity",
        "--dry-run",
    ];

    let mut args = base.to_vec();
    args.extend(["--exception", "duty-to-protect"]);
    let (out, err) = fails(&v, &args, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("--justification"), "{err}");

    let mut args = base.to_vec();
    args.extend(["--exception", "duty-to-protect", "--justification", "   "]);
    let (_, err) = fails(&v, &args, 2);
    assert!(err.contains("the justification is empty"), "{err}");

    let mut args = base.to_vec();
    args.extend(["--justification", "because"]);
    let (_, err) = fails(&v, &args, 2);
    assert!(err.contains("--exception"), "{err}");

    // Nothing was decided.
    let events = v.json(&["audit", "log"]);
    assert!(
        !events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"].as_str().unwrap().starts_with("disclose")),
        "{events:#}"
    );
}

fn court_order_needs_a_reference() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let (out, err) = fails(&v, &under(&ada, "court-order", "diagnosis", &[]), 2);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("error: a court-order disclosure needs the order's reference"),
        "{err}"
    );
    assert!(err.contains("hint: add --reference"), "{err}");
    let (_, err) = fails(
        &v,
        &under(&ada, "court-order", "diagnosis", &["--reference", "  "]),
        2,
    );
    assert!(err.contains("needs the order's reference"), "{err}");
}

fn court_order_releases_only_the_categories_it_names() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let args = under(
        &ada,
        "court-order",
        "diagnosis,psychotherapy-notes",
        &[
            "--reference",
            "CV-2026-0042",
            "--order-categories",
            "diagnosis,attendance",
        ],
    );
    let (out, err) = fails(&v, &args, 4);
    assert!(
        out.contains("basis: exception court-order (reference CV-2026-0042)"),
        "{out}"
    );
    assert!(
        verdict_line(&out, "diagnosis").contains("named by the court order CV-2026-0042"),
        "{out}"
    );
    assert!(
        verdict_line(&out, "psychotherapy-notes")
            .contains("the court order CV-2026-0042 does not name psychotherapy-notes"),
        "{out}"
    );
    assert!(
        err.contains("denied by policy: psychotherapy-notes"),
        "{err}"
    );
    assert!(err.contains("--categories diagnosis"), "{err}");

    let d = decision_json(&v, &args, 4);
    assert_eq!(d["decision"]["basis"]["reference"], "CV-2026-0042");
    assert_eq!(
        d["decision"]["request"]["exception"]["order_categories"],
        json!(["diagnosis", "attendance"])
    );

    // An order that names them releases them.
    let out = v.ok(&under(
        &ada,
        "court-order",
        "diagnosis,psychotherapy-notes",
        &[
            "--reference",
            "CV-2026-0042",
            "--order-categories",
            "diagnosis,psychotherapy-notes",
        ],
    ));
    assert!(
        verdict_line(&out, "psychotherapy-notes").contains("named by the court order"),
        "{out}"
    );
}

fn subpoena_alone_releases_nothing() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let (out, err) = fails(
        &v,
        &under(
            &ada,
            "subpoena",
            "attendance,diagnosis",
            &["--reference", "SUB-17"],
        ),
        4,
    );
    let reason = "a subpoena alone does not authorize release; obtain the client's authorization or a court order";
    for category in ["attendance", "diagnosis"] {
        assert!(verdict_line(&out, category).contains(reason), "{out}");
    }
    assert!(!out.contains("obligations:"), "{out}");
    assert!(
        err.contains("denied by policy: attendance, diagnosis"),
        "{err}"
    );
    assert!(
        err.contains("nothing in this request would be permitted"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------
// the client's own request

fn client_request_releases_everything_but_psychotherapy_notes() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    let everything = CATEGORIES.join(",");
    let (out, err) = fails(
        &v,
        &request(&ada, "client", "client-request", &everything),
        4,
    );
    assert!(out.contains("basis: the client's own request"), "{out}");
    for category in CATEGORIES {
        let line = verdict_line(&out, category);
        if category == "psychotherapy-notes" {
            assert!(
                line.contains(
                    "psychotherapy-notes are never released to the client's own access request"
                ),
                "{line}"
            );
        } else {
            assert!(
                line.contains(
                    "the client's own request releases everything but psychotherapy-notes"
                ),
                "{line}"
            );
        }
    }
    assert!(
        out.contains("  - list it in the client's accounting, marked as their own request"),
        "{out}"
    );
    assert!(
        err.contains("error: denied by policy: psychotherapy-notes\n"),
        "{err}"
    );
    let rest: Vec<&str> = CATEGORIES
        .iter()
        .copied()
        .filter(|c| *c != "psychotherapy-notes")
        .collect();
    assert!(
        err.contains(&format!("--categories {}", rest.join(","))),
        "{err}"
    );

    let rest = rest.join(",");
    let d = decision_json(&v, &request(&ada, "client", "client-request", &rest), 0);
    assert_eq!(d["decision"]["basis"], json!({"kind": "client-request"}));
    assert_eq!(
        obligations(&d),
        ["accounting-client-request", "redisclosure-notice"]
    );

    // The client may be named instead of `client`; anyone else needs a consent.
    v.ok(&request(&ada, "Ada Example", "client-request", "diagnosis"));
    let (out, _) = fails(
        &v,
        &request(&ada, "Dr Smith", "client-request", "diagnosis"),
        4,
    );
    assert!(
        verdict_line(&out, "diagnosis")
            .contains("client-request releases only to the client (--to client)"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------
// joint notes

fn joint_note_is_withheld_when_a_partner_has_not_consented() {
    let (v, _) = TestVault::init();
    let ann = v.add_client("Ann Couple", &["Ned Couple"]);
    let ned = v.add_client("Ned Couple", &["Ann Couple"]);
    let note = v.ok_stdin(
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
        "Worked on communication.\n",
    );
    let own = v.add_note(&ann, "2026-03-10", "Individual follow-up.\n");
    active(&v, &ann, "Dr Smith", "treatment", "progress");

    let args = request(&ann, "Dr Smith", "treatment", "progress");
    let out = v.ok(&args);
    assert!(out.contains("joint notes:"), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains(&note))
        .unwrap_or_else(|| panic!("joint note listed: {out}"));
    assert!(line.trim_start().starts_with("WITHHELD"), "{line}");
    assert!(line.contains("2026-03-03"), "{line}");
    assert!(
        line.contains(&format!(
            "joint note {note} of 2026-03-03 withheld whole: no permission from client {ned}"
        )),
        "{line}"
    );
    assert!(!out.contains(&own), "individual notes are not joint: {out}");

    let d = decision_json(&v, &args, 0);
    assert_eq!(
        d["decision"]["joint_notes"],
        json!([{
            "note": note,
            "date": "2026-03-03",
            "permitted": false,
            "missing": [ned],
            "participants": [],
            "reason": format!("joint note {note} of 2026-03-03 withheld whole: no permission from client {ned}"),
        }])
    );

    // A consent from the partner to someone else does not help.
    active(&v, &ned, "Dr Jones", "treatment", "progress");
    let out = v.ok(&args);
    assert!(out.contains("  WITHHELD   "), "{out}");

    // Outside the requested range the joint note is not involved.
    let mut narrowed = args.clone();
    narrowed.extend(["--from", "2026-03-04"]);
    let out = v.ok(&narrowed);
    assert!(!out.contains("joint notes:"), "{out}");

    // Once the partner consents, it is included.
    active(&v, &ned, "Dr Smith", "treatment", "progress");
    let out = v.ok(&args);
    let line = out.lines().find(|l| l.contains(&note)).unwrap();
    assert!(line.trim_start().starts_with("included"), "{line}");
    assert!(
        line.contains("every participant permits this disclosure"),
        "{line}"
    );
    let d = decision_json(&v, &args, 0);
    assert_eq!(d["decision"]["joint_notes"][0]["permitted"], true);
    assert_eq!(d["decision"]["joint_notes"][0]["missing"], json!([]));
}

/// `--to client` and `--to "<the client's name>"` are the same request (the engine
/// treats both as the client's own); a joint note must come out the same either way.
fn client_request_joint_note_does_not_depend_on_how_the_client_is_named() {
    let (v, _) = TestVault::init();
    let ann = v.add_client("Ann Couple", &[]);
    let ned = v.add_client("Ned Couple", &[]);
    let note = v.ok_stdin(
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
        "Worked on communication.\n",
    );
    // Ned lets Ann have his part of their joint sessions.
    active(&v, &ned, "Ann Couple", "client-request", "progress");

    let by_name = decision_json(
        &v,
        &request(&ann, "Ann Couple", "client-request", "progress"),
        0,
    );
    let by_word = decision_json(
        &v,
        &request(&ann, "client", "client-request", "progress"),
        0,
    );
    assert_eq!(by_name["decision"]["joint_notes"][0]["note"], note.as_str());
    assert_eq!(
        by_name["decision"]["joint_notes"][0]["permitted"], true,
        "{by_name:#}"
    );
    assert_eq!(
        by_word["decision"]["joint_notes"][0]["permitted"],
        by_name["decision"]["joint_notes"][0]["permitted"],
        "--to client and --to \"Ann Couple\" disagree on joint note {note}: {:#}",
        by_word["decision"]["joint_notes"]
    );
}

// ---------------------------------------------------------------------------------
// audit and the refusal to export

/// The `disclose.dry-run` events in the audit log.
fn dry_run_events(v: &TestVault) -> Vec<Value> {
    v.json(&["audit", "log"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "disclose.dry-run")
        .cloned()
        .collect()
}

fn dry_runs_are_audited_with_their_outcome_and_purpose() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    active(&v, &ada, "Dr Smith", "treatment", "diagnosis");
    assert!(dry_run_events(&v).is_empty());

    let permitted = decision_json(&v, &request(&ada, "Dr Smith", "treatment", "diagnosis"), 0);
    fails(&v, &request(&ada, "Dr Smith", "payment", "diagnosis"), 4);
    fails(&v, &under(&ada, "subpoena", "diagnosis", &[]), 4);

    let events = dry_run_events(&v);
    assert_eq!(events.len(), 3, "{events:#?}");
    let summary: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap(),
                e["purpose"].as_str().unwrap_or("<none>"),
                e["actor"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("permitted", "treatment", "dr-test"),
            ("denied", "payment", "dr-test"),
            ("denied", "legal", "dr-test"),
        ]
    );
    // The decision record written is among the event's targets.
    let id = permitted["id"].as_str().unwrap();
    assert!(
        events[0]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "decision" && t["id"] == id && t["access"] == "write"),
        "{:#}",
        events[0]
    );
    assert!(
        events[0]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "client" && t["id"] == ada.as_str()),
        "{:#}",
        events[0]
    );

    let log = v.ok(&["audit", "log"]);
    assert!(
        log.lines().any(|l| l.contains("disclose.dry-run")
            && l.contains("denied")
            && l.contains("purpose payment")),
        "{log}"
    );
}

fn disclose_without_dry_run_needs_an_out_file() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    active(&v, &ada, "Dr Smith", "treatment", "diagnosis");
    let (out, err) = fails(
        &v,
        &[
            "disclose",
            "--client",
            &ada,
            "--to",
            "Dr Smith",
            "--purpose",
            "treatment",
            "--categories",
            "diagnosis",
            "--recipient",
            AGE_KEY,
        ],
        2,
    );
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("--out"), "{err}");
    assert!(dry_run_events(&v).is_empty());
}

fn audit_verify_passes_after_consents_policy_and_decisions() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &["Ben Example"]);
    let ben = v.add_client("Ben Example", &[]);
    v.ok_stdin(
        &[
            "note",
            "add",
            "--client",
            &ada,
            "--client",
            &ben,
            "--date",
            "2026-03-03",
            "--type",
            "couples",
        ],
        "Joint session.\n## third-party\nAda's sister called.\n",
    );
    v.add_note(&ada, "2026-03-10", "## risk\nLow.\n");
    v.ok(&[
        "intake",
        "--client",
        &ada,
        "--acknowledged-on",
        "2026-01-15",
    ]);
    let c1 = active(&v, &ada, "Dr Smith", "treatment", "all");
    active(&v, &ada, "Dr Sole", "treatment", "psychotherapy-notes");
    v.ok(&["consent", "revoke", &c1, "--on", "2024-01-01"]);
    fails(&v, &["consent", "revoke", &c1], 1);

    let file = v.dir.path().join("p.toml");
    std::fs::write(&file, emergency_releases_progress()).unwrap();
    v.ok(&["policy", "set", file.to_str().unwrap()]);
    let bad = v.dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \n").unwrap();
    fails(&v, &["policy", "set", bad.to_str().unwrap()], 1);

    fails(&v, &request(&ada, "Dr Smith", "treatment", "diagnosis"), 4);
    v.ok(&request(
        &ada,
        "Dr Sole",
        "treatment",
        "psychotherapy-notes",
    ));
    v.ok(&under(&ada, "emergency", "progress", &[]));
    v.ok(&request(&ada, "client", "client-request", "risk"));
    fails(&v, &under(&ada, "subpoena", "risk", &[]), 4);

    let verified = v.ok(&["audit", "verify"]);
    assert!(verified.contains("audit trail intact"), "{verified}");
    let report = v.json(&["audit", "verify"]);
    assert_eq!(report["findings"], json!([]), "{report:#}");

    let actions: Vec<String> = v
        .json(&["audit", "log"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    for action in [
        "intake.add",
        "consent.add",
        "consent.revoke",
        "policy.set",
        "disclose.dry-run",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} audited: {actions:?}"
        );
    }
}

common::on_both_backends!(
    consent_add_prints_an_id_and_records_every_field,
    consent_add_accepts_an_ssh_public_key,
    consent_add_rejects_an_invalid_recipient_key,
    consent_add_rejects_unknown_purpose_or_category_listing_the_policys_names,
    consent_add_rejects_an_expiry_before_the_effective_date,
    consent_add_for_an_unknown_client_fails,
    guardian_consent_needs_the_signers_name,
    combining_psychotherapy_notes_with_other_categories_warns,
    sole_consent_warning_agrees_with_the_decision,
    consent_list_shows_each_consents_state,
    consent_revoke_keeps_the_consent_as_version_2,
    an_earlier_revocation_replaces_a_later_one_and_stops_it_permitting,
    revoke_json_prints_the_revoked_consent,
    unknown_consent_id_fails_with_a_hint,
    intake_lists_the_exceptions_told_and_client_show_reports_it,
    policy_show_prints_the_default_policy_as_version_1,
    policy_set_makes_a_new_version_that_decisions_follow,
    policy_with_an_unknown_category_is_rejected_naming_the_line,
    policy_with_an_unknown_field_is_rejected_naming_the_line,
    policy_with_a_bad_date_is_rejected_naming_the_line,
    policy_with_a_duplicate_exception_is_rejected_naming_the_line,
    policy_with_a_toml_syntax_error_is_rejected_naming_the_line,
    a_rejected_policy_leaves_the_previous_version_in_force,
    permitted_dry_run_prints_permitted_lines_with_the_consent_id,
    dry_run_json_has_verdicts_basis_and_obligations,
    partly_denied_request_exits_4_with_a_narrowed_request,
    nothing_permitted_exits_4_saying_so,
    unknown_purpose_or_category_in_a_request_is_a_usage_error_not_a_stored_denial,
    psychotherapy_notes_need_a_consent_of_their_own,
    substance_use_must_be_named_and_carries_the_redisclosure_notice,
    revoked_expired_and_future_consents_never_permit,
    a_revocation_dated_in_the_future_does_not_yet_stop_disclosure,
    wrong_recipient_or_purpose_is_denied,
    consent_of_another_client_is_an_error,
    excluded_category_is_denied_even_under_all,
    reversed_date_range_is_an_error,
    duty_to_protect_releases_identity_and_risk_only,
    exceptions_never_release_psychotherapy_notes_except_by_court_order,
    unknown_exception_is_denied_listing_the_policys_exceptions,
    exception_without_a_justification_is_a_usage_error,
    court_order_needs_a_reference,
    court_order_releases_only_the_categories_it_names,
    subpoena_alone_releases_nothing,
    client_request_releases_everything_but_psychotherapy_notes,
    joint_note_is_withheld_when_a_partner_has_not_consented,
    client_request_joint_note_does_not_depend_on_how_the_client_is_named,
    dry_runs_are_audited_with_their_outcome_and_purpose,
    disclose_without_dry_run_needs_an_out_file,
    audit_verify_passes_after_consents_policy_and_decisions,
);
