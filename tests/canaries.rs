//! Plaintext canaries: after a realistic workflow, no name, date, text, category or
//! actor may be readable in the vault file, its journal, a backup, or anything else
//! casevault leaves in the test's directory (which is also its TMPDIR and HOME).
//!
//! The canaries are long and random-looking, so a match cannot be an accident of
//! ciphertext; each one is first shown to come back out of the vault decrypted, so its
//! absence from the files is not because it was never stored.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{PASSPHRASE, TestVault, contains, files_under, recent_files_under};

const CLIENT_A: &str = "Wenceslava Oyelaran-Qz7kVt";
const CLIENT_B: &str = "Thibault Marroquin-Xw4pRb";
const THIRD_PARTY_1: &str = "Persephone Kaczmarek-Jn8sLd";
const THIRD_PARTY_2: &str = "Grimsby Cartwheel Ltd Hq5mZe";
const CONTACT: &str = "wen.oyelaran.r9tq@mailhost-kv3.example";
const DOB: &str = "1979-11-23";
const DATE_1: &str = "2026-03-01";
const DATE_2: &str = "2031-07-19";
const PROGRESS: &str = "glimmerquartz-ynv83kd";
const RISK: &str = "parapet-oscillation-Lq93m";
const PSYCHOTHERAPY: &str = "transferential-brambleknot-8HcW";
const SUBSTANCE: &str = "zolpidem-moonwicket-4TfA";
const MEDICATION: &str = "sertralinox-fernvault-3Kwd";
const REVISED: &str = "revised-thistledown-6Gpq";
const ADDENDUM: &str = "addendum-corvidglass-2Rxe";
const EDITED: &str = "editorial-pumicefrond-7Jzu";
const COUPLES: &str = "argument-quinceharbor-9Mzs";
const SEXUAL_HEALTH: &str = "libido-cinderwhistle-5Yvn";
const ACTOR: &str = "dr-test";

const CATEGORIES: &[&str] = &[
    "psychotherapy-notes",
    "substance-use",
    "treatment-plan",
    "medication",
    "sexual-health",
    "third-party",
];

