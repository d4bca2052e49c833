//! Jurisdiction packs from the command line: listing and using them, exceptions that
//! go only to the recipients the law names, Part 2 records, restrictions and the
//! lockbox, and who signs for a minor.

mod common;

use common::TestVault;

/// Runs `casevault ARGS`, returning (exit code, stdout, stderr).
fn run(v: &TestVault, args: &[&str]) -> (i32, String, String) {
    let out = v.output(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Expects `args` to fail with `code`, the message holding `needle`, and the vault's
/// file unchanged but for the audit trail's record of the failure.
fn fails(v: &TestVault, args: &[&str], code: i32, needle: &str) -> String {
    let (got, out, err) = run(v, args);
    assert_eq!(got, code, "{args:?}: {out}{err}");
    assert!(err.contains(needle), "{args:?}: {err}");
    err
}

fn vault_with(pack: &str) -> TestVault {
    let (v, _) = TestVault::init();
    v.ok(&["policy", "use", pack]);
    v
}

const TODAY_NOTE: &str = "Calmer.\n## diagnosis\nF41.1\n## risk\nNo intent.\n## sexual-health\nPrivate matter.\n## progress\nSleeping better.\n";

#[test]
fn packs_are_listed_and_one_is_put_in_force_as_a_new_audited_version() {
    let (v, _) = TestVault::init();
    let listed = v.ok(&["policy", "packs"]);
    for id in [
        "us-federal",
        "us-ca",
        "us-ny",
        "us-tx",
        "us-fl",
        "us-il",
        "us-wa",
        "ca-on",
        "uk",
        "au",
    ] {
        assert!(
            listed.lines().any(|l| l.starts_with(id)),
            "{id} not listed: {listed}"
        );
    }
    assert!(listed.contains("extends us-federal"), "{listed}");
    let json = v.json(&["policy", "packs"]);
    assert_eq!(json[1]["pack"], "us-ca");
    assert_eq!(json[1]["extends"], "us-federal");

    let done = v.ok(&["policy", "use", "us-tx"]);
    assert!(
        done.contains("policy version 2 is now in force: pack us-tx"),
        "{done}"
    );
    let shown = v.cmd().args(["policy", "show"]).assert().success();
    let shown = String::from_utf8_lossy(&shown.get_output().stdout).into_owned();
    assert!(shown.contains("extends = \"us-federal\""), "{shown}");
    // The citations of what the pack takes from the baseline are printed too.
    assert!(
        shown.contains("# exception duty-to-protect [permitted; to medical, law-enforcement] (Tex. Health & Safety Code"),
        "{shown}"
    );
    assert!(
        shown.contains("# rule sole-consent (45 CFR 164.508(a)(2)"),
        "{shown}"
    );
    // What it prints reads back as the same policy.
    let file = v.dir.path().join("shown.toml");
    std::fs::write(&file, &shown).unwrap();
    assert!(
        v.ok(&["policy", "set", file.to_str().unwrap()])
            .contains("policy version 3")
    );
    // And prints the same again: the comments are not stored with it.
    let again = v.cmd().args(["policy", "show"]).assert().success();
    assert_eq!(String::from_utf8_lossy(&again.get_output().stdout), shown);
    let log = v.ok(&["audit", "log"]);
    assert_eq!(log.matches("policy.set").count(), 2, "{log}");

    // An unknown pack: a usage error naming the packs, and no new version.
    fails(
        &v,
        &["policy", "use", "us-zz"],
        2,
        "\"us-zz\" is not a pack of the policy",
    );
    assert_eq!(v.json(&["policy", "show"])["version"], 3);
}

#[test]
fn an_exception_goes_only_to_the_recipients_its_law_names() {
    let v = vault_with("us-tx");
    let ada = v.add_client("Ada Example", &[]);
    v.add_note(&ada, "2026-03-01", TODAY_NOTE);
    let why = v.dir.path().join("why.txt");
    std::fs::write(&why, "Client named a coworker and a date.\n").unwrap();
    let why = why.to_str().unwrap();
    let base = [
        "disclose",
        "--client",
        &ada,
        "--to",
        "Sam Target",
        "--purpose",
        "treatment",
        "--categories",
        "identity,risk",
        "--exception",
        "duty-to-protect",
        "--justification-file",
        why,
        "--dry-run",
    ];
    // Texas: to medical or law-enforcement personnel only; the victim is refused, with
    // the citation.
    let mut to_victim = base.to_vec();
    to_victim.extend(["--recipient-kind", "victim"]);
    let (code, out, _) = run(&v, &to_victim);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("duty-to-protect goes only to medical, law-enforcement, not to victim (Tex. Health & Safety Code"), "{out}");
    // Without a kind: refused, saying how to name it.
    let (code, out, _) = run(&v, &base);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("--recipient-kind"), "{out}");
    // To law enforcement: permitted, with the citation.
    let mut to_police = base.to_vec();
    to_police.extend(["--recipient-kind", "law-enforcement"]);
    let out = v.ok(&to_police);
    assert!(out.contains("permitted  identity"), "{out}");
    assert!(
        out.contains("permitted under duty-to-protect (Tex. Health & Safety Code"),
        "{out}"
    );
    assert!(!out.contains("required:"), "{out}");
    // A kind the policy does not know is a usage error, not a stored denial.
    let mut typo = base.to_vec();
    typo.extend(["--recipient-kind", "polise"]);
    fails(
        &v,
        &typo,
        2,
        "\"polise\" is not a recipient kind of the policy",
    );

    // California: the duty is required, and discharged by warning the victim.
    v.ok(&["policy", "use", "us-ca"]);
    let out = v.ok(&to_victim);
    assert!(
        out.contains("required: the law requires this disclosure"),
        "{out}"
    );
    assert!(
        out.contains("required under duty-to-protect (Cal. Civ. Code 43.92"),
        "{out}"
    );
    let json = v.json(&to_victim);
    assert_eq!(json["decision"]["required"], true);
    assert_eq!(json["decision"]["request"]["recipient_kind"], "victim");
}

