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

    /// Like [`TestVault::empty`], on a memory file system when there is one
    /// (`/dev/shm`), where a commit's fsync costs nothing: for tests that commit
    /// thousands of times.
    pub fn empty_fast() -> Self {
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            tempfile::tempdir_in(shm).expect("temporary directory in /dev/shm")
        } else {
            tempfile::tempdir().expect("temporary directory")
        };
        let path = dir.path().join("practice.casevault");
        TestVault { dir, path }
    }

    /// A new vault, created with `casevault init`; returns it and the recovery code.
    pub fn init() -> (Self, String) {
        Self::init_with_passphrase(PASSPHRASE)
    }

    /// Like [`TestVault::init`], with `passphrase` (use [`TestVault::cmd_with_passphrase`]
    /// to open it).
    pub fn init_with_passphrase(passphrase: &str) -> (Self, String) {
        let vault = Self::empty();
        let out = vault
            .cmd_with_passphrase(passphrase)
            .arg("init")
            .arg("--json")
            .assert()
            .success();
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
            // Times are shown in the local offset: UTC, whatever the machine's zone.
            .env("TZ", "UTC")
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

/// Files under a place other processes share (`/dev/shm`, `/tmp`) that hold `needle`.
/// Files and directories appear and vanish there while it is scanned: whatever cannot
/// be listed or read any more is skipped, and symbolic links are not followed. Look
/// only for a needle of this test's own ([`random_token`]), never for a common word.
pub fn shared_files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file()
                && std::fs::metadata(&path).is_ok_and(|m| m.len() <= 64 << 20)
                && std::fs::read(&path).is_ok_and(|bytes| contains(&bytes, needle))
            {
                found.push(path);
            }
        }
    }
    found
}

/// Sixteen random hexadecimal digits from the system's generator: a canary or a
/// passphrase that no other test, run or program on the machine uses.
pub fn random_token() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("read /dev/urandom");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

    /// Runs `casevault ARGS` (any exit status): its exit code, and what it printed on
    /// standard output then standard error.
    pub fn exit_and_text(&self, args: &[&str]) -> (Option<i32>, String) {
        let out = self.output(args);
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
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
            // Times are shown in the local offset: UTC, whatever the machine's zone.
            .env("TZ", "UTC")
            .env("CASEVAULT_VAULT", &self.path)
            .env("CASEVAULT_PASSPHRASE", PASSPHRASE)
            .stdin(std::process::Stdio::null());
        cmd
    }

    /// The rollback journal SQLite keeps beside the vault while a transaction writes;
    /// one left behind by a killed process is "hot" and rolled back at the next open.
    pub fn journal(&self) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push("-journal");
        PathBuf::from(name)
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

/// An age X25519 key pair: exports are encrypted to `public` and opened with `identity`.
pub struct RecipientKey {
    pub identity: age::x25519::Identity,
    pub public: String,
}

impl RecipientKey {
    pub fn new() -> RecipientKey {
        let identity = age::x25519::Identity::generate();
        let public = identity.to_public().to_string();
        RecipientKey { identity, public }
    }

    /// Decrypts a whole export written to this key; a truncated or damaged file is an
    /// error (age authenticates every chunk and marks the last one).
    pub fn try_open(&self, sealed: &[u8]) -> Result<String, String> {
        use std::io::Read;
        let decryptor = age::Decryptor::new_buffered(sealed).map_err(|e| e.to_string())?;
        let mut reader = decryptor
            .decrypt(std::iter::once(&self.identity as &dyn age::Identity))
            .map_err(|e| e.to_string())?;
        let mut text = String::new();
        reader
            .read_to_string(&mut text)
            .map_err(|e| e.to_string())?;
        Ok(text)
    }

    /// Decrypts an export written to this key, expecting success.
    pub fn open(&self, file: &Path) -> String {
        let sealed = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        self.try_open(&sealed)
            .unwrap_or_else(|e| panic!("{} opens with the recipient's key: {e}", file.display()))
    }
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A `YYYY-MM-DD` date (test data, so a bad one is a bug in the test).
pub fn date(text: &str) -> casevault::Date {
    text.parse().expect("a valid test date")
}

/// A keyslot's bytes, read with SQLite.
pub fn keyslot(db: &rusqlite::Connection, name: &str) -> Vec<u8> {
    db.query_row(
        "SELECT keyslot FROM keyslots WHERE name = ?1",
        [name],
        |r| r.get(0),
    )
    .unwrap_or_else(|e| panic!("the {name} keyslot: {e}"))
}

/// What [`TestVault::realistic`] put in the vault, to aim at.
pub struct Workflow {
    /// The recovery code printed at `init`.
    pub recovery_code: String,
    /// Ada (two notes, a couples note with Ben, a consent), Ben, Cleo.
    pub clients: Vec<String>,
    /// Ada's signed and amended note (5 versions), Ada's draft, the couples note,
    /// Cleo's signed note.
    pub notes: Vec<String>,
    /// Ada's consent to Dr Smith, Ben's, and Cleo's revoked one (version 2).
    pub consents: Vec<String>,
}

impl TestVault {
    /// A vault with a few weeks of a practice in it, made through the library (one
    /// Argon2id for the two keyslots, not one per step): three clients with intake
    /// acknowledgements, notes with sections, edits, a signature and an addendum, a
    /// couples note, consents (one revoked), a dry run, a disclosure with its
    /// accounting, and reads of every kind. Every record kind and both keyslots are in
    /// it; `audit verify` finds it intact.
    pub fn realistic() -> (Self, Workflow) {
        Self::realistic_at(Self::empty())
    }

