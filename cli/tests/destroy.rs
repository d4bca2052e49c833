//! `client destroy` from the command line: refused without --yes, under a legal hold
//! and before the retention ends (exit 4, the vault untouched); done after, with the
//! other participant's joint note still theirs, and `audit verify` passing.

mod common;

use common::TestVault;

fn a_record_is_destroyed_only_when_its_retention_has_ended() {
    let (v, _) = TestVault::init();
    v.ok(&["policy", "use", "us-federal"]);
    let ada = v.add_client("Ada Example", &[]);
    let ben = v.add_client("Ben Example", &[]);
    v.add_note(&ada, "2017-03-01", "Ada alone: PANGOLIN-5521.\n");
    let joint = v.ok_stdin(
        &[
            "note",
            "add",
            "--client",
            &ada,
            "--client",
            &ben,
            "--type",
            "couples",
            "--date",
            "2017-04-01",
        ],
        "Both attended: HEDGEHOG-1180.\n",
    );
    let joint = joint.trim().to_owned();
    let digest_before = v.json(&["audit", "verify"]);
    assert!(digest_before["findings"].as_array().unwrap().is_empty());

    // Without --yes: a usage error, nothing done.
    let (exit, text) = v.exit_and_text(&["client", "destroy", &ada]);
    assert_eq!(exit, Some(2), "{text}");
    assert!(
        text.contains("cannot be undone") && text.contains("--yes"),
        "{text}"
    );
    // Treatment not ended: kept (exit 4), with what to do.
    let (exit, text) = v.exit_and_text(&["client", "destroy", &ada, "--yes"]);
    assert_eq!(exit, Some(4), "{text}");
    assert!(text.contains("--treatment-ended"), "{text}");
    v.ok(&["client", "edit", &ada, "--treatment-ended", "2017-06-30"]);
    v.ok(&["client", "edit", &ada, "--legal-hold", "records subpoena"]);
    let (exit, text) = v.exit_and_text(&["client", "destroy", &ada, "--yes"]);
    assert_eq!(exit, Some(4), "{text}");
    assert!(text.contains("legal hold"), "{text}");
    v.ok(&["client", "edit", &ada, "--no-legal-hold"]);
    // A reason the pack does not have: named, with those it has.
    let (exit, text) = v.exit_and_text(&[
        "client",
        "destroy",
        &ada,
        "--reason",
        "spring-cleaning",
        "--explanation",
        "tidy",
        "--yes",
    ]);
    assert_eq!(exit, Some(1), "{text}");
    assert!(text.contains("entered-in-error"), "{text}");
    // An explanation without a reason is a usage error.
    let (exit, _) = v.exit_and_text(&["client", "destroy", &ada, "--explanation", "x", "--yes"]);
    assert_eq!(exit, Some(2));
    assert!(v.ok(&["client", "show", &ada]).contains("Ada Example"));

    let done = v.ok(&["client", "destroy", &ada, "--yes"]);
    assert!(
        done.contains(&format!(
            "destroyed the record of client {ada} under retention ended on 2024-06-30"
        )),
        "{done}"
    );
    assert!(done.contains("1 joint notes kept"), "{done}");

    let (exit, text) = v.exit_and_text(&["client", "show", &ada]);
    assert_eq!(exit, Some(1), "{text}");
    let listed = v.ok(&["client", "list"]);
    assert!(
        !listed.contains("Ada Example") && listed.contains("Ben Example"),
        "{listed}"
    );
    let found = v.ok(&["search", "PANGOLIN-5521"]);
    assert!(!found.contains("PANGOLIN"), "{found}");
    // Ben's joint note is still his.
    let shown = v.ok(&["note", "show", &joint]);
    assert!(shown.contains("HEDGEHOG-1180"), "{shown}");
    // A disclosure of Ben's record goes ahead, the joint note withheld whole: Ada can
    // no longer agree to its release.
    let out = v.dir.path().join("ben.md");
    let told = v.ok(&[
        "disclose",
        "--client",
        &ben,
        "--to",
        "Ben Example",
        "--purpose",
        "client-request",
        "--categories",
        "all",
        "--out",
        out.to_str().unwrap(),
        "--write-plaintext",
    ]);
    assert!(told.contains(&format!("WITHHELD   {joint}")), "{told}");
    let export = std::fs::read_to_string(&out).unwrap();
    assert!(!export.contains("HEDGEHOG"), "{export}");
    let verified = v.json(&["audit", "verify"]);
    assert!(
        verified["findings"].as_array().unwrap().is_empty(),
        "{verified}"
    );
    let log = v.ok(&["audit", "log"]);
    assert!(log.contains("client.destroy"), "{log}");
}

common::on_both_backends!(a_record_is_destroyed_only_when_its_retention_has_ended,);
