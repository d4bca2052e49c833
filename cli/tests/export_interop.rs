//! Disclosure exports are standard age (docs/EXPORT.md): real exports written by
//! `casevault disclose` are opened with the independent `age` CLI, for an X25519
//! recipient, SSH ed25519 and RSA keys, and a passphrase, in Markdown and JSON; what
//! comes out carries the permitted canaries and none of the withheld ones.
//!
//! The tests need `age` and `age-keygen` (and `ssh-keygen`, `script` where used). When
//! one is missing, a test prints a note and passes, so that a plain `cargo test` works
//! on any machine; with `CASEVAULT_REQUIRE_AGE=1` (as `.ci/run` sets it) it fails.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{TestVault, contains};
use serde_json::Value;

const CLIENT: &str = "Wilhelmina Ostrowska-Vk3q";
const DOB: &str = "1981-04-12";
const CONTACT: &str = "wilhelmina.o.vk3q@mailhost-interop.example";
const THIRD_PARTY: &str = "Bartholomew Quenneville-Rt8z";
const SESSION: &str = "2026-02-03";

const PROGRESS: &str = "progress-lanternfjord-7Qpw";
const DIAGNOSIS: &str = "diagnosis-cobaltmarsh-2Hxe";
const RISK: &str = "risk-gravelcanopy-5Tnb";
const MEDICATION: &str = "medication-quillbarrow-9Lsd";
const PSYCHOTHERAPY: &str = "psychotherapy-driftwhistle-4Kmc";
const SUBSTANCE: &str = "substance-emberlattice-6Jrv";
const SEXUAL_HEALTH: &str = "sexualhealth-mossbeacon-3Gyt";
const THIRD_PARTY_SECTION: &str = "thirdparty-saltmeridian-8Fwa";

/// What the consent permits and the request asks for.
const PERMITTED: [&str; 6] = [
    "identity",
    "attendance",
    "diagnosis",
    "progress",
    "risk",
    "medication",
];
/// The sections of the note that must stay behind.
const WITHHELD: [&str; 4] = [
    "psychotherapy-notes",
    "substance-use",
    "sexual-health",
    "third-party",
];

/// Canaries that must come out.
const OUT: [&str; 4] = [PROGRESS, DIAGNOSIS, RISK, MEDICATION];
/// Canaries that must not: the withheld sections, and the third party named on the
/// profile (redacted, as `third-party` is not permitted).
const KEPT: [&str; 5] = [
    PSYCHOTHERAPY,
    SUBSTANCE,
    SEXUAL_HEALTH,
    THIRD_PARTY_SECTION,
    THIRD_PARTY,
];

// ---------------------------------------------------------------------------------
// External tools

/// True when `name` is an executable file on PATH.
fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// True when every tool is installed. Otherwise prints a note and returns false, or,
/// under `CASEVAULT_REQUIRE_AGE=1`, fails the test saying what to install.
fn tools(test: &str, needed: &[(&str, &str)]) -> bool {
    let required = std::env::var("CASEVAULT_REQUIRE_AGE").is_ok_and(|v| v == "1");
    for (tool, package) in needed {
        if on_path(tool) {
            continue;
        }
        let install = format!("install the {package} package (apt-get install {package})");
        if required {
            panic!("{test}: `{tool}` is not on PATH and CASEVAULT_REQUIRE_AGE=1: {install}");
        }
        eprintln!("note: {test} skipped: `{tool}` is not on PATH ({install} to run it)");
        return false;
    }
    true
}

const AGE: [(&str, &str); 2] = [("age", "age"), ("age-keygen", "age")];
const SSH_KEYGEN: (&str, &str) = ("ssh-keygen", "openssh-client");
const SCRIPT: (&str, &str) = ("script", "bsdutils");