    /// [`TestVault::realistic`] in `vault`'s directory.
    pub fn realistic_at(vault: Self) -> (Self, Workflow) {
        use casevault::{
            ConsentRecipient, DisclosureRequest, ExportEncryption, ExportFormat, ExportOptions,
            KdfParams, NewClient, NewConsent, NewNote, NoteType, Relationship, Vault,
        };
        let passphrase = secrecy::SecretString::from(PASSPHRASE);
        let (mut s, code) =
            Vault::create(&vault.path, &passphrase, KdfParams::default(), "dr-test")
                .expect("create a vault");
        let client = |s: &mut casevault::Session, name: &str, dob: &str, third: &[&str]| {
            s.add_client(NewClient {
                name: name.into(),
                date_of_birth: Some(date(dob)),
                contact: Some(format!(
                    "{}@example.org",
                    name.to_lowercase().replace(' ', ".")
                )),
                third_parties: third.iter().map(|t| (*t).to_owned()).collect(),
                care: Default::default(),
            })
            .expect("add a client")
        };
        let ada = client(&mut s, "Ada Example", "1990-05-17", &["Ben Example"]);
        let ben = client(&mut s, "Ben Example", "1988-11-02", &["Ada Example"]);
        let cleo = client(&mut s, "Cleo Sample", "2001-01-30", &[]);
        for c in [&ada, &ben, &cleo] {
            s.record_intake(c, date("2026-01-05")).expect("intake");
        }
        let signed = s
            .add_note(NewNote::individual(
                &ada,
                date("2026-01-12"),
                "Arrived on time.\n## risk\nNo current risk.\n",
            ))
            .expect("a note");
        s.edit_note(
            &signed,
            "Arrived on time; slept badly.\n## risk\nNo current risk.\n## diagnosis\nF41.1\n",
        )
        .expect("edit");
        s.edit_note(
            &signed,
            "Arrived on time; slept badly.\n## risk\nNo current risk.\n## diagnosis\nF41.1\n## treatment-plan\nWeekly CBT.\n",
        )
        .expect("edit");
        s.sign_note(&signed).expect("sign");
        s.amend_note(&signed, "Addendum.\n## medication\nSertraline 50 mg.\n")
            .expect("amend");
        let draft = s
            .add_note(NewNote::individual(
                &ada,
                date("2026-01-19"),
                "Talked about work.\n## third-party\nBen Example was mentioned.\n",
            ))
            .expect("a note");
        let couples = s
            .add_note(NewNote {
                clients: vec![ada.clone(), ben.clone()],
                date: date("2026-01-26"),
                note_type: Some(NoteType::Couples),
                body: "Joint session.\n## progress\nBetter communication.\n".into(),
            })
            .expect("a couples note");
        let cleo_note = s
            .add_note(NewNote::individual(
                &cleo,
                date("2026-01-14"),
                "First session.\n## psychotherapy-notes\nProcess impressions.\n## substance-use\nNone.\n",
            ))
            .expect("a note");
        s.sign_note(&cleo_note).expect("sign");
        let consent =
            |s: &mut casevault::Session, c: &str, to: &str, purpose: &str, cats: &[&str]| {
                s.add_consent(NewConsent {
                    client: c.into(),
                    recipient: ConsentRecipient {
                        name: to.into(),
                        organization: None,
                        public_key: None,
                    },
                    purposes: vec![purpose.into()],
                    categories: cats.iter().map(|t| (*t).to_owned()).collect(),
                    excluded: Vec::new(),
                    effective: date("2026-01-01"),
                    expires: date("2099-12-31"),
                    signed_by: String::new(),
                    relationship: Relationship::Client,
                    tpo: None,
                })
                .expect("a consent")
                .0
            };
        let ada_consent = consent(
            &mut s,
            &ada,
            "Dr Smith",
            "treatment",
            &["progress", "diagnosis"],
        );
        let ben_consent = consent(&mut s, &ben, "Dr Smith", "treatment", &["progress"]);
        let cleo_consent = consent(&mut s, &cleo, "Insurer", "payment", &["attendance"]);
        s.revoke_consent(&cleo_consent, date("2026-02-01"), false)
            .expect("revoke");
        let request = DisclosureRequest {
            client: ada.clone(),
            recipient: "Dr Smith".into(),
            purpose: "treatment".into(),
            categories: vec!["progress".into(), "diagnosis".into()],
            consent: None,
            exception: None,
            from: None,
            until: None,
            recipient_kind: None,
        };
        s.decide_disclosure(&request, date("2026-02-10"), true)
            .expect("a dry run");
        s.disclose(
            &request,
            date("2026-02-10"),
            &ExportOptions {
                format: ExportFormat::Markdown,
                encryption: ExportEncryption::Plaintext,
                out: vault.dir.path().join("export-dr-smith.md"),
            },
        )
        .expect("a disclosure");
        s.list_clients().expect("list");
        s.note(&signed).expect("show");
        s.notes_for_client(&ada).expect("list notes");
        s.search("slept", None).expect("search");
        s.client_details(&ada).expect("client show");
        s.accounting(&ada).expect("accounting");
        s.audit_log().expect("audit log");
        assert!(
            s.verify_audit(None).expect("verify").is_intact(),
            "the workflow's vault verifies"
        );
        drop(s);
        let workflow = Workflow {
            recovery_code: code.expose().to_owned(),
            clients: vec![ada.into(), ben.into(), cleo.into()],
            notes: vec![
                signed.into(),
                draft.into(),
                couples.into(),
                cleo_note.into(),
            ],
            consents: vec![ada_consent.into(), ben_consent.into(), cleo_consent.into()],
        };
        (vault, workflow)
    }

    /// Hex SHA-256 of the vault file's bytes.
    pub fn digest(&self) -> String {
        sha256_hex(&std::fs::read(&self.path).expect("read the vault file"))
    }
}