fn canaries() -> Vec<&'static str> {
    let mut all = vec![
        CLIENT_A,
        CLIENT_B,
        THIRD_PARTY_1,
        THIRD_PARTY_2,
        CONTACT,
        DOB,
        DATE_1,
        DATE_2,
        PROGRESS,
        RISK,
        PSYCHOTHERAPY,
        SUBSTANCE,
        MEDICATION,
        REVISED,
        ADDENDUM,
        EDITED,
        COUPLES,
        SEXUAL_HEALTH,
        ACTOR,
    ];
    all.extend_from_slice(CATEGORIES);
    all
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Runs the workflow; returns everything the CLI printed (decrypted) and the backup path.
fn workflow(v: &TestVault) -> (String, std::path::PathBuf) {
    let mut printed = String::new();
    let mut keep = |s: String| {
        printed.push_str(&s);
        printed.push('\n');
    };

    let a = v.ok(&[
        "client",
        "add",
        "--name",
        CLIENT_A,
        "--dob",
        DOB,
        "--contact",
        CONTACT,
        "--third-party",
        THIRD_PARTY_1,
        "--third-party",
        THIRD_PARTY_2,
    ]);
    let b = v.add_client(CLIENT_B, &[]);

    let body = format!(
        "Session went well; {PROGRESS} noted.\n\
         ## risk\nDenies intent; {RISK}.\n\
         ## psychotherapy-notes\nMy hypothesis: {PSYCHOTHERAPY}; {THIRD_PARTY_1} came up.\n\
         ## substance-use\nReports {SUBSTANCE} nightly.\n"
    );
    let note1 = v.add_note(&a, DATE_1, &body);
    let couples = v.ok_stdin(
        &[
            "note", "add", "--client", &a, "--client", &b, "--type", "couples", "--date", DATE_2,
        ],
        &format!(
            "They describe the {COUPLES} pattern.\n\
             ## treatment-plan\nWeekly sessions.\n\
             ## sexual-health\n{SEXUAL_HEALTH}\n\
             ## third-party\n{THIRD_PARTY_2} deadlines.\n"
        ),
    );
    v.ok_stdin(
        &["note", "edit", &note1],
        &format!("{body}## medication\nStarted {MEDICATION}; {REVISED}.\n"),
    );
    // The joint note revised in the user's editor (a stand-in script).
    let editor = v.dir.path().join("stand-in-editor");
    std::fs::write(
        &editor,
        "#!/bin/sh\nfor f; do :; done\nprintf '%s' \"$EDITOR_TEXT\" > \"$f\"\ncp \"$f\" \"$f~\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    v.cmd()
        .args(["note", "edit", &couples, "--edit"])
        .env("EDITOR", &editor)
        .env(
            "EDITOR_TEXT",
            format!(
                "They describe the {COUPLES} pattern; {EDITED}.\n\
                 ## treatment-plan\nWeekly sessions.\n\
                 ## sexual-health\n{SEXUAL_HEALTH}\n\
                 ## third-party\n{THIRD_PARTY_2} deadlines.\n"
            ),
        )
        .assert()
        .success();
    v.ok(&["note", "sign", &note1]);
    v.ok_stdin(
        &["note", "amend", &note1],
        &format!("Correction: {ADDENDUM}.\n"),
    );

    // A wrong passphrase, then a right one (which folds the failure into the trail).
    v.cmd_with_passphrase("not the passphrase at all")
        .args(["client", "list"])
        .assert()
        .code(3);

    keep(v.ok(&["client", "list"]));
    keep(v.ok(&["client", "show", &a]));
    keep(v.ok(&["client", "show", &a, "--json"]));
    keep(v.ok(&["note", "list", "--client", &a]));
    keep(v.ok(&["note", "show", &note1]));
    keep(v.ok(&["note", "show", &note1, "--json"]));
    keep(v.ok(&["note", "show", &note1, "--version", "1"]));
    keep(v.ok(&["note", "show", &couples]));
    let hit = v.ok(&["search", PROGRESS]);
    assert!(hit.contains(&note1), "search finds the note: {hit}");
    keep(hit);
    let hit = v.ok(&["search", "quinceharbor", "--client", &b]);
    assert!(hit.contains(&couples), "search finds the joint note: {hit}");
    keep(hit);
    keep(v.ok(&["audit", "log"]));
    v.ok(&["audit", "verify"]);
    v.ok(&["audit", "anchor"]);

    let backup = v.dir.path().join("practice-backup.casevault");
    v.ok(&["backup", "--out", backup.to_str().unwrap()]);
    // The backup opens with the same passphrase and holds the same clients.
    let listed = v.ok(&["--vault", backup.to_str().unwrap(), "client", "list"]);
    assert!(
        listed.contains(CLIENT_A) && listed.contains(CLIENT_B),
        "{listed}"
    );
    (printed, backup)
}

#[test]
fn no_plaintext_reaches_the_disk() {
    let started = std::time::SystemTime::now() - std::time::Duration::from_secs(2);
    let (v, recovery_code) = TestVault::init();
    let (printed, backup) = workflow(&v);

    // Positive control: every canary went in and comes back out decrypted.
    for canary in canaries() {
        assert!(
            printed.contains(canary),
            "canary {canary:?} was never stored, so its absence proves nothing"
        );
    }

    let files = files_under(v.dir.path());
    assert!(files.contains(&v.path), "{files:?}");
    assert!(files.contains(&backup), "{files:?}");
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(
            !name.ends_with("-wal") && !name.ends_with("-shm"),
            "journal_mode is DELETE, yet {} exists",
            file.display()
        );
        assert!(
            !name.starts_with(".casevault-backup-"),
            "a partial backup was left behind: {}",
            file.display()
        );
        let bytes = std::fs::read(file).unwrap();
        // Nor the secrets that open it.
        for secret in [PASSPHRASE, recovery_code.as_str()] {
            assert!(
                !contains(&bytes, secret),
                "a secret is readable in {}",
                file.display()
            );
        }
        for canary in canaries() {
            for form in [canary.to_owned(), canary.to_lowercase()] {
                assert!(
                    !contains(&bytes, &form),
                    "{form:?} is readable in {}",
                    file.display()
                );
            }
        }
    }
    // The journal beside the vault, if one exists, was checked above with the rest.
    for suffix in ["-journal", "-wal"] {
        let side = format!("{}{suffix}", v.path.display());
        if let Ok(bytes) = std::fs::read(&side) {
            for canary in canaries() {
                assert!(!contains(&bytes, canary), "{canary:?} in {side}");
            }
        }
    }

    assert_eq!(mode(&v.path), 0o600, "vault mode");
    assert_eq!(mode(&backup), 0o600, "backup mode");

    // Nor anywhere in memory-backed or shared temporary directories (the editor's
    // scratch file lives in /dev/shm while it is open).
    for shared in [Path::new("/dev/shm"), &std::env::temp_dir()] {
        for file in recent_files_under(shared, started) {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            for canary in canaries() {
                assert!(
                    !contains(&bytes, canary),
                    "{canary:?} is readable in {}",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn the_demo_leaves_nothing_behind() {
    let v = TestVault::empty();
    let out = v.cmd().arg("demo").assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(!stdout.contains("FOUND"), "{stdout}");
    assert!(stdout.contains("not in the file"), "{stdout}");
    // TMPDIR is the test directory: the throwaway vault and its backup are gone.
    let left = files_under(v.dir.path());
    assert!(left.is_empty(), "the demo left {left:?}");
}