/// Waits for `child`, killing it after a minute (a tool waiting on a terminal must not
/// hang the suite).
fn wait(mut child: std::process::Child, what: &str) -> Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().expect("wait for the tool").is_some() {
            return child.wait_with_output().expect("the tool's output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("the tool's output");
            panic!(
                "{what} did not finish within a minute\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs a tool with no input; returns its output whatever its exit status.
fn run(program: &str, args: &[&str]) -> Output {
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    wait(child, &format!("{program} {}", args.join(" ")))
}

/// Runs a tool that must succeed; returns its standard output.
fn run_ok(program: &str, args: &[&str]) -> Vec<u8> {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "{program} {} failed ({}):\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temporary path")
}

/// Quotes `s` for `sh -c`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `age -d -o OUT FILE` typing `passphrase` at its terminal prompt: age reads
/// passphrases only from a terminal, so it runs under `script`, which gives it a pty
/// and forwards our standard input to it. Returns the decrypted file, or what age
/// printed when it failed.
fn age_decrypt_with_passphrase(file: &Path, passphrase: &str) -> Result<Vec<u8>, String> {
    let out = file.with_extension("decrypted");
    let _ = std::fs::remove_file(&out);
    let command = format!(
        "age -d -o {} {}",
        sh_quote(path_str(&out)),
        sh_quote(path_str(file))
    );
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run script");
    child
        .stdin
        .take()
        .expect("script's stdin")
        .write_all(format!("{passphrase}\n").as_bytes())
        .expect("type the passphrase");
    let result = wait(child, "age -d under script");
    if result.status.success() {
        Ok(std::fs::read(&out).expect("age wrote the decrypted file"))
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        ))
    }
}

// ---------------------------------------------------------------------------------
// The vault

/// A vault with one client, one note with a section of every kind, and a consent to
/// Dr Smith for treatment covering [`PERMITTED`].
struct Fixture {
    v: TestVault,
    client: String,
    consent: String,
}

fn fixture() -> Fixture {
    let (v, _) = TestVault::init();
    let client = v.ok(&[
        "client",
        "add",
        "--name",
        CLIENT,
        "--dob",
        DOB,
        "--contact",
        CONTACT,
        "--third-party",
        THIRD_PARTY,
    ]);
    let body = format!(
        "Reviewed the week; {THIRD_PARTY} came up again. {PROGRESS}\n\
         ## diagnosis\n{DIAGNOSIS}\n\
         ## risk\n{RISK}\n\
         ## medication\n{MEDICATION}\n\
         ## psychotherapy-notes\n{PSYCHOTHERAPY}\n\
         ## substance-use\n{SUBSTANCE}\n\
         ## sexual-health\n{SEXUAL_HEALTH}\n\
         ## third-party\n{THIRD_PARTY_SECTION}\n"
    );
    v.add_note(&client, SESSION, &body);
    let consent = v.ok(&[
        "consent",
        "add",
        "--client",
        &client,
        "--recipient",
        "Dr Smith",
        "--purpose",
        "treatment",
        "--allow",
        &PERMITTED.join(","),
        "--from",
        "2020-01-01",
        "--expires",
        "2099-12-31",
    ]);
    Fixture { v, client, consent }
}

impl Fixture {
    fn file(&self, name: &str) -> PathBuf {
        self.v.dir.path().join(name)
    }

    /// `disclose` to Dr Smith of [`PERMITTED`] with `extra` arguments, writing `out`;
    /// must succeed. Returns what `--json` printed.
    fn disclose(&self, extra: &[&str], out: &Path) -> Value {
        let permitted = PERMITTED.join(",");
        let mut args = vec![
            "disclose",
            "--client",
            &self.client,
            "--to",
            "Dr Smith",
            "--purpose",
            "treatment",
            "--categories",
            &permitted,
            "--out",
            path_str(out),
            "--json",
        ];
        args.extend_from_slice(extra);
        let done = self.v.cmd().args(&args).assert().success();
        let printed: Value =
            serde_json::from_slice(&done.get_output().stdout).expect("disclose --json");
        assert_eq!(printed["out"], path_str(out), "{printed:#}");
        assert_eq!(printed["plaintext"], false, "{printed:#}");
        assert_eq!(printed["notes"], 1, "{printed:#}");
        printed
    }