#[test]
fn a_part2_record_carries_the_notice_and_stays_out_of_proceedings_without_a_part2_order() {
    let (v, _) = TestVault::init();
    let ada = v.add_client("Ada Example", &[]);
    // The built-in default has no Part 2 rules: marking the client is refused.
    fails(
        &v,
        &["client", "edit", &ada, "--part2-program"],
        1,
        "has no 42 CFR Part 2 rules",
    );
    v.ok(&["policy", "use", "us-federal"]);
    let shown = v.ok(&["client", "edit", &ada, "--part2-program"]);
    assert!(
        shown.contains("a 42 CFR Part 2 program's record"),
        "{shown}"
    );
    v.add_note(&ada, "2026-03-01", TODAY_NOTE);
    // The single consent for treatment, payment and operations, by class.
    fails(
        &v,
        &[
            "consent",
            "add",
            "--client",
            &ada,
            "--recipient",
            "my treating providers",
            "--allow",
            "diagnosis",
            "--expires",
            "2027-01-01",
            "--tpo",
            "--recipient-kind",
            "medical",
        ],
        2,
        "a --tpo consent has no end date",
    );
    let consent = v.ok(&[
        "consent",
        "add",
        "--client",
        &ada,
        "--recipient",
        "my treating providers",
        "--allow",
        "diagnosis",
        "--expires",
        "none",
        "--tpo",
        "--recipient-kind",
        "medical",
        "--from",
        "2026-01-01",
    ]);
    let listed = v.ok(&["consent", "list", "--client", &ada]);
    assert!(
        listed.contains("my treating providers (medical recipients)"),
        "{listed}"
    );
    assert!(listed.contains("to its revocation in writing"), "{listed}");
    assert!(
        listed.contains("for treatment,payment,operations"),
        "{listed}"
    );
    let out_file = v.dir.path().join("osei.md");
    v.ok(&[
        "disclose",
        "--client",
        &ada,
        "--to",
        "Dr Osei",
        "--recipient-kind",
        "medical",
        "--purpose",
        "treatment",
        "--categories",
        "diagnosis",
        "--write-plaintext",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    let export = std::fs::read_to_string(&out_file).unwrap();
    assert!(export.contains("F41.1"), "{export}");
    assert!(
        export.contains("42 CFR part 2 prohibits unauthorized use or disclosure of these records."),
        "{export}"
    );
    // Revoked only in writing.
    fails(
        &v,
        &["consent", "revoke", &consent],
        1,
        "revoked only in writing",
    );
    let revoked = v.ok(&["consent", "revoke", &consent, "--in-writing"]);
    assert!(revoked.contains(", in writing"), "{revoked}");

    // A court order of the ordinary kind does not reach the record; a subpoena never.
    let reference = v.dir.path().join("ref.txt");
    std::fs::write(&reference, "Case 26-CV-0042\n").unwrap();
    let why = v.dir.path().join("why.txt");
    std::fs::write(&why, "Order of the Superior Court.\n").unwrap();
    let order = |kind: &str| {
        run(
            &v,
            &[
                "disclose",
                "--client",
                &ada,
                "--to",
                "Superior Court",
                "--recipient-kind",
                "court",
                "--purpose",
                "legal",
                "--categories",
                "diagnosis",
                "--exception",
                kind,
                "--justification-file",
                why.to_str().unwrap(),
                "--reference-file",
                reference.to_str().unwrap(),
                "--dry-run",
            ],
        )
    };
    let (code, out, _) = order("court-order");
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("42 CFR 2.64 or 2.65"), "{out}");
    assert!(out.contains("--exception part2-court-order"), "{out}");
    let (code, out, _) = order("subpoena");
    assert_eq!(code, 4, "{out}");
    let (code, out, _) = order("part2-court-order");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("permitted  diagnosis"), "{out}");
}

