//! Writing notes in the user's editor: `note add --edit`, `note edit`, `note amend --edit`.
//!
//! A stand-in editor (a shell script) records what it was given (the file's path, its
//! and its directory's modes, the file system, a digest of the text it opened on, its
//! arguments) into a log directory, writes a canary, and leaves the kind of files real
//! editors leave beside the file (swap, backup, auto-save). After each command no copy
//! of the canary may be left in /dev/shm, the test's directory (the CLI's HOME and
//! TMPDIR) or the vault.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{TestVault, contains, files_under};

const CANARY: &str = "editor-canary-Vq8hLz3Rw";
const SHM: &str = "/dev/shm";

/// Writes an executable script named `name` into `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A stand-in editor: logs what it sees into `$EDITOR_LOG`, replaces the text with
/// `$EDITOR_TEXT`, leaves Vim/Emacs/nano-like leftovers beside it, exits `$EDITOR_EXIT`.
const STAND_IN: &str = r#"
for last in "$@"; do :; done
f="$last"; d=$(dirname "$f")
printf '%s\n' "$@" > "$EDITOR_LOG/args"
printf '%s\n' "$f" > "$EDITOR_LOG/path"
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
    client: String,
    log: PathBuf,
    editor: PathBuf,
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
        let (vault, _) = TestVault::init();
        let client = vault.add_client("Ada Example", &[]);
        let log = vault.dir.path().join("editor-log");
        fs::create_dir(&log).unwrap();
        let bin = vault.dir.path().join("bin");
        fs::create_dir(&bin).unwrap();
        let editor = script(&bin, "stand-in-editor", STAND_IN);
        Some(Editing {
            vault,
            client,
            log,
            editor,
        })
    }

    /// `casevault ARGS` with the stand-in editor writing `text`.
    fn cmd(&self, args: &[&str], text: &str) -> Command {
        let mut cmd = self.vault.cmd();
        cmd.args(args)
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
        self.vault
            .json(&["note", "list", "--client", &self.client])
            .as_array()
            .map(Vec::len)
            .expect("note list --json is an array")
    }

    /// No file under /dev/shm, the test's directory (HOME, TMPDIR, the vault) holds
    /// `needle`, and no scratch directory is left.
    fn assert_no_copy_left(&self, needle: &str) {
        let mut leaks = Vec::new();
        for root in [Path::new(SHM), self.vault.dir.path()] {
            for file in files_under(root) {
                if file.starts_with(&self.log) {
                    continue;
                }
                if let Ok(bytes) = fs::read(&file)
                    && contains(&bytes, needle)
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
    let text = format!("Slept better; {CANARY}.\n## risk\nNo current risk.\n");
    let id = e.add(&text);

    let path = e.logged("path");
    assert!(path.starts_with("/dev/shm/casevault-edit-"), "{path}");
    assert!(path.ends_with("/note.md"), "{path}");
    assert_eq!(e.logged("file_mode"), "600");
    assert_eq!(e.logged("dir_mode"), "700");
    assert_eq!(e.logged("fs"), "tmpfs");
    // A new note opens on an empty file.
    assert_eq!(e.logged("opened_sha256"), sha256_hex(""));

    let shown = e.vault.ok(&["note", "show", &id]);
    assert!(shown.contains(CANARY), "{shown}");
    assert!(shown.contains("sections: progress, risk"), "{shown}");
    e.assert_no_copy_left(CANARY);
}

#[test]
fn the_editor_leftovers_are_named_when_removed() {
    let Some(e) = Editing::new() else { return };
    let out = e
        .cmd(&e.add_args(), &format!("Text {CANARY}\n"))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains("removed the editor's leftover files")
            && stderr.contains(".note.md.swp")
            && stderr.contains("note.md~"),
        "{stderr}"
    );
    e.assert_no_copy_left(CANARY);
}

#[test]
fn note_edit_opens_the_current_text_and_keeps_the_earlier_version() {
    let Some(e) = Editing::new() else { return };
    let first = "First draft.\n## risk\nNone.\n";
    let id = e.vault.add_note(&e.client, "2026-03-01", first);

    let revised = format!("Revised draft {CANARY}.\n## risk\nNone.\n");
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
    assert!(e.vault.ok(&["note", "show", &id]).contains(CANARY));
    assert!(
        e.vault
            .ok(&["note", "show", &id, "--version", "1"])
            .contains("First draft.")
    );
    e.assert_no_copy_left(CANARY);
}

#[test]
fn unchanged_text_saves_no_new_version() {
    let Some(e) = Editing::new() else { return };
    let body = "Same text.\n";
    let id = e.vault.add_note(&e.client, "2026-03-01", body);
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
        .vault
        .cmd()
        .args(["note", "show", &id, "--version", "2"])
        .assert()
        .failure();
    assert_eq!(err.get_output().status.code(), Some(1));
}

#[test]
fn an_editor_that_fails_saves_nothing_and_leaves_nothing() {
    let Some(e) = Editing::new() else { return };
    let before = e.note_count();
    let out = e
        .cmd(&e.add_args(), &format!("Half-written {CANARY}\n"))
        .env("EDITOR_EXIT", "3")
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains("exited with") && stderr.contains("nothing was saved"),
        "{stderr}"
    );
    assert_eq!(e.note_count(), before);
    e.assert_no_copy_left(CANARY);
}

#[test]
fn a_malformed_note_from_the_editor_is_refused_without_a_terminal_to_ask_again() {
    let Some(e) = Editing::new() else { return };
    let before = e.note_count();
    let out = e
        .cmd(
            &e.add_args(),
            &format!("Text {CANARY}\n## rsik\nmisspelt heading\n"),
        )
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("line 2"), "{stderr}");
    assert_eq!(e.note_count(), before);
    e.assert_no_copy_left(CANARY);
}

#[test]
fn a_signed_note_is_refused_before_the_editor_opens() {
    let Some(e) = Editing::new() else { return };
    let id = e.vault.add_note(&e.client, "2026-03-01", "Signed text.\n");
    e.vault.ok(&["note", "sign", &id]);
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
            &format!("Addendum {CANARY}\n"),
        )
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("amended"));
    assert!(e.vault.ok(&["note", "show", &id]).contains(CANARY));
    e.assert_no_copy_left(CANARY);
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