    /// Checks an export file as written: an age file whose header names `stanza`,
    /// with no canary readable.
    fn check_sealed(&self, file: &Path, stanza: &str) {
        let sealed = std::fs::read(file).expect("the export exists");
        assert!(
            sealed.starts_with(b"age-encryption.org/v1\n"),
            "{} is not an age file",
            file.display()
        );
        assert!(
            contains(&sealed, &format!("\n-> {stanza} ")),
            "{} has no {stanza} stanza",
            file.display()
        );
        for canary in OUT.iter().chain(&KEPT).chain(&[CLIENT, CONTACT]) {
            assert!(
                !contains(&sealed, canary),
                "{canary} readable in the export"
            );
        }
    }
}

/// The decrypted Markdown: the permitted canaries, none of the withheld ones, a marker
/// for every withheld section the policy marks and no trace of the others.
fn check_markdown(text: &[u8], consent: &str) {
    let text = String::from_utf8(text.to_vec()).expect("UTF-8 Markdown");
    assert!(
        text.starts_with("# Disclosure of health information\n"),
        "{text}"
    );
    for line in [
        "**Recipient:** Dr Smith",
        "**Purpose:** treatment",
        &format!("**Basis:** the client's consent ({consent})"),
        &format!("**Client:** {CLIENT}"),
        &format!("## Session of {SESSION} (individual)"),
        &format!("- Name: {CLIENT}"),
        &format!("- Date of birth: {DOB}"),
    ] {
        assert!(text.contains(line), "{line:?} missing:\n{text}");
    }
    for canary in OUT {
        assert!(text.contains(canary), "{canary} missing:\n{text}");
    }
    for canary in KEPT {
        assert!(!text.contains(canary), "{canary} leaked:\n{text}");
    }
    for category in WITHHELD {
        // At the margin, where only the export writes. The built-in policy marks
        // third-party; substance use, psychotherapy and sexual health leave no trace.
        let marker = format!("\n[withheld: {category}]\n");
        if category == "third-party" {
            assert!(text.contains(&marker), "no marker for {category}:\n{text}");
        } else {
            assert!(!text.contains(&marker), "{category} marked:\n{text}");
            assert!(!text.contains(category), "{category} named:\n{text}");
        }
    }
    for category in ["diagnosis", "progress", "risk", "medication"] {
        assert!(
            text.contains(&format!("\n### {category}\n\n")),
            "{category} section missing:\n{text}"
        );
    }
}