#[test]
fn a_restriction_denies_what_it_covers_and_self_pay_cannot_be_refused() {
    let v = vault_with("us-federal");
    let ada = v.add_client("Ada Example", &[]);
    v.add_note(&ada, "2026-03-01", TODAY_NOTE);
    v.ok(&[
        "consent",
        "add",
        "--client",
        &ada,
        "--recipient",
        "Acme Health Plan",
        "--purpose",
        "payment",
        "--allow",
        "diagnosis,attendance",
        "--expires",
        "2027-12-31",
        "--from",
        "2026-01-01",
    ]);
    let id = v.ok(&[
        "restriction",
        "add",
        "--client",
        &ada,
        "--categories",
        "diagnosis",
        "--self-pay",
        "--requested-on",
        "2026-02-01",
    ]);
    let listed = v.ok(&["restriction", "list", "--client", &ada]);
    assert!(listed.contains("in force"), "{listed}");
    assert!(listed.contains("self-pay"), "{listed}");
    assert!(
        listed.contains("diagnosis from health-plan recipients for payment, operations"),
        "{listed}"
    );
    let ask = |cats: &str| {
        run(
            &v,
            &[
                "disclose",
                "--client",
                &ada,
                "--to",
                "Acme Health Plan",
                "--recipient-kind",
                "health-plan",
                "--purpose",
                "payment",
                "--categories",
                cats,
                "--dry-run",
            ],
        )
    };
    let (code, out, _) = ask("diagnosis,attendance");
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains(&format!(
            "restricted at the client's request: restriction {id}"
        )),
        "{out}"
    );
    assert!(out.contains("(45 CFR 164.522(a)(1)(vi))"), "{out}");
    assert!(out.contains("permitted  attendance"), "{out}");
    // The must-agree case cannot be refused.
    fails(
        &v,
        &[
            "restriction",
            "refuse",
            &id,
            "--reason",
            "we bill everything",
        ],
        1,
        "which the practice must agree to (45 CFR 164.522(a)(1)(vi)); it cannot be refused",
    );
    // An ordinary one can, with a reason; then it no longer applies.
    let other = v.ok(&[
        "restriction",
        "add",
        "--client",
        &ada,
        "--categories",
        "attendance",
        "--recipient",
        "Acme Health Plan",
        "--requested-on",
        "2026-02-01",
    ]);
    fails(
        &v,
        &["restriction", "refuse", &other, "--reason", " "],
        1,
        "needs its reason",
    );
    let refused = v.ok(&[
        "restriction",
        "refuse",
        &other,
        "--reason",
        "needed for the claim",
    ]);
    assert!(refused.contains("state:      refused"), "{refused}");
    fails(&v, &["restriction", "end", &other], 1, "no longer applies");
    // Ending the self-pay restriction lets the diagnosis go again.
    v.ok(&["restriction", "end", &id]);
    let (code, out, _) = ask("diagnosis,attendance");
    assert_eq!(code, 0, "{out}");
    let log = v.ok(&["audit", "log"]);
    for action in [
        "restriction.add",
        "restriction.refuse",
        "restriction.end",
        "restriction.list",
    ] {
        assert!(log.contains(action), "{action}: {log}");
    }
    // A lockbox needs a policy that has one.
    fails(
        &v,
        &[
            "restriction",
            "add",
            "--client",
            &ada,
            "--categories",
            "risk",
            "--lockbox",
        ],
        1,
        "has no lockbox",
    );
}

