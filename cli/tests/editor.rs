//! Writing notes in the user's editor: `note add --edit`, `note edit`, `note amend --edit`.
//!
//! A stand-in editor (a shell script) records what it was given (the file's path, its
//! and its directory's modes, the file system, a digest of the text it opened on, its
//! arguments, its whole environment and that of a program it starts) into a log
//! directory, writes the test's canary, and leaves the kind of files real editors leave
//! beside the file (swap, backup, auto-save). After each command no copy of the canary
//! may be left in the test's own directory in /dev/shm (the CLI's `CASEVAULT_EDIT_DIR`),
//! the test's directory (the CLI's HOME and TMPDIR) or the vault, and no `CASEVAULT_*`
//! variable or secret may have reached the editor.
//!
//! Tests run in parallel beside other programs using /dev/shm: each test owns its
//! directories and a random canary and passphrase, and scans only what it owns (the one
//! test of the default place looks in /dev/shm for its own random canary only).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{TestVault, contains, files_under, random_token, shared_files_holding};

const SHM: &str = "/dev/shm";

/// Writes an executable script named `name` into `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A stand-in editor: logs what it sees into `$EDITOR_LOG` (its environment and that
/// of a program it starts among it), replaces the text with `$EDITOR_TEXT`, leaves
/// Vim/Emacs/nano-like leftovers beside it, exits `$EDITOR_EXIT`.
const STAND_IN: &str = r#"
for last in "$@"; do :; done
f="$last"; d=$(dirname "$f")
printf '%s\n' "$@" > "$EDITOR_LOG/args"
printf '%s\n' "$f" > "$EDITOR_LOG/path"
env > "$EDITOR_LOG/env"
sh -c env > "$EDITOR_LOG/child_env"
stat -c '%a' "$f" > "$EDITOR_LOG/file_mode"
stat -c '%a' "$d" > "$EDITOR_LOG/dir_mode"
stat -f -c '%T' "$d" > "$EDITOR_LOG/fs"
sha256sum < "$f" | cut -d' ' -f1 > "$EDITOR_LOG/opened_sha256"
printf '%s' "$EDITOR_TEXT" > "$f"
printf '%s' "$EDITOR_TEXT" > "$d/.note.md.swp"
printf '%s' "$EDITOR_TEXT" > "$d/note.md~"
mkdir "$d/.backups" && printf '%s' "$EDITOR_TEXT" > "$d/.backups/#note.md#"
exit "${EDITOR_EXIT:-0}"
"#;

struct Editing {
    vault: TestVault,
    /// This test's passphrase, random, so that finding it anywhere means a leak.
    passphrase: String,
    /// This test's canary, random, so that no other test's file can match it.
    canary: String,
    client: String,
    log: PathBuf,
    editor: PathBuf,
    /// This test's own directory in /dev/shm: the CLI's `CASEVAULT_EDIT_DIR`.
    shm: tempfile::TempDir,
}

fn shm_is_memory_backed() -> bool {
    std::process::Command::new("stat")
        .args(["-f", "-c", "%T", SHM])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "tmpfs")
        .unwrap_or(false)
}

impl Editing {
    fn new() -> Option<Self> {
        if !shm_is_memory_backed() {
            eprintln!("skipped: {SHM} is not a tmpfs on this machine");
            return None;
        }
        let passphrase = format!("passphrase-{}", random_token());
        let (vault, _) = TestVault::init_with_passphrase(&passphrase);
        let shm = tempfile::Builder::new()
            .prefix("casevault-editor-test-")
            .tempdir_in(SHM)
            .expect("a directory of the test's own in /dev/shm");
        let mut e = Editing {
            vault,
            passphrase,
            canary: format!("editor-canary-{}", random_token()),
            client: String::new(),
            log: PathBuf::new(),
            editor: PathBuf::new(),
            shm,
        };
        e.client = e.ok(&["client", "add", "--name", "Ada Example"]);
        e.log = e.vault.dir.path().join("editor-log");
        fs::create_dir(&e.log).unwrap();
        let bin = e.vault.dir.path().join("bin");
        fs::create_dir(&bin).unwrap();
        e.editor = script(&bin, "stand-in-editor", STAND_IN);
        Some(e)
    }

