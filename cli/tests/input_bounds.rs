//! Every input the command reads is bounded: a note, a policy, a passphrase file, a
//! justification or a profile just under its limit is read; one byte over, `/dev/zero`
//! or a pipe that never ends is refused (exit 1) with the input and its limit named,
//! in memory near the bound. The binary runs under an address-space limit far below
//! what reading without a bound took (gigabytes), and its peak resident memory
//! (`VmHWM`, polled) is checked and printed (`--nocapture` shows the figures).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{PASSPHRASE, TestVault};
use rand::Rng;

const MIB: usize = 1024 * 1024;
const KIB: usize = 1024;
const NOTE_LIMIT: usize = casevault::MAX_NOTE_BYTES;
const POLICY_LIMIT: usize = MIB;
const SECRET_LIMIT: usize = 64 * KIB;
const TEXT_LIMIT: usize = 64 * KIB;

/// The address space every run gets: room for Argon2id's 64 MiB and an 8 MiB note,
/// nowhere near the gigabytes an unbounded read of `/dev/zero` takes.
const ADDRESS_SPACE: usize = 768 * MIB;
/// A refusal happens before the vault is unlocked: no Argon2id, a bounded buffer.
const REFUSAL_PEAK_KIB: u64 = 48 * 1024;

/// What the child reads on standard input.
enum Feed {
    Nothing,
    Bytes(Vec<u8>),
    /// `y\n` for ever, from a thread, until the reader goes away.
    Endless,
}

struct Run {
    code: Option<i32>,
    stderr: String,
    peak_kib: u64,
}

/// Runs `casevault ARGS` on `v` under [`ADDRESS_SPACE`], feeding `feed`, polling its
/// peak resident memory; fails the test if it has not ended within two minutes.
fn run(v: &TestVault, args: &[&str], env: &[(&str, &str)], feed: Feed) -> Run {
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={ADDRESS_SPACE}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_casevault"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", v.dir.path())
        .env("TMPDIR", v.dir.path())
        .env("USER", "dr-test")
        .env("CASEVAULT_VAULT", &v.path)
        .env("CASEVAULT_PASSPHRASE", PASSPHRASE)
        .envs(env.iter().copied())
        .stdin(match feed {
            Feed::Nothing => Stdio::null(),
            _ => Stdio::piped(),
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("prlimit runs casevault");
    let pid = child.id();
    let writer = child.stdin.take().map(|mut stdin| {
        std::thread::spawn(move || match feed {
            Feed::Bytes(bytes) => {
                let _ = stdin.write_all(&bytes);
            }
            Feed::Endless => {
                let chunk = b"y\n".repeat(32 * KIB);
                // Ends when casevault stops reading and exits (a broken pipe).
                while stdin.write_all(&chunk).is_ok() {}
            }
            Feed::Nothing => {}
        })
    });
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut peak_kib = 0;
    let status = loop {
        if let Some(hwm) = vm_hwm_kib(pid) {
            peak_kib = peak_kib.max(hwm);
        }
        if let Some(status) = child.try_wait().expect("wait for casevault") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("casevault {args:?} did not end within two minutes");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    if let Some(writer) = writer {
        writer.join().expect("the writer thread ends");
    }
    Run {
        code: status.code(),
        stderr: reader.join().expect("stderr reader"),
        peak_kib,
    }
}

/// The peak resident set of process `pid`, in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn report(what: &str, run: &Run) {
    eprintln!(
        "peak memory: {what}: {} KiB ({:.1} MiB), exit {:?}",
        run.peak_kib,
        run.peak_kib as f64 / 1024.0,
        run.code
    );
}

/// Refused as too large: exit 1, the input and its limit named, nothing unlocked.
fn assert_refused(what: &str, run: &Run, noun: &str, limit: &str) {
    report(what, run);
    assert_eq!(run.code, Some(1), "{what}: {}", run.stderr);
    assert!(
        run.stderr.contains(noun) && run.stderr.contains(&format!("larger than {limit}")),
        "{what}: {}",
        run.stderr
    );
    assert!(
        run.peak_kib < REFUSAL_PEAK_KIB,
        "{what}: peak {} KiB",
        run.peak_kib
    );
}

fn assert_accepted(what: &str, run: &Run) {
    report(what, run);
    assert_eq!(run.code, Some(0), "{what}: {}", run.stderr);
}

/// Markdown of exactly `len` bytes: random words (some accented) on lines of random
/// length, padded with ASCII.
fn markdown(len: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "client", "reported", "sleep", "café", "naïve", "anxiety", "improved", "week", "Zoë",
        "plan", "résumé", "session", "grief", "the", "and",
    ];
    let mut rng = rand::thread_rng();
    let mut text = String::with_capacity(len + 16);
    while text.len() + 16 < len {
        let word = WORDS[rng.gen_range(0..WORDS.len())];
        text.push_str(word);
        text.push(if rng.gen_ratio(1, 12) { '\n' } else { ' ' });
    }
    while text.len() < len {
        text.push('x');
    }
    let mut bytes = text.into_bytes();
    bytes.truncate(len);
    bytes
}