#[test]
fn a_lockbox_withholds_without_saying_what_and_a_serious_risk_overrides_it() {
    let v = vault_with("ca-on");
    let ada = v.add_client("Ada Example", &[]);
    v.add_note(&ada, "2026-03-01", TODAY_NOTE);
    v.ok(&[
        "consent",
        "add",
        "--client",
        &ada,
        "--recipient",
        "Dr Osei",
        "--purpose",
        "treatment",
        "--allow",
        "diagnosis,progress,sexual-health",
        "--expires",
        "2027-12-31",
        "--from",
        "2026-01-01",
    ]);
    let lockbox = v.ok(&[
        "restriction",
        "add",
        "--client",
        &ada,
        "--categories",
        "sexual-health,diagnosis,risk",
        "--lockbox",
        "--requested-on",
        "2026-02-01",
    ]);
    fails(
        &v,
        &["restriction", "refuse", &lockbox, "--reason", "no"],
        1,
        "is a lockbox",
    );
    let out_file = v.dir.path().join("osei.md");
    let out = v.ok(&[
        "disclose",
        "--client",
        &ada,
        "--to",
        "Dr Osei",
        "--purpose",
        "treatment",
        "--categories",
        "diagnosis,progress,sexual-health",
        "--write-plaintext",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert!(!out.is_empty());
    let export = std::fs::read_to_string(&out_file).unwrap();
    assert!(export.contains("Sleeping better."), "{export}");
    for locked in [
        "F41.1",
        "Private matter.",
        "[withheld: diagnosis]",
        "sexual-health",
    ] {
        assert!(!export.contains(locked), "{locked} left: {export}");
    }
    assert!(
        export.contains("withheld at the client's express instruction"),
        "the recipient is told something was withheld: {export}"
    );
    // The dry run shows the clinician what and why.
    let shown = v.ok(&[
        "disclose",
        "--client",
        &ada,
        "--to",
        "Dr Osei",
        "--purpose",
        "treatment",
        "--categories",
        "diagnosis,progress",
        "--dry-run",
    ]);
    assert!(shown.contains("WITHHELD   diagnosis"), "{shown}");
    assert!(shown.contains(&format!("lockbox {lockbox}")), "{shown}");
    // A significant risk of serious bodily harm (PHIPA s.40(1)) reaches locked risk;
    // an emergency disclosure does not.
    let why = v.dir.path().join("why.txt");
    std::fs::write(&why, "Stated a plan with a date.\n").unwrap();
    let risk = |exception: &str| {
        run(
            &v,
            &[
                "disclose",
                "--client",
                &ada,
                "--to",
                "Emergency department",
                "--recipient-kind",
                "medical",
                "--purpose",
                "treatment",
                "--categories",
                "identity,risk",
                "--exception",
                exception,
                "--justification-file",
                why.to_str().unwrap(),
                "--dry-run",
            ],
        )
    };
    let (code, out, _) = risk("significant-risk");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("permitted  risk"), "{out}");
    let (code, out, _) = risk("emergency");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("WITHHELD   risk"), "{out}");
}

#[test]
fn a_minor_who_consented_to_their_own_care_signs_for_it_and_a_parent_does_not() {
    let v = vault_with("us-ca");
    let minor = v.ok(&[
        "client",
        "add",
        "--name",
        "Kit Young",
        "--dob",
        "2013-01-15",
    ]);
    let args = |relationship: &str| -> Vec<String> {
        [
            "consent",
            "add",
            "--client",
            &minor,
            "--recipient",
            "Dr Osei",
            "--purpose",
            "treatment",
            "--allow",
            "diagnosis",
            "--expires",
            "2027-12-31",
            "--relationship",
            relationship,
            "--signed-by",
            "Pat Young",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    // Not marked: the minor's own signature is refused; a guardian signs.
    fails(
        &v,
        &as_strs(&args("self")),
        1,
        "a parent or guardian signs for them (45 CFR 164.502(g)(3)",
    );
    v.ok(&as_strs(&args("guardian")));
    // Marked as consenting to their own care (Cal. Fam. Code 6924, 12 and over).
    let shown = v.ok(&["client", "edit", &minor, "--minor-consent"]);
    assert!(
        shown.contains("consented to their own care as a minor"),
        "{shown}"
    );
    fails(
        &v,
        &as_strs(&args("guardian")),
        1,
        "only they sign consents for those records",
    );
    v.ok(&as_strs(&args("self")));
    // A child under the pack's age cannot be so marked.
    let young = v.ok(&["client", "add", "--name", "Lu Small", "--dob", "2018-05-01"]);
    fails(
        &v,
        &["client", "edit", &young, "--minor-consent"],
        1,
        "from 12 (Cal. Fam. Code 6924",
    );
    // Nothing to change is a usage error.
    fails(&v, &["client", "edit", &young], 2, "nothing to change");
}

fn as_strs(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}