    /// `casevault` with this test's vault and passphrase, and no editor.
    fn plain(&self) -> Command {
        self.vault.cmd_with_passphrase(&self.passphrase)
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.plain().args(args).assert().success();
        String::from_utf8_lossy(&out.get_output().stdout)
            .trim()
            .to_owned()
    }

    /// Adds a note for the test's client from standard input; returns its id.
    fn add_note(&self, body: &str) -> String {
        let out = self
            .plain()
            .args([
                "note",
                "add",
                "--client",
                &self.client,
                "--date",
                "2026-03-01",
            ])
            .write_stdin(body)
            .assert()
            .success();
        String::from_utf8_lossy(&out.get_output().stdout)
            .trim()
            .to_owned()
    }

    /// `casevault ARGS` with the stand-in editor writing `text`, scratch files in the
    /// test's own directory in /dev/shm.
    fn cmd(&self, args: &[&str], text: &str) -> Command {
        let mut cmd = self.plain();
        cmd.args(args)
            .env("CASEVAULT_EDIT_DIR", self.shm.path())
            .env("EDITOR", &self.editor)
            .env("EDITOR_LOG", &self.log)
            .env("EDITOR_TEXT", text);
        cmd
    }

    fn logged(&self, what: &str) -> String {
        fs::read_to_string(self.log.join(what))
            .unwrap_or_else(|_| panic!("the editor did not log {what}"))
            .trim()
            .to_owned()
    }

    /// `note add --edit` for the test's client.
    fn add_args(&self) -> [&str; 7] {
        [
            "note",
            "add",
            "--client",
            &self.client,
            "--date",
            "2026-03-01",
            "--edit",
        ]
    }

    fn editor_ran(&self) -> bool {
        self.log.join("path").exists()
    }

    fn add(&self, text: &str) -> String {
        let out = self.cmd(&self.add_args(), text).assert().success();
        String::from_utf8_lossy(&out.get_output().stdout)
            .trim()
            .to_owned()
    }

    fn note_count(&self) -> usize {
        let out = self
            .plain()
            .args(["note", "list", "--client", &self.client, "--json"])
            .assert()
            .success();
        let list: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        list.as_array()
            .map(Vec::len)
            .expect("note list --json is an array")
    }

    /// No file in the test's directory in /dev/shm or its own directory (HOME, TMPDIR,
    /// the vault) holds the canary, no scratch directory is left, and the editor's
    /// environment (and its child's) held no `CASEVAULT_*` variable and no passphrase.
    fn assert_no_copy_left(&self) {
        let mut leaks = Vec::new();
        for root in [self.shm.path(), self.vault.dir.path()] {
            for file in files_under(root) {
                if file.starts_with(&self.log) {
                    continue;
                }
                if let Ok(bytes) = fs::read(&file)
                    && contains(&bytes, &self.canary)
                {
                    leaks.push(file);
                }
            }
        }
        assert!(leaks.is_empty(), "text left behind in {leaks:?}");
        if self.editor_ran() {
            let path = PathBuf::from(self.logged("path"));
            assert!(
                !path.parent().unwrap().exists(),
                "the scratch directory {} is still there",
                path.parent().unwrap().display()
            );
            self.assert_no_secret_reached_the_editor(&[&self.passphrase]);
        }
    }

    /// The editor's environment and its child's: no `CASEVAULT_*` name, none of
    /// `secrets`.
    fn assert_no_secret_reached_the_editor(&self, secrets: &[&str]) {
        for log in ["env", "child_env"] {
            let env = self.logged(log);
            // Positive control: the dump is the environment the editor was started with.
            assert!(env.contains("EDITOR_LOG="), "{log}: {env}");
            for line in env.lines() {
                assert!(
                    !line.starts_with("CASEVAULT_"),
                    "the editor was started with {line:?} in its {log}"
                );
            }
            for secret in secrets {
                assert!(!env.contains(secret), "a secret is in the editor's {log}");
            }
        }
    }
}