/// The decrypted JSON: the format, the cover, the client and the notes.
fn check_json(text: &[u8], consent: &str) {
    let raw = String::from_utf8(text.to_vec()).expect("UTF-8 JSON");
    let bundle: Value = serde_json::from_str(&raw).expect("the export is JSON");
    assert_eq!(bundle["format"], "casevault-disclosure/1", "{bundle:#}");
    let cover = &bundle["cover"];
    assert_eq!(cover["recipient"], "Dr Smith", "{cover:#}");
    assert_eq!(cover["purpose"], "treatment", "{cover:#}");
    assert_eq!(
        cover["basis"],
        format!("the client's consent ({consent})"),
        "{cover:#}"
    );
    assert_eq!(cover["client"], CLIENT, "{cover:#}");
    assert_eq!(
        cover["permitted"],
        serde_json::json!(PERMITTED),
        "{cover:#}"
    );
    let disclosed_on = cover["disclosed_on"].as_str().expect("disclosed_on");
    assert!(disclosed_on.parse::<casevault::Date>().is_ok(), "{cover:#}");
    assert!(
        cover["vault"].as_str().is_some_and(|v| v.len() == 32),
        "{cover:#}"
    );
    assert!(
        cover["decision"].as_str().is_some_and(|d| d.len() == 8),
        "{cover:#}"
    );
    let withheld: Vec<&str> = cover["withheld"]
        .as_array()
        .expect("withheld")
        .iter()
        .map(|w| w["what"].as_str().expect("what"))
        .collect();
    // Listed only where the policy marks the category (third-party here).
    assert_eq!(withheld, ["third-party"], "{cover:#}");
    assert!(
        cover["obligations"]
            .as_array()
            .expect("obligations")
            .iter()
            .any(|o| o
                .as_str()
                .is_some_and(|o| o.contains("accounting of disclosures"))),
        "{cover:#}"
    );
    assert!(cover.get("redisclosure_notice").is_none(), "{cover:#}");

    assert_eq!(bundle["client"]["name"], CLIENT, "{bundle:#}");
    assert_eq!(bundle["client"]["date_of_birth"], DOB, "{bundle:#}");
    assert_eq!(bundle["client"]["contact"], CONTACT, "{bundle:#}");
    assert!(
        bundle["client"].get("third_parties").is_none(),
        "third parties listed though third-party is withheld: {bundle:#}"
    );

    let notes = bundle["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 1, "{bundle:#}");
    assert_eq!(notes[0]["date"], SESSION);
    assert_eq!(notes[0]["session"], "individual");
    let sections = notes[0]["sections"].as_array().expect("sections");
    // The unmarked categories leave no section at all, not even a withheld one.
    assert_eq!(sections.len(), 5, "{bundle:#}");
    assert!(
        sections.iter().all(
            |s| !["psychotherapy-notes", "substance-use", "sexual-health"]
                .contains(&s["category"].as_str().unwrap_or_default())
        ),
        "{bundle:#}"
    );
    for section in sections {
        let category = section["category"].as_str().expect("category");
        if WITHHELD.contains(&category) {
            assert_eq!(section["withheld"], true, "{section:#}");
            assert!(section.get("text").is_none(), "{section:#}");
        } else {
            assert!(PERMITTED.contains(&category), "{section:#}");
            assert!(section.get("withheld").is_none(), "{section:#}");
            assert!(section["text"].is_string(), "{section:#}");
        }
    }
    for canary in OUT {
        assert!(raw.contains(canary), "{canary} missing:\n{raw}");
    }
    for canary in KEPT {
        assert!(!raw.contains(canary), "{canary} leaked:\n{raw}");
    }
}

/// A new age X25519 identity file; returns its path and public key.
fn age_keygen(dir: &Path, name: &str) -> (PathBuf, String) {
    let key = dir.join(name);
    run_ok("age-keygen", &["-o", path_str(&key)]);
    let public = String::from_utf8(run_ok("age-keygen", &["-y", path_str(&key)]))
        .expect("UTF-8 public key")
        .trim()
        .to_owned();
    assert!(public.starts_with("age1"), "{public}");
    (key, public)
}

/// A new unencrypted SSH key of `kind`; returns the private key's path and the public
/// key line.
fn ssh_keygen(dir: &Path, name: &str, kind: &[&str]) -> (PathBuf, String) {
    let key = dir.join(name);
    let mut args = vec![
        "-q",
        "-N",
        "",
        "-C",
        "court@example.org",
        "-f",
        path_str(&key),
    ];
    args.extend_from_slice(kind);
    run_ok("ssh-keygen", &args);
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("the public key");
    (key, public.trim().to_owned())
}

// ---------------------------------------------------------------------------------
// Tests

#[test]
fn x25519_export_opens_with_the_age_cli() {
    if !tools("x25519_export_opens_with_the_age_cli", &AGE) {
        return;
    }
    let f = fixture();
    let (key, public) = age_keygen(f.v.dir.path(), "recipient.key");

    let md = f.file("export.md.age");
    f.disclose(&["--recipient", &public], &md);
    f.check_sealed(&md, "X25519");
    let plain = run_ok("age", &["-d", "-i", path_str(&key), path_str(&md)]);
    check_markdown(&plain, &f.consent);

    let json = f.file("export.json.age");
    f.disclose(&["--recipient", &public, "--format", "json"], &json);
    f.check_sealed(&json, "X25519");
    let plain = run_ok("age", &["-d", "-i", path_str(&key), path_str(&json)]);
    check_json(&plain, &f.consent);

    // Another key does not open it.
    let (other, _) = age_keygen(f.v.dir.path(), "other.key");
    let refused = run("age", &["-d", "-i", path_str(&other), path_str(&md)]);
    assert!(!refused.status.success(), "another key opened the export");
    assert!(refused.stdout.is_empty());
}

#[test]
fn ssh_ed25519_export_opens_with_the_age_cli() {
    let test = "ssh_ed25519_export_opens_with_the_age_cli";
    if !tools(test, &AGE) || !tools(test, &[SSH_KEYGEN]) {
        return;
    }
    let f = fixture();
    let (key, public) = ssh_keygen(f.v.dir.path(), "id_ed25519", &["-t", "ed25519"]);
    assert!(public.starts_with("ssh-ed25519 "), "{public}");

    let md = f.file("export.md.age");
    f.disclose(&["--recipient", &public], &md);
    f.check_sealed(&md, "ssh-ed25519");
    check_markdown(
        &run_ok("age", &["-d", "-i", path_str(&key), path_str(&md)]),
        &f.consent,
    );

    let json = f.file("export.json.age");
    f.disclose(&["--recipient", &public, "--format", "json"], &json);
    f.check_sealed(&json, "ssh-ed25519");
    check_json(
        &run_ok("age", &["-d", "-i", path_str(&key), path_str(&json)]),
        &f.consent,
    );
}

#[test]
fn ssh_rsa_export_opens_with_the_age_cli() {
    let test = "ssh_rsa_export_opens_with_the_age_cli";
    if !tools(test, &AGE) || !tools(test, &[SSH_KEYGEN]) {
        return;
    }
    let f = fixture();
    let (key, public) = ssh_keygen(f.v.dir.path(), "id_rsa", &["-t", "rsa", "-b", "2048"]);
    assert!(public.starts_with("ssh-rsa "), "{public}");

    let md = f.file("export.md.age");
    f.disclose(&["--recipient", &public], &md);
    f.check_sealed(&md, "ssh-rsa");
    check_markdown(
        &run_ok("age", &["-d", "-i", path_str(&key), path_str(&md)]),
        &f.consent,
    );

    let json = f.file("export.json.age");
    f.disclose(&["--recipient", &public, "--format", "json"], &json);
    check_json(
        &run_ok("age", &["-d", "-i", path_str(&key), path_str(&json)]),
        &f.consent,
    );
}

#[test]
fn an_export_to_several_recipients_opens_with_each_key() {
    let test = "an_export_to_several_recipients_opens_with_each_key";
    if !tools(test, &AGE) || !tools(test, &[SSH_KEYGEN]) {
        return;
    }
    let f = fixture();
    let (age_key, age_public) = age_keygen(f.v.dir.path(), "recipient.key");
    let (ssh_key, ssh_public) = ssh_keygen(f.v.dir.path(), "id_ed25519", &["-t", "ed25519"]);
    let file = f.file("export.age");
    f.disclose(
        &["--recipient", &age_public, "--recipient", &ssh_public],
        &file,
    );
    f.check_sealed(&file, "X25519");
    f.check_sealed(&file, "ssh-ed25519");
    for key in [&age_key, &ssh_key] {
        check_markdown(
            &run_ok("age", &["-d", "-i", path_str(key), path_str(&file)]),
            &f.consent,
        );
    }
}

#[test]
fn passphrase_export_opens_with_the_age_cli() {
    let test = "passphrase_export_opens_with_the_age_cli";
    if !tools(test, &AGE) || !tools(test, &[SCRIPT]) {
        return;
    }
    let f = fixture();
    let passphrase = "export passphrase for the court 4417";
    let pass_file = f.file("export-passphrase.txt");
    std::fs::write(&pass_file, format!("{passphrase}\n")).unwrap();

    let md = f.file("export.md.age");
    f.disclose(&["--export-passphrase-file", path_str(&pass_file)], &md);
    f.check_sealed(&md, "scrypt");
    let plain = age_decrypt_with_passphrase(&md, passphrase)
        .unwrap_or_else(|e| panic!("age -d with the passphrase failed:\n{e}"));
    check_markdown(&plain, &f.consent);

    let json = f.file("export.json.age");
    f.disclose(
        &[
            "--export-passphrase-file",
            path_str(&pass_file),
            "--format",
            "json",
        ],
        &json,
    );
    f.check_sealed(&json, "scrypt");
    let plain = age_decrypt_with_passphrase(&json, passphrase)
        .unwrap_or_else(|e| panic!("age -d with the passphrase failed:\n{e}"));
    check_json(&plain, &f.consent);

    // The passphrase matters: another one does not open it.
    let refused = age_decrypt_with_passphrase(&md, "not the export passphrase 0000");
    let message = refused.expect_err("a wrong passphrase opened the export");
    assert!(message.contains("incorrect passphrase"), "{message}");
}
