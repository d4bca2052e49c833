//! Shared helpers for the CLI tests: a throwaway vault in a temporary directory and a
//! `casevault` command preconfigured to use it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub const PASSPHRASE: &str = "correct horse battery staple";

/// A temporary directory holding one vault.
pub struct TestVault {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TestVault {
    /// A directory with no vault in it yet.
    pub fn empty() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("practice.casevault");
        TestVault { dir, path }
    }

    /// A new vault, created with `casevault init`; returns it and the recovery code.
    pub fn init() -> (Self, String) {
        let vault = Self::empty();
        let out = vault.cmd().arg("init").arg("--json").assert().success();
        let json: serde_json::Value =
            serde_json::from_slice(&out.get_output().stdout).expect("init --json prints JSON");
        let code = json["recovery_code"]
            .as_str()
            .expect("recovery code")
            .to_owned();
        (vault, code)
    }

    /// `casevault` with this vault and the test passphrase, and a clean environment.
    pub fn cmd(&self) -> Command {
        self.cmd_with_passphrase(PASSPHRASE)
    }

    /// `casevault` with this vault and `passphrase`.
    pub fn cmd_with_passphrase(&self, passphrase: &str) -> Command {
        let mut cmd = Command::cargo_bin("casevault").expect("the casevault binary");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("TMPDIR", self.dir.path())
            .env("USER", "dr-test")
            .env("CASEVAULT_VAULT", &self.path)
            .env("CASEVAULT_PASSPHRASE", passphrase)
            .write_stdin("");
        cmd
    }

    /// Runs `casevault ARGS`, expects success, returns trimmed stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone())
            .expect("UTF-8 output")
            .trim()
            .to_owned()
    }

    /// Runs `casevault ARGS` with `stdin`, expects success, returns trimmed stdout.
    pub fn ok_stdin(&self, args: &[&str], stdin: &str) -> String {
        let out = self.cmd().args(args).write_stdin(stdin).assert().success();
        String::from_utf8(out.get_output().stdout.clone())
            .expect("UTF-8 output")
            .trim()
            .to_owned()
    }

    /// Runs `casevault ARGS --json`, expects success, parses stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.cmd().args(args).arg("--json").assert().success();
        serde_json::from_slice(&out.get_output().stdout).expect("JSON output")
    }

    /// Adds a client and returns its id.
    pub fn add_client(&self, name: &str, third_parties: &[&str]) -> String {
        let mut args = vec!["client", "add", "--name", name];
        for t in third_parties {
            args.extend(["--third-party", t]);
        }
        self.ok(&args)
    }

    /// Adds an individual note from `body` and returns its id.
    pub fn add_note(&self, client: &str, date: &str, body: &str) -> String {
        self.ok_stdin(&["note", "add", "--client", client, "--date", date], body)
    }

    /// Opens the vault file directly with SQLite (for tampering and inspection).
    pub fn sqlite(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.path).expect("open the vault with SQLite")
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable directory").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Files under a shared directory (`/dev/shm`, `/tmp`) changed at or after `since` and
/// no larger than 64 MiB; directories that vanish or cannot be read are skipped, since
/// other processes use them too.
pub fn recent_files_under(dir: &Path, since: std::time::SystemTime) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file()
                && meta.len() <= 64 << 20
                && meta.modified().is_ok_and(|m| m >= since)
            {
                out.push(entry.path());
            }
        }
    }
    out
}

/// True when `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

impl TestVault {
    /// Runs `casevault ARGS` (any exit status) and returns its output.
    pub fn output(&self, args: &[&str]) -> std::process::Output {
        self.cmd().args(args).output().expect("run casevault")
    }

    /// `casevault` as a plain `std::process::Command`, with the same vault, passphrase
    /// and environment as [`TestVault::cmd`] and no standard input: for a child
    /// process the test starts, watches and kills itself.
    pub fn process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_casevault"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("TMPDIR", self.dir.path())
            .env("USER", "dr-test")
            .env("CASEVAULT_VAULT", &self.path)
            .env("CASEVAULT_PASSPHRASE", PASSPHRASE)
            .stdin(std::process::Stdio::null());
        cmd
    }

    /// Opens the vault file read-only with SQLite (to watch it while casevault writes).
    pub fn sqlite_read_only(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .expect("open the vault read-only with SQLite")
    }
}
