//! Guards kept from the adversarial review of the jurisdiction packs: each reproduced a
//! defect (a restriction passed over for a slip in a name, a parent's consent outliving
//! a minor's own, a Part 2 record or a locked category leaving through a joint note, a
//! restriction dated into the future) and asserts the behaviour promised.

mod common;

use common::TestVault;

fn vault_with(pack: &str) -> TestVault {
    let (v, _) = TestVault::init();
    v.ok(&["policy", "use", pack]);
    v
}

fn run(v: &TestVault, args: &[&str]) -> (i32, String) {
    let out = v.output(args);
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A restriction on "Dr. Lee" must cover a disclosure to "Dr Lee" (the consent
/// engine itself calls them the same person with a slip).
#[test]
fn restriction_on_dr_dot_lee_covers_dr_lee() {
    let v = vault_with("us-federal");
    let a = v.add_client("Ada Example", &[]);
    v.add_note(
        &a,
        "2026-03-01",
        "Calmer.\n## diagnosis\nF41.1\n## progress\nSleeping.\n",
    );
    v.ok(&[
        "consent",
        "add",
        "--client",
        &a,
        "--recipient",
        "Dr Lee",
        "--purpose",
        "treatment",
        "--allow",
        "diagnosis,progress",
        "--expires",
        "2027-12-31",
        "--from",
        "2026-01-01",
    ]);
    v.ok(&[
        "restriction",
        "add",
        "--client",
        &a,
        "--categories",
        "diagnosis",
        "--recipient",
        "Dr. Lee",
        "--requested-on",
        "2026-02-01",
    ]);
    let (_, out) = run(
        &v,
        &[
            "disclose",
            "--client",
            &a,
            "--to",
            "Dr Lee",
            "--purpose",
            "treatment",
            "--categories",
            "diagnosis,progress",
            "--dry-run",
        ],
    );
    assert!(
        !out.contains("permitted  diagnosis"),
        "restriction bypassed: {out}"
    );
    assert!(out.contains("restricted at the client's request"), "{out}");
}

/// A parent's consent recorded before the minor's self-consent age keeps releasing the
/// records of care the minor later consented to alone.
#[test]
fn parent_consent_from_before_self_consent_age_releases_minor_consent_records() {
    let v = vault_with("us-ca");
    // 12 today or earlier (the pack's self-consent age is 12).
    let today = chrono_free_today(&v);
    let born = format!("{}-01-01", today.0 - 12);
    let kit = v.ok(&["client", "add", "--name", "Kit Young", "--dob", &born]);
    v.add_note(
        &kit,
        &format!("{}-01-01", today.0),
        "Own care.\n## diagnosis\nF32.0\n",
    );
    let from = format!("{}-06-01", today.0 - 1); // the child was 11
    v.ok(&[
        "consent",
        "add",
        "--client",
        &kit,
        "--recipient",
        "Dr Osei",
        "--purpose",
        "treatment",
        "--allow",
        "diagnosis",
        "--expires",
        &format!("{}-12-31", today.0 + 1),
        "--from",
        &from,
        "--relationship",
        "guardian",
        "--signed-by",
        "Pat Young",
    ]);
    v.ok(&["client", "edit", &kit, "--minor-consent"]);
    let (_, out) = run(
        &v,
        &[
            "disclose",
            "--client",
            &kit,
            "--to",
            "Dr Osei",
            "--purpose",
            "treatment",
            "--categories",
            "diagnosis",
            "--dry-run",
        ],
    );
    assert!(
        !out.contains("permitted  diagnosis"),
        "parent's consent released: {out}"
    );
    assert!(out.contains("does not release those records"), "{out}");
}

/// This year, as the vault's "today" sees it.
fn chrono_free_today(_v: &TestVault) -> (i32,) {
    (casevault::Date::today().0.year(),)
}

/// A joint note with a Part 2 participant carries that participant's record; it must
/// leave with the 2.32 notice.
#[test]
fn joint_note_with_part2_participant_leaves_without_2_32_notice() {
    let v = vault_with("us-federal");
    let a = v.add_client("Ada Example", &[]);
    let b = v.add_client("Ben Quill", &[]);
    v.ok(&["client", "edit", &b, "--part2-program"]);
    v.ok_stdin(
        &[
            "note",
            "add",
            "--client",
            &a,
            "--client",
            &b,
            "--date",
            "2026-03-01",
            "--type",
            "couples",
        ],
        "Joint.\n## diagnosis\nBen: OUD in remission.\n",
    );
    for c in [&a, &b] {
        v.ok(&[
            "consent",
            "add",
            "--client",
            c,
            "--recipient",
            "Dr Lee",
            "--purpose",
            "treatment",
            "--allow",
            "diagnosis",
            "--expires",
            "2027-12-31",
            "--from",
            "2026-01-01",
        ]);
    }
    let file = v.dir.path().join("j.md");
    v.ok(&[
        "disclose",
        "--client",
        &a,
        "--to",
        "Dr Lee",
        "--purpose",
        "treatment",
        "--categories",
        "diagnosis",
        "--write-plaintext",
        "--out",
        file.to_str().unwrap(),
    ]);
    let export = std::fs::read_to_string(&file).unwrap();
    assert!(export.contains("OUD in remission"));
    assert!(
        export.contains("42 CFR part 2 prohibits"),
        "no 2.32 notice: {export}"
    );
}

/// Under an exception for one client, the other participant's lockbox is ignored.
#[test]
fn other_participants_lockbox_ignored_under_an_exception() {
    let v = vault_with("ca-on");
    let a = v.add_client("Ada Example", &[]);
    let b = v.add_client("Ben Quill", &[]);
    v.ok_stdin(
        &[
            "note",
            "add",
            "--client",
            &a,
            "--client",
            &b,
            "--date",
            "2026-03-01",
            "--type",
            "couples",
        ],
        "Joint.\n## diagnosis\nBen: LOCKED-DX.\n## risk\nAda risk.\n",
    );
    v.ok(&[
        "consent",
        "add",
        "--client",
        &b,
        "--recipient",
        "Emergency dept",
        "--purpose",
        "treatment",
        "--allow",
        "identity,diagnosis,risk",
        "--expires",
        "2027-12-31",
        "--from",
        "2026-01-01",
    ]);
    v.ok(&[
        "restriction",
        "add",
        "--client",
        &b,
        "--categories",
        "diagnosis",
        "--lockbox",
        "--requested-on",
        "2026-02-01",
    ]);
    let why = v.dir.path().join("why.txt");
    std::fs::write(&why, "Overdose.\n").unwrap();
    let file = v.dir.path().join("e.md");
    v.ok(&[
        "disclose",
        "--client",
        &a,
        "--to",
        "Emergency dept",
        "--recipient-kind",
        "medical",
        "--purpose",
        "treatment",
        "--categories",
        "identity,diagnosis,risk",
        "--exception",
        "emergency",
        "--justification-file",
        why.to_str().unwrap(),
        "--write-plaintext",
        "--out",
        file.to_str().unwrap(),
    ]);
    let export = std::fs::read_to_string(&file).unwrap();
    assert!(
        !export.contains("LOCKED-DX"),
        "Ben's locked diagnosis left: {export}"
    );
}

/// A Part 2 participant's record reaches a proceeding under another client's
/// ordinary court order, with only a consent of the participant's.
#[test]
fn part2_participant_reaches_proceeding_without_part2_order() {
    let v = vault_with("us-federal");
    let a = v.add_client("Ada Example", &[]);
    let b = v.add_client("Ben Quill", &[]);
    v.ok(&["client", "edit", &b, "--part2-program"]);
    v.ok_stdin(
        &[
            "note",
            "add",
            "--client",
            &a,
            "--client",
            &b,
            "--date",
            "2026-03-01",
            "--type",
            "couples",
        ],
        "Joint.\n## diagnosis\nBen: SUD-SECRET.\n",
    );
    v.ok(&[
        "consent",
        "add",
        "--client",
        &b,
        "--recipient",
        "Superior Court",
        "--purpose",
        "legal",
        "--allow",
        "diagnosis",
        "--expires",
        "2027-12-31",
        "--from",
        "2026-01-01",
    ]);
    let why = v.dir.path().join("why.txt");
    std::fs::write(&why, "Order for records.\n").unwrap();
    let file = v.dir.path().join("c.md");
    v.ok(&[
        "disclose",
        "--client",
        &a,
        "--to",
        "Superior Court",
        "--recipient-kind",
        "court",
        "--purpose",
        "legal",
        "--categories",
        "diagnosis",
        "--exception",
        "court-order",
        "--reference",
        "CV-123",
        "--order-categories",
        "diagnosis",
        "--justification-file",
        why.to_str().unwrap(),
        "--write-plaintext",
        "--out",
        file.to_str().unwrap(),
    ]);
    let export = std::fs::read_to_string(&file).unwrap();
    assert!(
        !export.contains("SUD-SECRET"),
        "Part 2 record went to a proceeding: {export}"
    );
}

/// A restriction's request date in the future is accepted, and the restriction then
/// does nothing until that day.
#[test]
fn restriction_requested_in_the_future_is_refused() {
    let v = vault_with("us-federal");
    let a = v.add_client("Ada Example", &[]);
    let (code, out) = run(
        &v,
        &[
            "restriction",
            "add",
            "--client",
            &a,
            "--categories",
            "diagnosis",
            "--requested-on",
            "2099-01-01",
        ],
    );
    assert_eq!(code, 1, "future request date accepted: {out}");
    assert!(out.contains("is after today"), "{out}");
    assert!(
        v.ok(&["restriction", "list", "--client", &a])
            .contains("no restrictions")
    );
}
