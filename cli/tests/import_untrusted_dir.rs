//! `casevault note import` given a directory someone else may have filled: only
//! regular files inside it are read, at most 8 MiB of each, and every other entry
//! named like a note file is listed with the reason, never silently dropped.
//!
//! The directories are generated: symbolic links (to a file outside, to
//! `/proc/self/environ`, dangling, to a directory, to a note of the same directory),
//! FIFOs, a Unix socket, a device where the test may make one, subdirectories named
//! `*.md`, sparse files far over the limit, mixed with ordinary notes under random
//! names and canaries. Each test owns its temporary directory; canaries are random.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{TestVault, random_token};
use serde_json::Value;

/// The most a note holds, in bytes (`MAX_NOTE_BYTES`).
const LIMIT: u64 = 8 * 1024 * 1024;

/// The environment variable whose value a link to `/proc/self/environ` would bring in.
const ENV_CANARY: &str = "CASEVAULT_TEST_ENV_CANARY";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn counts(imported: usize, already: usize, failed: usize, skipped: usize) -> String {
    format!(
        "imported {imported} note(s); {already} already imported earlier; {failed} failed; {skipped} skipped"
    )
}

/// What an entry of a generated directory is, and so what import must do with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Note,
    LinkOutside,
    LinkEnviron,
    LinkDangling,
    LinkDirectory,
    LinkInside,
    Fifo,
    Socket,
    Directory,
    Sparse,
    /// A character device (`/dev/null`'s numbers); made only where the test may.
    Device,
}

const KINDS: [Kind; 10] = [
    Kind::Note,
    Kind::LinkOutside,
    Kind::LinkEnviron,
    Kind::LinkDangling,
    Kind::LinkDirectory,
    Kind::LinkInside,
    Kind::Fifo,
    Kind::Socket,
    Kind::Directory,
    Kind::Sparse,
];

impl Kind {
    /// The `reason` of the entry in `--json`, or `None` when it is imported.
    fn reason(self) -> Option<&'static str> {
        Some(match self {
            Kind::Note => return None,
            Kind::LinkOutside
            | Kind::LinkEnviron
            | Kind::LinkDangling
            | Kind::LinkDirectory
            | Kind::LinkInside => "symbolic-link",
            Kind::Fifo => "fifo",
            Kind::Socket => "socket",
            Kind::Directory => "directory",
            Kind::Sparse => "too-large",
            Kind::Device => "device",
        })
    }

    /// The start of the reason printed after `SKIPPED name: `.
    fn printed(self) -> &'static str {
        match self.reason() {
            None => unreachable!("a note is imported"),
            Some("symbolic-link") => "it is a symbolic link, and import reads only regular files",
            Some("fifo") => "it is a named pipe (FIFO), and import reads only regular files",
            Some("socket") => "it is a socket, and import reads only regular files",
            Some("directory") => "it is a directory; import reads no subdirectory",
            Some("too-large") => "it is over 8 MiB, the most a note holds",
            Some("device") => "it is a device, and import reads only regular files",
            Some(other) => unreachable!("{other}"),
        }
    }
}

/// A small deterministic generator (xorshift), seeded from the system's generator and
/// printed, so a failing directory can be made again.
struct Gen(u64);

