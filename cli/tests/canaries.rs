//! Plaintext canaries: after a realistic workflow, no name, date, text, category or
//! actor may be readable in the vault file, its journal, a backup, or anything else
//! casevault leaves in the test's directory (which is also its TMPDIR and HOME).
//!
//! The canaries are long and, but for the dates, the actor and the category names,
//! random for each run, so a match can be neither an accident of ciphertext nor another
//! test's file; each one is first shown to come back out of the vault decrypted, so its
//! absence from the files is not because it was never stored.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{PASSPHRASE, TestVault, contains, files_under, random_token, recent_files_under};

/// The test's canaries: long, random-looking and, where they can be, random for this
/// run (a suffix from the system's generator), so that no other test or program on the
/// machine can leave a file that matches them.
struct Canaries {
    client_a: String,
    client_b: String,
    third_party_1: String,
    third_party_2: String,
    contact: String,
    dob: String,
    date_1: String,
    date_2: String,
    progress: String,
    risk: String,
    psychotherapy: String,
    substance: String,
    medication: String,
    revised: String,
    addendum: String,
    edited: String,
    couples: String,
    sexual_health: String,
}

/// The actor the audit trail names (the CLI's `USER`).
const ACTOR: &str = "dr-test";

const CATEGORIES: &[&str] = &[
    "psychotherapy-notes",
    "substance-use",
    "treatment-plan",
    "medication",
    "sexual-health",
    "third-party",
];

/// A random date in the past (1931 to 1990), from a random token.
fn random_past_date(token: &str) -> String {
    let n = u64::from_str_radix(token, 16).expect("a hexadecimal token");
    format!(
        "{}-{:02}-{:02}",
        1931 + n % 60,
        1 + (n / 60) % 12,
        1 + (n / 720) % 28
    )
}

impl Canaries {
    fn new() -> Canaries {
        let r = |stem: &str| format!("{stem}-{}", random_token());
        let mut dates = Vec::new();
        while dates.len() < 3 {
            let d = random_past_date(&random_token());
            if !dates.contains(&d) {
                dates.push(d);
            }
        }
        Canaries {
            client_a: format!("Wenceslava Oyelaran-{}", random_token()),
            client_b: format!("Thibault Marroquin-{}", random_token()),
            third_party_1: format!("Persephone Kaczmarek-{}", random_token()),
            third_party_2: format!("Grimsby Cartwheel Ltd {}", random_token()),
            contact: format!("wen.oyelaran.{}@mailhost-kv3.example", random_token()),
            dob: dates[0].clone(),
            date_1: dates[1].clone(),
            date_2: dates[2].clone(),
            progress: r("glimmerquartz"),
            risk: r("parapet-oscillation"),
            psychotherapy: r("transferential-brambleknot"),
            substance: r("zolpidem-moonwicket"),
            medication: r("sertralinox-fernvault"),
            revised: r("revised-thistledown"),
            addendum: r("addendum-corvidglass"),
            edited: r("editorial-pumicefrond"),
            couples: r("argument-quinceharbor"),
            sexual_health: r("libido-cinderwhistle"),
        }
    }

    /// The canaries random for this run: the only ones looked for in shared places.
    fn random(&self) -> Vec<&str> {
        vec![
            &self.client_a,
            &self.client_b,
            &self.third_party_1,
            &self.third_party_2,
            &self.contact,
            &self.progress,
            &self.risk,
            &self.psychotherapy,
            &self.substance,
            &self.medication,
            &self.revised,
            &self.addendum,
            &self.edited,
            &self.couples,
            &self.sexual_health,
        ]
    }