/// `len` bytes: `first` and a line ending, then `#` comment lines.
fn padded(first: &str, len: usize) -> Vec<u8> {
    let mut bytes = format!("{first}\n").into_bytes();
    while bytes.len() < len {
        let room = len - bytes.len();
        let line = "# padding padding padding padding padding padding padding\n";
        if room > line.len() {
            bytes.extend_from_slice(line.as_bytes());
        } else {
            bytes.extend(std::iter::repeat_n(b'#', room - 1));
            bytes.push(b'\n');
        }
    }
    assert_eq!(bytes.len(), len);
    bytes
}

fn write(v: &TestVault, name: &str, bytes: &[u8]) -> String {
    let path = v.dir.path().join(name);
    std::fs::write(&path, bytes).expect("write the input file");
    path.to_str().expect("UTF-8 temporary path").to_owned()
}

fn vault_with_client() -> (TestVault, String) {
    let (v, _) = TestVault::init();
    let client = v.add_client("Ada Example", &[]);
    (v, client)
}

#[test]
fn notes_are_read_up_to_their_limit_from_files_and_standard_input() {
    let (v, client) = vault_with_client();
    let add = ["note", "add", "--client", &client, "--date", "2026-03-01"];
    let under = NOTE_LIMIT - rand::thread_rng().gen_range(0..64);
    for len in [NOTE_LIMIT, under] {
        let file = write(&v, "note.md", &markdown(len));
        let mut args = add.to_vec();
        args.extend(["--file", &file]);
        let r = run(&v, &args, &[], Feed::Nothing);
        assert_accepted(&format!("note add --file, {len} bytes"), &r);
    }
    let r = run(&v, &add, &[], Feed::Bytes(markdown(NOTE_LIMIT)));
    assert_accepted(&format!("note add on stdin, {NOTE_LIMIT} bytes"), &r);

    let over = NOTE_LIMIT + 1 + rand::thread_rng().gen_range(0..64);
    for len in [NOTE_LIMIT + 1, over] {
        let file = write(&v, "note.md", &markdown(len));
        let mut args = add.to_vec();
        args.extend(["--file", &file]);
        let r = run(&v, &args, &[], Feed::Nothing);
        assert_refused(
            &format!("note add --file, {len} bytes"),
            &r,
            "note",
            "8 MiB",
        );
        let r = run(&v, &add, &[], Feed::Bytes(markdown(len)));
        assert_refused(
            &format!("note add on stdin, {len} bytes"),
            &r,
            "note",
            "8 MiB",
        );
    }
    let mut args = add.to_vec();
    args.extend(["--file", "/dev/zero"]);
    let r = run(&v, &args, &[], Feed::Nothing);
    assert_refused("note add --file /dev/zero", &r, "note", "8 MiB");
    let r = run(&v, &add, &[], Feed::Endless);
    assert_refused("note add from an endless pipe", &r, "note", "8 MiB");

    // `note amend --file` and `note edit --file` read through the same bound.
    let id = v.add_note(&client, "2026-03-01", "Short note.\n");
    for verb in ["amend", "edit"] {
        let r = run(
            &v,
            &["note", verb, &id, "--file", "/dev/zero"],
            &[],
            Feed::Nothing,
        );
        assert_refused(
            &format!("note {verb} --file /dev/zero"),
            &r,
            "note",
            "8 MiB",
        );
    }
    // Nothing refused was written: two notes of the limit, one from stdin, one short.
    let listed = v.json(&["note", "list", "--client", &client]);
    assert_eq!(listed.as_array().map(Vec::len), Some(4), "{listed}");
}

