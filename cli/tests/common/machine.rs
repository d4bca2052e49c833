//! A practice on a server, as its members' machines see it: each machine its own home
//! (and so data directory, and pins), running the `casevault` binary against a
//! vault on a real PostgreSQL server (`casevault_pgtest`). Shared by the server pin
//! and review suites.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use casevault_pgtest::PgServer;

pub const OWNER_PASS: &str = "correct horse battery staple";
pub const DR_B_PASS: &str = "a different passphrase for dr-b";

/// One member's machine: their own home (and so data directory, and pins).
pub struct Machine {
    pub home: tempfile::TempDir,
    pub member: &'static str,
    pub passphrase: &'static str,
}

impl Machine {
    pub fn new(member: &'static str, passphrase: &'static str) -> Machine {
        Machine {
            home: tempfile::tempdir().expect("a home directory"),
            member,
            passphrase,
        }
    }

    pub fn cmd(&self, vault: &str) -> Command {
        let mut cmd = Command::cargo_bin("casevault").expect("the casevault binary");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("TMPDIR", self.home.path())
            .env("USER", self.member)
            .env("TZ", "UTC")
            .env("CASEVAULT_VAULT", vault)
            .env("CASEVAULT_MEMBER", self.member)
            .env("CASEVAULT_PASSPHRASE", self.passphrase)
            .timeout(Duration::from_secs(120))
            .write_stdin("");
        cmd
    }

    pub fn run(&self, vault: &str, args: &[&str]) -> Output {
        self.cmd(vault).args(args).output().expect("run casevault")
    }

    pub fn ok(&self, vault: &str, args: &[&str]) -> String {
        let out = self.run(vault, args);
        assert!(
            out.status.success(),
            "{} {args:?}: {}",
            self.member,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("UTF-8")
            .trim()
            .to_owned()
    }

    /// This machine's pin files (not their lock files).
    pub fn pins(&self) -> Vec<PathBuf> {
        let dir = self.home.path().join(".local/share/casevault/pins");
        match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_none())
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// A practice on the server: dr-a (owner) and dr-b (clinician), each on their own
/// machine, each having run a command.
pub fn practice(server: &PgServer) -> (String, Machine, Machine) {
    let url = server.url(&server.create_database());
    let a = Machine::new("dr-a", OWNER_PASS);
    let b = Machine::new("dr-b", DR_B_PASS);
    a.ok(&url, &["init"]);
    let added = a
        .cmd(&url)
        .env("CASEVAULT_NEW_PASSPHRASE", DR_B_PASS)
        .args(["member", "add", "--name", "dr-b", "--role", "clinician"])
        .output()
        .expect("run casevault");
    assert!(added.status.success(), "{added:?}");
    a.ok(&url, &["client", "add", "--name", "Client One"]);
    b.ok(&url, &["member", "list"]);
    (url, a, b)
}

pub fn db_of(url: &str) -> &str {
    let path = url.split("://").nth(1).expect("a URL");
    let db = path.split_once('/').expect("a database").1;
    db.split('?').next().expect("a name")
}

/// Expects exit 5 with the pin's message naming what the trail holds instead.
pub fn refused(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("does not extend what this machine last saw"),
        "{stderr}"
    );
    assert!(stderr.contains(what), "{what:?} in {stderr}");
    assert!(stderr.contains("audit pin --reset --yes"), "{stderr}");
}
