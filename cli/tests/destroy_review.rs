//! Adversarial review of `client destroy` from the command line: what the remaining
//! participant of a joint note can still do after the other is destroyed.

mod common;

use common::TestVault;

/// Ada and Ben in a joint note; Ada destroyed. Every command about Ben, or about the
/// whole vault, must still work: `rekey` and `note sign`/`note amend` of the joint
/// note failed as reviewed (see tests/destroy_review.rs for the library-level
/// reproductions) and work since.
#[test]
fn defect_commands_for_the_remaining_participant_after_a_destruction() {
    let (v, _) = TestVault::init();
    v.ok(&["policy", "use", "us-federal"]);
    let ada = v.add_client("Ada Example", &[]);
    let ben = v.add_client("Ben Example", &[]);
    v.add_note(&ada, "2017-03-01", "Ada alone: PANGOLIN-5521.\n");
    v.add_note(&ben, "2017-03-02", "Ben alone.\n");
    let joint = v
        .ok_stdin(
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
        )
        .trim()
        .to_owned();
    v.ok(&["client", "edit", &ada, "--treatment-ended", "2017-06-30"]);
    v.ok(&["client", "destroy", &ada, "--yes"]);

    let out = v.dir.path().join("ben.md");
    let backup = v.dir.path().join("after.casevault");
    let commands: Vec<Vec<&str>> = vec![
        vec!["client", "list"],
        vec!["client", "show", &ben],
        vec!["client", "page", &ben],
        vec!["note", "list", "--client", &ben],
        vec!["note", "show", &joint],
        vec!["note", "show", &joint, "--version", "1"],
        vec!["search", "HEDGEHOG"],
        vec!["accounting", "--client", &ben],
        vec!["retention"],
        vec!["due"],
        vec!["caseload", "list"],
        vec!["audit", "log"],
        vec!["audit", "log", "--fhir"],
        vec!["audit", "verify"],
        vec![
            "disclose",
            "--client",
            &ben,
            "--to",
            "Ben Example",
            "--purpose",
            "client-request",
            "--categories",
            "all",
            "--dry-run",
        ],
        vec![
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
        ],
        vec!["backup", "--out", backup.to_str().unwrap()],
        vec!["note", "sign", &joint],
        vec!["rekey"],
        vec!["audit", "verify"],
    ];
    let mut failed = Vec::new();
    for args in &commands {
        let (code, text) = v.exit_and_text(args);
        if code != Some(0) {
            failed.push(format!(
                "casevault {} -> {code:?}: {}",
                args.join(" "),
                text.trim()
            ));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
    // Nothing of Ada's own note anywhere.
    let (_, found) = v.exit_and_text(&["search", "PANGOLIN"]);
    assert!(!found.contains("PANGOLIN-5521"), "{found}");
}
