//! Process hygiene: while casevault holds a key or a passphrase, its process writes no
//! core dump and cannot be read by other processes of the same user.
//!
//! The library test checks the process attributes directly. The CLI test runs the real
//! binary as an unprivileged user, stops it while it waits for its passphrase, and has
//! another process of that same user try to read its memory map and environment: a
//! process left dumpable is readable that way (shown by a control process), a hardened
//! one is not. That test needs root to switch users and is skipped with a note without.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use casevault::{KdfParams, Vault};
use rustix::process::{DumpableBehavior, Resource, dumpable_behavior, getrlimit};
use secrecy::SecretString;

const NOBODY: &str = "65534";

#[test]
fn the_library_turns_core_dumps_off_before_deriving_any_key() {
    // A test process starts dumpable; the vault must change that, not find it so.
    assert_eq!(dumpable_behavior().unwrap(), DumpableBehavior::Dumpable);

    let dir = tempfile::tempdir().unwrap();
    let passphrase = SecretString::from(common::PASSPHRASE);
    let (_session, _code) = Vault::create(
        dir.path().join("v.casevault"),
        &passphrase,
        KdfParams::default(),
        "dr-test",
    )
    .unwrap();

    assert_eq!(dumpable_behavior().unwrap(), DumpableBehavior::NotDumpable);
    let core = getrlimit(Resource::Core);
    assert_eq!(
        (core.current, core.maximum),
        (Some(0), Some(0)),
        "core dumps must be off, and not raisable again"
    );
}

fn is_root() -> bool {
    rustix::process::getuid().is_root()
}

/// `setpriv` running `program` as nobody, with an empty environment but for `env`.
fn as_nobody(program: &str, env: &[(&str, &Path)]) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args([
        &format!("--reuid={NOBODY}"),
        &format!("--regid={NOBODY}"),
        "--clear-groups",
        "--",
        program,
    ])
    .env_clear()
    .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Whether another process of user nobody can read `pid`'s environment.
fn readable_by_nobody(pid: u32) -> bool {
    as_nobody("cat", &[])
        .arg(format!("/proc/{pid}/environ"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

fn core_limit(pid: u32) -> Option<String> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))?;
    Some(
        line.split_whitespace()
            .skip(4)
            .take(2)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_cli_cannot_be_read_by_other_processes_while_it_waits_for_a_passphrase() {
    if !is_root() {
        eprintln!("skipped: switching to an unprivileged user needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let vault = dir.path().join("v.casevault");
    let fifo = dir.path().join("passphrase.fifo");
    let pass_file = dir.path().join("passphrase.txt");
    std::fs::write(&pass_file, common::PASSPHRASE).unwrap();
    std::fs::set_permissions(&pass_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let bin = env!("CARGO_BIN_EXE_casevault");

    let init = as_nobody(bin, &[("HOME", dir.path())])
        .args(["--vault", vault.to_str().unwrap(), "--passphrase-file"])
        .arg(&pass_file)
        .arg("init")
        .output()
        .unwrap();
    assert!(init.status.success(), "init as nobody: {init:?}");
    assert!(
        Command::new("mkfifo")
            .args(["-m", "0666"])
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );

    // Control: an ordinary process of the same user is readable.
    let control = Killed(as_nobody("sleep", &[]).arg("30").spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !readable_by_nobody(control.0.id()) {
        assert!(
            Instant::now() < deadline,
            "the control process never became readable: the test cannot tell"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // casevault blocks opening the FIFO for its passphrase, with the vault open.
    let mut waiting = Killed(
        as_nobody(bin, &[("HOME", dir.path())])
            .args(["--vault", vault.to_str().unwrap(), "--passphrase-file"])
            .arg(&fifo)
            .args(["client", "list"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let pid = waiting.0.id();
    let deadline = Instant::now() + Duration::from_secs(10);
    while core_limit(pid).as_deref() != Some("0 0") {
        assert!(
            Instant::now() < deadline,
            "core dumps never turned off: {:?}",
            core_limit(pid)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Past hardening and waiting on the FIFO.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !readable_by_nobody(pid),
        "another process of the same user read casevault's environment"
    );

    // Given its passphrase, it carries on and succeeds.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    writeln!(writer, "{}", common::PASSPHRASE).unwrap();
    drop(writer);
    let status = waiting.0.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(waiting.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "client list failed: {stderr}");
}