fn sha256_hex(text: &str) -> String {
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn a_note_written_in_the_editor_goes_through_a_private_file_in_memory_that_is_gone_after() {
    let Some(e) = Editing::new() else { return };
    let canary = e.canary.as_str();
    let text = format!("Slept better; {canary}.\n## risk\nNo current risk.\n");
    let id = e.add(&text);

    let path = e.logged("path");
    let scratch_in = format!("{}/casevault-edit-", e.shm.path().display());
    assert!(path.starts_with(&scratch_in), "{path}");
    assert!(path.ends_with("/note.md"), "{path}");
    assert_eq!(e.logged("file_mode"), "600");
    assert_eq!(e.logged("dir_mode"), "700");
    assert_eq!(e.logged("fs"), "tmpfs");
    // A new note opens on an empty file.
    assert_eq!(e.logged("opened_sha256"), sha256_hex(""));

    let shown = e.ok(&["note", "show", &id]);
    assert!(shown.contains(canary), "{shown}");
    assert!(shown.contains("sections: progress, risk"), "{shown}");
    e.assert_no_copy_left();
}

#[test]
fn the_editor_leftovers_are_named_when_removed() {
    let Some(e) = Editing::new() else { return };
    let canary = e.canary.as_str();
    let out = e
        .cmd(&e.add_args(), &format!("Text {canary}\n"))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains("removed the editor's leftover files")
            && stderr.contains(".note.md.swp")
            && stderr.contains("note.md~"),
        "{stderr}"
    );
    e.assert_no_copy_left();
}

#[test]
fn note_edit_opens_the_current_text_and_keeps_the_earlier_version() {
    let Some(e) = Editing::new() else { return };
    let canary = e.canary.as_str();
    let first = "First draft.\n## risk\nNone.\n";
    let id = e.add_note(first);

    let revised = format!("Revised draft {canary}.\n## risk\nNone.\n");
    let out = e
        .cmd(&["note", "edit", &id, "--edit"], &revised)
        .assert()
        .success();
    assert!(
        String::from_utf8_lossy(&out.get_output().stdout).contains("version 2"),
        "{:?}",
        out.get_output()
    );
    assert_eq!(e.logged("opened_sha256"), sha256_hex(first));
    assert!(e.ok(&["note", "show", &id]).contains(canary));
    assert!(
        e.ok(&["note", "show", &id, "--version", "1"])
            .contains("First draft.")
    );
    e.assert_no_copy_left();
}

#[test]
fn unchanged_text_saves_no_new_version() {
    let Some(e) = Editing::new() else { return };
    let body = "Same text.\n";
    let id = e.add_note(body);
    let out = e
        .cmd(&["note", "edit", &id, "--edit"], body)
        .assert()
        .success();
    assert!(
        String::from_utf8_lossy(&out.get_output().stdout).contains("not edited"),
        "{:?}",
        out.get_output()
    );
    let err = e
        .plain()
        .args(["note", "show", &id, "--version", "2"])
        .assert()
        .failure();
    assert_eq!(err.get_output().status.code(), Some(1));
}

#[test]
fn an_editor_that_fails_saves_nothing_and_leaves_nothing() {
    let Some(e) = Editing::new() else { return };
    let canary = e.canary.as_str();
    let before = e.note_count();
    let out = e
        .cmd(&e.add_args(), &format!("Half-written {canary}\n"))
        .env("EDITOR_EXIT", "3")
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains("exited with") && stderr.contains("nothing was saved"),
        "{stderr}"
    );
    assert_eq!(e.note_count(), before);
    e.assert_no_copy_left();
}