#[test]
fn a_policy_file_is_read_up_to_one_mib() {
    let (v, _) = TestVault::init();
    let policy = String::from_utf8(
        std::process::Command::new(env!("CARGO_BIN_EXE_casevault"))
            .env_clear()
            .env("CASEVAULT_VAULT", &v.path)
            .env("CASEVAULT_PASSPHRASE", PASSPHRASE)
            .env("USER", "dr-test")
            .args(["policy", "show"])
            .output()
            .expect("policy show")
            .stdout,
    )
    .expect("UTF-8 policy");
    assert!(policy.contains('['), "{policy}");
    let under = POLICY_LIMIT - rand::thread_rng().gen_range(0..64);
    for len in [POLICY_LIMIT, under] {
        let file = write(&v, "policy.toml", &padded(&policy, len));
        let r = run(&v, &["policy", "set", &file], &[], Feed::Nothing);
        assert_accepted(&format!("policy set, {len} bytes"), &r);
    }
    for len in [
        POLICY_LIMIT + 1,
        POLICY_LIMIT + 2 + rand::thread_rng().gen_range(0..64),
    ] {
        let file = write(&v, "policy.toml", &padded(&policy, len));
        let r = run(&v, &["policy", "set", &file], &[], Feed::Nothing);
        assert_refused(&format!("policy set, {len} bytes"), &r, "policy", "1 MiB");
    }
    let r = run(&v, &["policy", "set", "/dev/zero"], &[], Feed::Nothing);
    assert_refused("policy set /dev/zero", &r, "policy", "1 MiB");
}

#[test]
fn passphrase_files_are_read_up_to_64_kib() {
    let (v, code) = TestVault::init();
    let under = SECRET_LIMIT - rand::thread_rng().gen_range(1..64);
    for len in [SECRET_LIMIT, under] {
        let file = write(&v, "pass.txt", &padded(PASSPHRASE, len));
        let r = run(
            &v,
            &["--passphrase-file", &file, "client", "list"],
            &[("CASEVAULT_PASSPHRASE", "not this one")],
            Feed::Nothing,
        );
        assert_accepted(&format!("--passphrase-file, {len} bytes"), &r);
    }
    for len in [
        SECRET_LIMIT + 1,
        SECRET_LIMIT + 2 + rand::thread_rng().gen_range(0..64),
    ] {
        let file = write(&v, "pass.txt", &padded(PASSPHRASE, len));
        let r = run(
            &v,
            &["--passphrase-file", &file, "client", "list"],
            &[],
            Feed::Nothing,
        );
        assert_refused(
            &format!("--passphrase-file, {len} bytes"),
            &r,
            "passphrase",
            "64 KiB",
        );
        let r = run(
            &v,
            &["passwd", "--new-passphrase-file", &file],
            &[],
            Feed::Nothing,
        );
        report("passwd --new-passphrase-file, over", &r);
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        assert!(r.stderr.contains("larger than 64 KiB"), "{}", r.stderr);
        let codes = write(&v, "code.txt", &padded(&code, len));
        let r = run(
            &v,
            &["recover", "--recovery-code-file", &codes],
            &[("CASEVAULT_NEW_PASSPHRASE", "another long passphrase")],
            Feed::Nothing,
        );
        assert_refused("--recovery-code-file, over", &r, "recovery code", "64 KiB");
    }
    let r = run(
        &v,
        &["--passphrase-file", "/dev/zero", "client", "list"],
        &[],
        Feed::Nothing,
    );
    assert_refused("--passphrase-file /dev/zero", &r, "passphrase", "64 KiB");
    let client = v.add_client("Ada Example", &[]);
    let disclose = |file: &str| {
        let out = v.dir.path().join("export.age");
        let out = out.to_str().expect("UTF-8 path").to_owned();
        run(
            &v,
            &[
                "disclose",
                "--client",
                &client,
                "--to",
                "Dr. Osei",
                "--purpose",
                "treatment",
                "--categories",
                "progress",
                "--exception",
                "emergency",
                "--justification-file",
                "/dev/null",
                "--export-passphrase-file",
                file,
                "--out",
                &out,
            ],
            &[],
            Feed::Nothing,
        )
    };
    let r = disclose("/dev/zero");
    assert_refused(
        "--export-passphrase-file /dev/zero",
        &r,
        "export passphrase",
        "64 KiB",
    );
}