impl Gen {
    fn new() -> Self {
        let seed = u64::from_str_radix(&random_token(), 16).unwrap() | 1;
        eprintln!("generator seed {seed:#x}");
        Gen(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A test vault with one client, a source directory, and a place outside it holding
/// a file and a directory with a canary.
struct Setup {
    vault: TestVault,
    client: String,
    source: PathBuf,
    outside_file: PathBuf,
    outside_dir: PathBuf,
    outside_canary: String,
    env_canary: String,
}

fn setup() -> Setup {
    let (vault, _) = TestVault::init();
    let client = vault.add_client("Imported Client", &[]);
    let source = vault.dir.path().join("source");
    std::fs::create_dir(&source).unwrap();
    let outside_canary = random_token();
    let outside_dir = vault.dir.path().join("elsewhere");
    std::fs::create_dir(&outside_dir).unwrap();
    let outside_file = outside_dir.join("2026-01-01-secret.md");
    std::fs::write(
        &outside_file,
        format!("Someone else's note {outside_canary}.\n"),
    )
    .unwrap();
    std::fs::write(
        outside_dir.join("2026-01-02-inner.md"),
        format!("Inner {outside_canary}.\n"),
    )
    .unwrap();
    Setup {
        vault,
        client,
        source,
        outside_file,
        outside_dir,
        outside_canary,
        env_canary: random_token(),
    }
}

impl Setup {
    /// `note import` of the source directory, with the environment canary set.
    fn import(&self, json: bool) -> Output {
        let mut cmd = self.vault.cmd();
        cmd.env(ENV_CANARY, &self.env_canary).args([
            "note",
            "import",
            "--client",
            &self.client,
            self.source.to_str().unwrap(),
        ]);
        if json {
            cmd.arg("--json");
        }
        cmd.output().unwrap()
    }

    /// Every note of the client, as `note list --json` gives them (bodies included).
    fn notes(&self) -> Vec<Value> {
        self.vault
            .json(&["note", "list", "--client", &self.client])
            .as_array()
            .unwrap()
            .clone()
    }

    /// Asserts that nothing from outside the source directory is in any note.
    fn assert_no_outside_text(&self) {
        let all = serde_json::to_string(&self.notes()).unwrap();
        for canary in [
            self.outside_canary.as_str(),
            self.env_canary.as_str(),
            "CASEVAULT_PASSPHRASE",
            common::PASSPHRASE,
        ] {
            assert!(
                !all.contains(canary),
                "{canary} from outside the directory is in a note"
            );
        }
    }
}

/// Makes the entry `name` of kind `kind` in `dir`; returns the body of a note.
fn make(s: &Setup, name: &str, kind: Kind, inside_note: &str) -> Option<String> {
    let path = s.source.join(name);
    match kind {
        Kind::Note => {
            let body = format!("Session notes {}.\n", random_token());
            std::fs::write(&path, &body).unwrap();
            return Some(body);
        }
        Kind::LinkOutside => symlink(&s.outside_file, &path).unwrap(),
        Kind::LinkEnviron => symlink("/proc/self/environ", &path).unwrap(),
        Kind::LinkDangling => symlink(s.source.join("gone-missing.md"), &path).unwrap(),
        Kind::LinkDirectory => symlink(&s.outside_dir, &path).unwrap(),
        Kind::LinkInside => symlink(inside_note, &path).unwrap(),
        Kind::Fifo => rustix::fs::mknodat(
            rustix::fs::CWD,
            &path,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap(),
        // The socket file stays when the listener is dropped.
        Kind::Socket => drop(UnixListener::bind(&path).unwrap()),
        Kind::Directory => {
            std::fs::create_dir(&path).unwrap();
            std::fs::write(path.join("2026-01-03-nested.md"), "Nested.\n").unwrap();
        }
        Kind::Sparse => {
            let f = std::fs::File::create(&path).unwrap();
            f.set_len(LIMIT + 1 + (1 << 30)).unwrap();
        }
        Kind::Device => mknod_null(&path).unwrap(),
    }
    None
}

/// Makes a character device with `/dev/null`'s numbers at `path`.
fn mknod_null(path: &Path) -> rustix::io::Result<()> {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::CharacterDevice,
        rustix::fs::Mode::from_raw_mode(0o600),
        rustix::fs::makedev(1, 3),
    )
}

/// Whether this test may make device nodes (root, outside a restricted container).
fn can_make_devices(dir: &Path) -> bool {
    let probe = dir.join("device-probe");
    let made = mknod_null(&probe).is_ok();
    let _ = std::fs::remove_file(&probe);
    made
}

/// The `SKIPPED` lines of an import's output, by file name.
fn skipped_lines(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  SKIPPED "))
        .map(|l| {
            let (name, reason) = l.split_once(": ").unwrap();
            (name.to_owned(), reason.to_owned())
        })
        .collect()
}

#[test]
fn generated_directories_import_only_regular_files_inside_and_list_every_other_entry() {
    let mut g = Gen::new();
    for round in 0..4 {
        let s = setup();
        // One note the links inside point to, then entries of random kinds; every
        // kind appears at least once in each directory.
        let anchor = "2026-02-01-anchor.md";
        let mut expected: BTreeMap<String, Kind> = BTreeMap::new();
        let mut bodies = BTreeMap::new();
        bodies.insert(
            anchor.to_owned(),
            make(&s, anchor, Kind::Note, anchor).unwrap(),
        );
        expected.insert(anchor.to_owned(), Kind::Note);
        let mut pool: Vec<Kind> = KINDS.to_vec();
        if can_make_devices(s.vault.dir.path()) {
            pool.push(Kind::Device);
        } else if round == 0 {
            eprintln!("no device nodes here: devices are not part of these directories");
        }
        let mut kinds = pool.clone();
        kinds.extend((0..6 + g.below(8)).map(|_| pool[g.below(pool.len())]));
        for (i, kind) in kinds.into_iter().enumerate() {
            let day = 1 + i % 28;
            // Some names carry a control character, which must reach the terminal
            // escaped.
            let name = match g.below(4) {
                0 => format!("2026-03-{day:02}-r{round}-{i}-\u{1b}[2J.md"),
                1 => format!("2026-03-{day:02}-r{round}-{i}.markdown"),
                _ => format!("2026-03-{day:02}-r{round}-{i}.md"),
            };
            if let Some(body) = make(&s, &name, kind, anchor) {
                bodies.insert(name.clone(), body);
            }
            expected.insert(name, kind);
        }
        let skipped: BTreeMap<&String, Kind> = expected
            .iter()
            .filter(|(_, k)| k.reason().is_some())
            .map(|(n, k)| (n, *k))
            .collect();

        let out = s.import(false);
        // Skipped entries make the command fail after importing the rest.
        assert_eq!(out.status.code(), Some(1), "{}", show(&out));
        let stdout = text(&out.stdout);
        assert_eq!(
            stdout.lines().next(),
            Some(counts(bodies.len(), 0, 0, skipped.len()).as_str()),
            "{}",
            show(&out)
        );
        assert!(
            !stdout.contains('\u{1b}'),
            "a control character reached the terminal: {stdout:?}"
        );
        let printed = skipped_lines(&stdout);
        assert_eq!(printed.len(), skipped.len(), "{stdout}");
        for (name, kind) in &skipped {
            let shown = name.replace('\u{1b}', "\\u{1b}");
            let reason = printed
                .get(&shown)
                .unwrap_or_else(|| panic!("{shown} ({kind:?}) is not listed:\n{stdout}"));
            assert!(
                reason.starts_with(kind.printed()),
                "{shown} ({kind:?}): {reason}"
            );
        }
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "error: {} file(s) could not be imported (listed above); the others were",
                skipped.len()
            )),
            "{stderr}"
        );
        assert!(
            stderr.contains("import reads only regular files of at most 8 MiB"),
            "{stderr}"
        );

        // Exactly the regular files were imported, each with its own text.
        let notes = s.notes();
        let imported: BTreeMap<String, String> = notes
            .iter()
            .map(|n| {
                (
                    n["source"]["file"].as_str().unwrap().to_owned(),
                    n["body"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(imported, bodies);
        s.assert_no_outside_text();

        // Again with --json: nothing new, the same entries listed with typed reasons.
        let out = s.import(true);
        assert_eq!(out.status.code(), Some(1), "{}", show(&out));
        let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
        assert_eq!(report["imported"].as_array().unwrap().len(), 0);
        assert_eq!(
            report["already_imported"].as_array().unwrap().len(),
            bodies.len()
        );
        let listed: BTreeMap<String, Value> = report["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["file"].as_str().unwrap().to_owned(), e.clone()))
            .collect();
        assert_eq!(listed.len(), skipped.len(), "{report}");
        for (name, kind) in &skipped {
            let entry = &listed[name.as_str()];
            assert_eq!(entry["reason"], kind.reason().unwrap(), "{entry}");
            if *kind == Kind::Sparse {
                assert_eq!(entry["limit_bytes"], LIMIT, "{entry}");
            }
        }
        s.assert_no_outside_text();
    }
}

#[test]
fn a_note_of_exactly_8_mib_imports_and_one_byte_more_is_listed_as_too_large() {
    let s = setup();
    let line = "Talked about the week, sleep, and the plan for next time.\n";
    let mut at_limit = line.repeat(LIMIT as usize / line.len());
    at_limit.push_str(&"x".repeat(LIMIT as usize - at_limit.len()));
    assert_eq!(at_limit.len() as u64, LIMIT);
    std::fs::write(s.source.join("2026-04-01-at-limit.md"), &at_limit).unwrap();
    let mut over = at_limit.clone();
    over.push('y');
    std::fs::write(s.source.join("2026-04-02-one-over.md"), &over).unwrap();
    // Front matter counts too: the file is what is limited.
    let mut front = String::from("---\ndate: 2026-04-03\n---\n");
    front.push_str(&at_limit[front.len()..]);
    front.push('z');
    std::fs::write(s.source.join("front-over.md"), &front).unwrap();

    let out = s.import(false);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().next(), Some(counts(1, 0, 0, 2).as_str()));
    let printed = skipped_lines(&stdout);
    for name in ["2026-04-02-one-over.md", "front-over.md"] {
        assert!(
            printed[name].starts_with("it is over 8 MiB, the most a note holds"),
            "{stdout}"
        );
    }
    let notes = s.notes();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["source"]["file"], "2026-04-01-at-limit.md");
    assert_eq!(notes[0]["body"].as_str().unwrap().len() as u64, LIMIT);
}

/// Peak resident memory of a finished child, in KiB, from `/usr/bin/time -v` output.
fn max_rss_kib(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn a_gigabyte_sparse_file_and_many_7_mib_notes_import_under_a_memory_limit() {
    const AS_LIMIT: u64 = 1024 * 1024 * 1024;
    let prlimit = Path::new("/usr/bin/prlimit");
    assert!(prlimit.exists(), "this test needs prlimit (util-linux)");
    let s = setup();
    let sparse = std::fs::File::create(s.source.join("2026-05-01-huge.md")).unwrap();
    sparse.set_len(1 << 30).unwrap();
    let notes = 12;
    let line = "A long session, written out in full.\n";
    let body = line.repeat(7 * 1024 * 1024 / line.len());
    for i in 0..notes {
        std::fs::write(
            s.source.join(format!("2026-05-{:02}-long.md", i + 2)),
            format!("{body}{}\n", random_token()),
        )
        .unwrap();
    }

    // The binary under an address-space limit a 1 GiB read cannot fit in; with
    // /usr/bin/time around it when there is one, to report the peak.
    let time = Path::new("/usr/bin/time");
    let mut cmd = std::process::Command::new(if time.exists() { time } else { prlimit });
    if time.exists() {
        cmd.arg("-v").arg(prlimit);
    }
    let out = cmd
        .arg(format!("--as={AS_LIMIT}"))
        .arg(env!("CARGO_BIN_EXE_casevault"))
        .args(["note", "import", "--client", &s.client])
        .arg(&s.source)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", s.vault.dir.path())
        .env("TMPDIR", s.vault.dir.path())
        .env("USER", "dr-test")
        .env("CASEVAULT_VAULT", &s.vault.path)
        .env("CASEVAULT_PASSPHRASE", common::PASSPHRASE)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    // /usr/bin/time reports the child's status as its own.
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.lines().next(),
        Some(counts(notes, 0, 0, 1).as_str()),
        "{}",
        show(&out)
    );
    assert!(
        skipped_lines(&stdout)["2026-05-01-huge.md"].starts_with("it is over 8 MiB"),
        "{stdout}"
    );
    if let Some(kib) = max_rss_kib(&text(&out.stderr)) {
        eprintln!("peak resident memory: {} MiB", kib / 1024);
        // Measured near 300 MiB (unlocking alone takes about 80 MiB): a batch holds
        // at most 64 MiB of files, whatever their number and sizes.
        assert!(kib < 512 * 1024, "peak resident memory {kib} KiB");
    }
    assert_eq!(s.notes().len(), notes);
}

#[test]
fn the_directory_named_may_be_a_link_but_no_link_inside_it_is_followed() {
    let s = setup();
    std::fs::write(s.source.join("2026-06-01-real.md"), "A real note.\n").unwrap();
    make(&s, "2026-06-02-link.md", Kind::LinkOutside, "");
    // The user names the directory through a link: it is resolved once.
    let named = s.vault.dir.path().join("notes-link");
    symlink(&s.source, &named).unwrap();
    let out = s
        .vault
        .cmd()
        .args(["note", "import", "--client", &s.client])
        .arg(&named)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["imported"][0][0], "2026-06-01-real.md");
    assert_eq!(
        report["skipped"],
        serde_json::json!([{"file": "2026-06-02-link.md", "reason": "symbolic-link"}])
    );
    s.assert_no_outside_text();
}