    /// Every canary: the random ones, the dates, the actor and the category names;
    /// looked for in the test's own directory.
    fn all(&self) -> Vec<&str> {
        let mut all = self.random();
        all.extend([self.dob.as_str(), &self.date_1, &self.date_2, ACTOR]);
        all.extend_from_slice(CATEGORIES);
        all
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Runs the workflow; returns everything the CLI printed (decrypted) and the backup path.
fn workflow(v: &TestVault, c: &Canaries) -> (String, std::path::PathBuf) {
    let mut printed = String::new();
    let mut keep = |s: String| {
        printed.push_str(&s);
        printed.push('\n');
    };

    // The profile on standard input, as documented (never on the command line).
    let a = v.ok_stdin(
        &["client", "add"],
        &format!(
            "name: {}\ndob: {}\ncontact: {}\nthird-party: {}\nthird-party: {}\n",
            c.client_a, c.dob, c.contact, c.third_party_1, c.third_party_2
        ),
    );
    let b = v.ok_stdin(&["client", "add"], &format!("name: {}\n", c.client_b));

    let body = format!(
        "Session went well; {} noted.\n\
         ## risk\nDenies intent; {}.\n\
         ## psychotherapy-notes\nMy hypothesis: {}; {} came up.\n\
         ## substance-use\nReports {} nightly.\n",
        c.progress, c.risk, c.psychotherapy, c.third_party_1, c.substance
    );
    let note1 = v.add_note(&a, &c.date_1, &body);
    let couples_text = |extra: &str| {
        format!(
            "They describe the {}{extra} pattern.\n\
             ## treatment-plan\nWeekly sessions.\n\
             ## sexual-health\n{}\n\
             ## third-party\n{} deadlines.\n",
            c.couples, c.sexual_health, c.third_party_2
        )
    };
    let couples = v.ok_stdin(
        &[
            "note", "add", "--client", &a, "--client", &b, "--type", "couples", "--date", &c.date_2,
        ],
        &couples_text(""),
    );
    v.ok_stdin(
        &["note", "edit", &note1],
        &format!(
            "{body}## medication\nStarted {}; {}.\n",
            c.medication, c.revised
        ),
    );
    // The joint note revised in the user's editor (a stand-in script).
    let editor = v.dir.path().join("stand-in-editor");
    std::fs::write(
        &editor,
        "#!/bin/sh\nfor f; do :; done\nprintf '%s' \"$EDITOR_TEXT\" > \"$f\"\ncp \"$f\" \"$f~\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The scratch file goes to a directory of the test's own in memory.
    let scratch = tempfile::tempdir_in(if Path::new("/dev/shm").is_dir() {
        Path::new("/dev/shm")
    } else {
        v.dir.path()
    })
    .unwrap();
    v.cmd()
        .args(["note", "edit", &couples, "--edit"])
        .env("CASEVAULT_EDIT_DIR", scratch.path())
        .env("EDITOR", &editor)
        .env("EDITOR_TEXT", couples_text(&format!("; {}", c.edited)))
        .assert()
        .success();
    let left = files_under(scratch.path());
    assert!(
        left.is_empty(),
        "the editor's scratch files were left: {left:?}"
    );
    v.ok(&["note", "sign", &note1]);
    v.ok_stdin(
        &["note", "amend", &note1],
        &format!("Correction: {}.\n", c.addendum),
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
    // The query on standard input, as documented (never on the command line).
    let hit = v.ok_stdin(&["search"], &format!("{}\n", c.progress));
    assert!(hit.contains(&note1), "search finds the note: {hit}");
    keep(hit);
    let hit = v.ok_stdin(&["search", "--client", &b], &c.couples);
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
        listed.contains(&c.client_a) && listed.contains(&c.client_b),
        "{listed}"
    );
    (printed, backup)
}

#[test]
fn no_plaintext_reaches_the_disk() {
    let started = std::time::SystemTime::now() - std::time::Duration::from_secs(2);
    let (v, recovery_code) = TestVault::init();
    let c = Canaries::new();
    let (printed, backup) = workflow(&v, &c);

    // Positive control: every canary went in and comes back out decrypted.
    for canary in c.all() {
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
        for canary in c.all() {
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
            for canary in c.all() {
                assert!(!contains(&bytes, canary), "{canary:?} in {side}");
            }
        }
    }

    assert_eq!(mode(&v.path), 0o600, "vault mode");
    assert_eq!(mode(&backup), 0o600, "backup mode");

    // Nor anywhere in memory-backed or shared temporary directories. Other tests and
    // programs write there meanwhile: only this run's random canaries are looked for,
    // and files that vanish before they are read are skipped.
    for shared in [Path::new("/dev/shm"), &std::env::temp_dir()] {
        for file in recent_files_under(shared, started) {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            for canary in c.random() {
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