#[test]
fn a_malformed_note_from_the_editor_is_refused_without_a_terminal_to_ask_again() {
    let Some(e) = Editing::new() else { return };
    let canary = e.canary.as_str();
    let draft = e.add_note("Draft.\n");
    let signed = e.add_note("Signed.\n");
    e.ok(&["note", "sign", &signed]);
    let before = e.note_count();
    // A misspelt category, an unknown one, a heading in a code block never closed: on
    // each command that opens the editor.
    let bodies = [
        (
            format!("Text {canary}\n## rsik\nmisspelt heading\n"),
            "line 2",
        ),
        (format!("Text {canary}\n\n## banana\nfruit\n"), "line 3"),
        (format!("Text {canary}\n```\n## risk\n"), "line 3"),
    ];
    let commands: [(Vec<&str>, String); 3] = [
        (
            e.add_args().to_vec(),
            "casevault note add --client ID --date DATE --file FILE".into(),
        ),
        (
            vec!["note", "edit", &draft, "--edit"],
            format!("casevault note edit {draft} --file FILE"),
        ),
        (
            vec!["note", "amend", &signed, "--edit"],
            format!("casevault note amend {signed} --file FILE"),
        ),
    ];
    for (args, with_file) in &commands {
        for (body, line) in &bodies {
            let out = e.cmd(args, body).assert().code(1);
            let stderr = String::from_utf8_lossy(&out.get_output().stderr);
            // What was wrong, that nothing was saved, and what to do instead.
            assert!(stderr.contains(&format!("{line}:")), "{stderr}");
            assert!(
                stderr.contains("nothing was saved and the text from the editor is discarded")
                    && stderr.contains("no terminal to reopen the editor on")
                    && stderr.contains("run the command in a terminal")
                    && stderr.contains(with_file.as_str()),
                "{args:?}: {stderr}"
            );
            assert!(!stderr.contains("fix that line"), "{stderr}");
            assert!(!stderr.contains("Edit it again?"), "{stderr}");
            e.assert_no_copy_left();
        }
    }
    assert_eq!(e.note_count(), before);
    let draft_now = e.ok(&["note", "show", &draft]);
    assert!(draft_now.contains("version 1"), "{draft_now}");
    let signed_now = e.ok(&["note", "show", &signed]);
    assert!(!signed_now.contains("addendum"), "{signed_now}");
}

#[test]
fn a_signed_note_is_refused_before_the_editor_opens() {
    let Some(e) = Editing::new() else { return };
    let canary = e.canary.as_str();
    let id = e.add_note("Signed text.\n");
    e.ok(&["note", "sign", &id]);
    let out = e
        .cmd(&["note", "edit", &id, "--edit"], "anything")
        .assert()
        .code(1);
    assert!(
        String::from_utf8_lossy(&out.get_output().stderr).contains("signed"),
        "{:?}",
        out.get_output()
    );
    assert!(
        !e.editor_ran(),
        "the editor opened for a note that cannot change"
    );

    // An addendum to it can be written in the editor.
    let out = e
        .cmd(
            &["note", "amend", &id, "--edit"],
            &format!("Addendum {canary}\n"),
        )
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("amended"));
    assert!(e.ok(&["note", "show", &id]).contains(canary));
    e.assert_no_copy_left();
}

#[test]
fn without_a_memory_backed_directory_nothing_is_written_unless_the_user_agrees() {
    let Some(e) = Editing::new() else { return };
    // A directory on disk (the build's own temporary directory, never a tmpfs here).
    let disk = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let on_disk = std::process::Command::new("stat")
        .args(["-f", "-c", "%T"])
        .arg(disk.path())
        .output()
        .unwrap();
    if String::from_utf8_lossy(&on_disk.stdout).trim() == "tmpfs" {
        eprintln!("skipped: the build directory is itself a tmpfs");
        return;
    }
    let before = e.note_count();
    let out = e
        .cmd(&e.add_args(), "text")
        .env("CASEVAULT_EDIT_DIR", disk.path())
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains("warning: no memory-backed directory")
            && stderr.contains("refused to write the note's text to disk")
            && stderr.contains("CASEVAULT_EDIT_DIR"),
        "{stderr}"
    );
    assert!(!e.editor_ran());
    assert_eq!(fs::read_dir(disk.path()).unwrap().count(), 0);
    assert_eq!(e.note_count(), before);
}