#[test]
fn short_texts_are_read_up_to_64_kib() {
    let (v, client) = vault_with_client();
    // A profile on standard input.
    for len in [TEXT_LIMIT, TEXT_LIMIT - rand::thread_rng().gen_range(1..64)] {
        let r = run(
            &v,
            &["client", "add"],
            &[],
            Feed::Bytes(padded("name: Ben Example", len)),
        );
        assert_accepted(&format!("client add, profile of {len} bytes"), &r);
    }
    for len in [
        TEXT_LIMIT + 1,
        TEXT_LIMIT + 2 + rand::thread_rng().gen_range(0..64),
    ] {
        let r = run(
            &v,
            &["client", "add"],
            &[],
            Feed::Bytes(padded("name: Cleo Example", len)),
        );
        assert_refused(
            &format!("client add, profile of {len} bytes"),
            &r,
            "profile",
            "64 KiB",
        );
    }
    let r = run(&v, &["client", "add"], &[], Feed::Endless);
    assert_refused("client add, endless profile", &r, "profile", "64 KiB");
    let clients = v.json(&["client", "list"]);
    assert_eq!(clients.as_array().map(Vec::len), Some(3), "{clients}");

    // A justification and a reference, from a file and from standard input.
    let dry_run = |flag: &str, file: &str, feed: Feed| {
        run(
            &v,
            &[
                "disclose",
                "--client",
                &client,
                "--to",
                "County Court",
                "--purpose",
                "legal",
                "--categories",
                "progress",
                "--exception",
                "court-order",
                "--justification-file",
                if flag == "--justification-file" {
                    file
                } else {
                    "/dev/null"
                },
                "--reference-file",
                if flag == "--reference-file" {
                    file
                } else {
                    "/dev/null"
                },
                "--dry-run",
            ],
            &[],
            feed,
        )
    };
    for (flag, noun) in [
        ("--justification-file", "justification"),
        ("--reference-file", "reference"),
    ] {
        let under = write(&v, "text.txt", &padded("Order 2026-123", TEXT_LIMIT));
        let r = dry_run(flag, &under, Feed::Nothing);
        report(&format!("{flag}, {TEXT_LIMIT} bytes"), &r);
        assert!(!r.stderr.contains("larger than"), "{}", r.stderr);
        let over = write(&v, "text.txt", &padded("Order 2026-123", TEXT_LIMIT + 1));
        assert_refused(
            &format!("{flag}, over"),
            &dry_run(flag, &over, Feed::Nothing),
            noun,
            "64 KiB",
        );
        assert_refused(
            &format!("{flag} /dev/zero"),
            &dry_run(flag, "/dev/zero", Feed::Nothing),
            noun,
            "64 KiB",
        );
        assert_refused(
            &format!("{flag} - (endless)"),
            &dry_run(flag, "-", Feed::Endless),
            noun,
            "64 KiB",
        );
    }
    // The search query on standard input.
    let r = run(&v, &["search"], &[], Feed::Endless);
    assert_refused("search, endless query", &r, "search query", "64 KiB");
}

#[test]
fn an_endless_answer_at_the_terminal_is_refused() {
    let on_path = |tool: &str| {
        std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
    };
    if !on_path("script") {
        eprintln!("note: skipped: `script` (bsdutils) is not on PATH to give casevault a terminal");
        return;
    }
    let (v, _) = TestVault::init();
    // `yes | script -c 'casevault client add'`: a name, then a date of birth that is
    // never a date, for ever. (One endless line needs no test: a terminal holds at most
    // 4 KiB of a line being typed and drops the rest until Enter.)
    for (what, chunk) in [("endless lines", b"y\n".repeat(32 * KIB))] {
        let line = format!(
            "prlimit --as={ADDRESS_SPACE} -- {} client add",
            env!("CARGO_BIN_EXE_casevault")
        );
        let mut child = Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", v.dir.path())
            .env("USER", "dr-test")
            .env("CASEVAULT_VAULT", &v.path)
            .env("CASEVAULT_PASSPHRASE", PASSPHRASE)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script");
        let mut stdin = child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || while stdin.write_all(&chunk).is_ok() {});
        // Drained as it comes: the terminal echoes what is typed, more than a pipe holds.
        let mut stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            let _ = std::io::Read::read_to_end(&mut stdout, &mut all);
            // The end holds the error.
            String::from_utf8_lossy(&all[all.len().saturating_sub(4096)..]).into_owned()
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{what}: casevault client add at a terminal did not end within two minutes");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let out = reader.join().expect("the output");
        drop(writer);
        // `script -e` passes casevault's exit code on; under load `script` itself is
        // sometimes ended by a signal while the endless writer still types into it
        // after casevault has refused and exited. The refusal printed below is then
        // what shows casevault's behaviour.
        use std::os::unix::process::ExitStatusExt;
        assert!(
            status.code() == Some(1) || status.signal().is_some(),
            "{what}: {status:?} {}",
            &out[out.len().saturating_sub(400)..]
        );
        assert!(
            out.contains("longer than 64 KiB"),
            "{what}: {}",
            &out[out.len().saturating_sub(400)..]
        );
    }
    let clients = v.json(&["client", "list"]);
    assert_eq!(clients.as_array().map(Vec::len), Some(0), "{clients}");
}