#[test]
fn known_editors_are_started_with_swap_backup_and_history_files_off() {
    let Some(e) = Editing::new() else { return };
    let bin = e.vault.dir.path().join("bin");
    let cases: &[(&str, &[&str])] = &[
        (
            "vim",
            &[
                "-n",
                "-i",
                "NONE",
                "--cmd",
                "set nobackup nowritebackup noundofile",
            ],
        ),
        ("nvim", &["-n", "-i", "NONE"]),
        ("nano", &["--ignorercfiles"]),
        (
            "emacs",
            &[
                "--eval",
                "(setq make-backup-files nil auto-save-default nil create-lockfiles nil)",
            ],
        ),
    ];
    for (name, flags) in cases {
        let editor = script(&bin, name, STAND_IN);
        let out = e
            .cmd(&e.add_args(), "Text.\n")
            .env("EDITOR", &editor)
            .assert()
            .success();
        assert!(!String::from_utf8_lossy(&out.get_output().stdout).is_empty());
        let args = e.logged("args");
        let args: Vec<&str> = args.lines().collect();
        for flag in *flags {
            assert!(args.contains(flag), "{name} was started with {args:?}");
        }
        assert!(args.last().unwrap().ends_with("/note.md"), "{args:?}");
    }
    // An editor casevault does not know gets the file alone.
    e.add("Plain.\n");
    assert_eq!(e.logged("args").lines().count(), 1);
}

#[test]
fn no_casevault_variable_or_secret_reaches_the_editor_or_what_it_starts() {
    let Some(e) = Editing::new() else { return };
    let canary = e.canary.as_str();
    // Every secret-bearing variable casevault reads, each with a random value; the
    // passphrase itself comes from CASEVAULT_PASSPHRASE.
    let recovery = format!("recovery-{}", random_token());
    let new_pass = format!("new-passphrase-{}", random_token());
    let export_pass = format!("export-passphrase-{}", random_token());
    let secrets = [e.passphrase.as_str(), &recovery, &new_pass, &export_pass];
    let with_secrets = |args: &[&str], text: &str| {
        let mut cmd = e.cmd(args, text);
        cmd.env("CASEVAULT_RECOVERY_CODE", &recovery)
            .env("CASEVAULT_NEW_PASSPHRASE", &new_pass)
            .env("CASEVAULT_EXPORT_PASSPHRASE", &export_pass)
            .env("CASEVAULT_SOMETHING_NEW", "x");
        cmd
    };
    let id = e.add_note("Draft.\n");
    for (args, text) in [
        (e.add_args().to_vec(), format!("Added {canary}\n")),
        (
            vec!["note", "edit", &id, "--edit"],
            format!("Edited {canary}\n"),
        ),
    ] {
        with_secrets(&args, &text).assert().success();
        e.assert_no_secret_reached_the_editor(&secrets);
    }
    e.ok(&["note", "sign", &id]);
    with_secrets(
        &["note", "amend", &id, "--edit"],
        &format!("Amended {canary}\n"),
    )
    .assert()
    .success();
    e.assert_no_secret_reached_the_editor(&secrets);
    assert!(
        e.ok(&["note", "show", &id])
            .contains(&format!("Amended {canary}"))
    );

    // The passphrase from a file: neither the file's path nor its text is passed on.
    let file = e.vault.dir.path().join("passphrase.txt");
    fs::write(&file, format!("{}\n", e.passphrase)).unwrap();
    e.cmd(&e.add_args(), &format!("From a file {canary}\n"))
        .env_remove("CASEVAULT_PASSPHRASE")
        .env("CASEVAULT_PASSPHRASE_FILE", &file)
        .assert()
        .success();
    let path = file.to_str().unwrap();
    e.assert_no_secret_reached_the_editor(&[e.passphrase.as_str(), path]);
    e.assert_no_copy_left();
}

#[test]
fn by_default_the_scratch_file_is_in_dev_shm_and_gone_after() {
    let Some(e) = Editing::new() else { return };
    let canary = e.canary.as_str();
    // No CASEVAULT_EDIT_DIR (and no XDG_RUNTIME_DIR: the environment is cleared).
    e.cmd(&e.add_args(), &format!("Default place {canary}\n"))
        .env_remove("CASEVAULT_EDIT_DIR")
        .assert()
        .success();
    let path = e.logged("path");
    assert!(path.starts_with("/dev/shm/casevault-edit-"), "{path}");
    assert_eq!(e.logged("fs"), "tmpfs");
    // Others use /dev/shm at the same time: look only for this test's random canary.
    let left = shared_files_holding(Path::new(SHM), canary);
    assert!(left.is_empty(), "text left behind in {left:?}");
    e.assert_no_copy_left();
}

/// Runs `casevault ARGS` for `e` on a terminal (a pseudo-terminal made by util-linux
/// `script`) with `editor`, typing `typed`; returns the exit code and what the terminal
/// showed, or `None` where `script` is missing.
fn on_terminal(e: &Editing, args: &[&str], editor: &Path, typed: &str) -> Option<(i32, String)> {
    use std::io::Write;
    let script = Path::new("/usr/bin/script");
    if !script.exists() {
        eprintln!("skipped: no /usr/bin/script to make a terminal with");
        return None;
    }
    // Ids and options are plain words: no quoting needed.
    let line = format!("{} {}", env!("CARGO_BIN_EXE_casevault"), args.join(" "));
    let mut child = std::process::Command::new(script)
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", e.vault.dir.path())
        .env("TMPDIR", e.vault.dir.path())
        .env("USER", "dr-test")
        .env("CASEVAULT_VAULT", &e.vault.path)
        .env("CASEVAULT_PASSPHRASE", &e.passphrase)
        .env("CASEVAULT_EDIT_DIR", e.shm.path())
        .env("EDITOR", editor)
        .env("EDITOR_LOG", &e.log)
        .env("EDITOR_CANARY", &e.canary)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).replace('\r', ""),
    ))
}

#[test]
fn on_a_terminal_a_refused_note_reopens_in_the_editor_or_is_discarded_when_declined() {
    let Some(e) = Editing::new() else { return };
    let bin = e.vault.dir.path().join("bin");
    // Writes a misspelt heading into an empty file, and a correct note into one that
    // already holds text (the refused note, reopened).
    let editor = script(
        &bin,
        "fixing-editor",
        r#"for f; do :; done
env > "$EDITOR_LOG/env"
sh -c env > "$EDITOR_LOG/child_env"
printf '%s\n' "$f" > "$EDITOR_LOG/path"
if [ -s "$f" ]; then
  printf 'Corrected %s\n## risk\nNone.\n' "$EDITOR_CANARY" > "$f"
else
  printf 'Draft %s\n## rsik\nmisspelt\n' "$EDITOR_CANARY" > "$f"
fi
"#,
    );
    let before = e.note_count();
    let add = e.add_args();

    // Declined: nothing is saved, and the hint does not tell a terminal user to find a
    // terminal.
    let Some((code, screen)) = on_terminal(&e, &add, &editor, "n\n") else {
        return;
    };
    assert_eq!(code, 1, "{screen}");
    assert!(
        screen.contains("line 2: heading \"## rsik\" is not a category")
            && screen.contains("Edit it again? [Y/n]")
            && screen.contains("nothing was saved and the text from the editor is discarded")
            && screen.contains("casevault note add --client ID --date DATE --file FILE"),
        "{screen}"
    );
    assert!(
        !screen.contains("fix that line") && !screen.contains("no terminal"),
        "{screen}"
    );
    assert_eq!(e.note_count(), before);
    e.assert_no_copy_left();

    // Accepted: the editor reopens on the refused text, and the corrected note is saved.
    let Some((code, screen)) = on_terminal(&e, &add, &editor, "y\n") else {
        return;
    };
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Edit it again? [Y/n]"), "{screen}");
    assert_eq!(e.note_count(), before + 1);
    let id = screen.split_whitespace().last().unwrap_or_default();
    let shown = e.ok(&["note", "show", id]);
    assert!(
        shown.contains(&format!("Corrected {}", e.canary)),
        "{shown}"
    );
    e.assert_no_copy_left();
}
