//! Shared helpers for the CLI tests: a throwaway vault in a temporary directory and a
//! `casevault` command preconfigured to use it.

#![allow(dead_code)]

use std::cell::Cell;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use casevault_pgtest::PgServer;

pub const PASSPHRASE: &str = "correct horse battery staple";

/// Where a test's vaults live: a vault file, or a database on a PostgreSQL server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

thread_local! {
    /// The backend of the test running on this thread (libtest runs each test on a
    /// thread of its own); set by [`run_on`], SQLite otherwise.
    static BACKEND: Cell<Backend> = const { Cell::new(Backend::Sqlite) };
}

/// The backend of the test running on this thread.
pub fn backend() -> Backend {
    BACKEND.with(Cell::get)
}

/// Runs `test` with its vaults on `backend`. On PostgreSQL, the test process's shared
/// server is started on first use; without PostgreSQL's programs the test skips after
/// the harness's note (or fails, with `CASEVAULT_REQUIRE_POSTGRES=1`).
pub fn run_on(backend: Backend, test: fn()) {
    if backend == Backend::Postgres && PgServer::shared().is_none() {
        return;
    }
    /// Puts the previous backend back, even when the test panics.
    struct Restore(Backend);
    impl Drop for Restore {
        fn drop(&mut self) {
            BACKEND.with(|b| b.set(self.0));
        }
    }
    let _restore = Restore(BACKEND.with(|b| b.replace(backend)));
    test();
}

/// For each plain `fn NAME()` listed (no `#[test]` on it), two tests: `sqlite::NAME`
/// and `postgres::NAME`, running the same body on a vault file and on a database of the
/// test process's PostgreSQL server. A test that touches the vault file itself is not
/// listed, and stays a plain `#[test]`.
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    $crate::common::run_on($crate::common::Backend::Sqlite, super::$name);
                }
            )+
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    $crate::common::run_on($crate::common::Backend::Postgres, super::$name);
                }
            )+
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_backends;

/// A temporary directory (the user's home) and one vault: a file in that directory, or,
/// on PostgreSQL, a database of its own on the shared server.
pub struct TestVault {
    pub dir: tempfile::TempDir,
    /// The vault file's path (on PostgreSQL, a path where no file is made).
    pub path: PathBuf,
    /// What `CASEVAULT_VAULT` says: the path, or the server database's URL.
    pub location: OsString,
    /// The server and the database on it, on PostgreSQL.
    pub database: Option<(&'static PgServer, String)>,
    /// The user's data directory (`XDG_DATA_HOME`), where the machine keeps its pins
    /// of a server vault's trail: apart from `dir`, which tests list.
    pub data: tempfile::TempDir,
}

/// A data directory of its own for a test vault's user.
fn data_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary data directory")
}

impl TestVault {
    /// A directory with no vault in it yet; on PostgreSQL, a new empty database.
    pub fn empty() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        Self::in_dir(dir)
    }

    /// A vault of this thread's backend, with `dir` as its home.
    fn in_dir(dir: tempfile::TempDir) -> Self {
        let path = dir.path().join("practice.casevault");
        match backend() {
            Backend::Sqlite => TestVault {
                location: path.clone().into_os_string(),
                dir,
                path,
                database: None,
                data: data_dir(),
            },
            Backend::Postgres => Self::on_server(dir, shared_server()),
        }
    }

    /// A new empty database on `server`, and `dir` as the home of the user running
    /// casevault.
    pub fn on_server(dir: tempfile::TempDir, server: &'static PgServer) -> Self {
        let path = dir.path().join("practice.casevault");
        let db = server.create_database();
        TestVault {
            location: server.url(&db).into(),
            dir,
            path,
            database: Some((server, db)),
            data: data_dir(),
        }
    }

    /// A vault file in a new temporary directory, whatever this thread's backend.
    pub fn file() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("practice.casevault");
        Self::file_at(dir, path)
    }

    /// The vault file `path`, with `dir` as the home of the user running casevault.
    pub fn file_at(dir: tempfile::TempDir, path: PathBuf) -> Self {
        TestVault {
            location: path.clone().into_os_string(),
            dir,
            path,
            database: None,
            data: data_dir(),
        }
    }

    /// The backend this vault is on.
    pub fn backend(&self) -> Backend {
        if self.database.is_some() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// The vault's location for the library.
    pub fn vault_location(&self) -> casevault::Location {
        casevault::Location::parse(&self.location).expect("a valid test location")
    }

    /// The location as the CLI prints it in messages.
    pub fn location_text(&self) -> String {
        self.vault_location().to_string()
    }

    /// The server and database, on PostgreSQL.
    pub fn server(&self) -> Option<(&'static PgServer, &str)> {
        self.database
            .as_ref()
            .map(|(server, db)| (*server, db.as_str()))
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
        Self::in_dir(dir)
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
            .env("XDG_DATA_HOME", self.data.path())
            .env("TMPDIR", self.dir.path())
            .env("USER", "dr-test")
            // Times are shown in the local offset: UTC, whatever the machine's zone.
            .env("TZ", "UTC")
            .env("CASEVAULT_VAULT", &self.location)
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

    /// Opens the vault file directly with SQLite (for tampering and inspection); a test
    /// that uses it runs on SQLite only (see [`TestVault::db`] for both backends).
    pub fn sqlite(&self) -> rusqlite::Connection {
        assert_eq!(
            self.backend(),
            Backend::Sqlite,
            "this test reads the vault file: list it for SQLite only"
        );
        rusqlite::Connection::open(&self.path).expect("open the vault with SQLite")
    }

    /// The vault's tables, with SQLite or with psql on the server (for tampering and
    /// inspection on both backends). On a server, each change forgets the machine's
    /// pins: a tamper test checks what the vault itself shows of a change (the chain,
    /// the head, the records), as a machine that had not seen the vault before would;
    /// what a pin adds is `server_pins.rs`'s.
    pub fn db(&self) -> TestDb {
        match self.server() {
            None => TestDb::Sqlite(
                rusqlite::Connection::open(&self.path).expect("open the vault with SQLite"),
            ),
            Some((server, db)) => TestDb::Postgres {
                server,
                db: db.to_owned(),
                pins: self.data.path().join("casevault").join("pins"),
            },
        }
    }
}

/// Runs `args` and checks the exit code is `code`: (standard output, standard error).
pub fn fails(v: &TestVault, args: &[&str], code: i32) -> (String, String) {
    let out = v.cmd().args(args).assert().code(code);
    let o = out.get_output();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
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
            .env("XDG_DATA_HOME", self.data.path())
            .env("TMPDIR", self.dir.path())
            .env("USER", "dr-test")
            // Times are shown in the local offset: UTC, whatever the machine's zone.
            .env("TZ", "UTC")
            .env("CASEVAULT_VAULT", &self.location)
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
        let (mut s, code) = Vault::create(
            vault.vault_location(),
            &passphrase,
            KdfParams::default(),
            "dr-test",
        )
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

    /// Hex SHA-256 of the vault file's bytes; on PostgreSQL, of the database's plain
    /// dump (every table's rows).
    pub fn digest(&self) -> String {
        match self.server() {
            None => sha256_hex(&std::fs::read(&self.path).expect("read the vault file")),
            Some((server, db)) => {
                // pg_dump's `\restrict` lines carry a random key of each dump.
                let dump = String::from_utf8_lossy(&server.dump_text(db)).into_owned();
                let rows: Vec<&str> = dump
                    .lines()
                    .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
                    .collect();
                sha256_hex(rows.join("\n").as_bytes())
            }
        }
    }
}

/// The shared PostgreSQL server of a test running on PostgreSQL (which [`run_on`]
/// made sure exists).
pub fn shared_server() -> &'static PgServer {
    PgServer::shared().expect("a test on PostgreSQL runs only when the server started")
}

/// A value for [`TestDb`]'s statements (`?1`, `?2`… in the SQL) and in its rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SqlValue {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl SqlValue {
    pub fn text(text: &str) -> SqlValue {
        SqlValue::Text(text.to_owned())
    }

    pub fn blob(bytes: &[u8]) -> SqlValue {
        SqlValue::Blob(bytes.to_vec())
    }

    /// The value as an integer (psql prints numbers as text).
    pub fn as_int(&self) -> i64 {
        match self {
            SqlValue::Int(n) => *n,
            SqlValue::Text(t) => t.parse().unwrap_or_else(|_| panic!("{t:?} is no integer")),
            other => panic!("{other:?} is no integer"),
        }
    }

    /// The value as bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            SqlValue::Blob(b) => b,
            SqlValue::Text(t) => t.into_bytes(),
            other => panic!("{other:?} holds no bytes"),
        }
    }

    /// An SQL literal of PostgreSQL's dialect.
    fn pg_literal(&self) -> String {
        match self {
            SqlValue::Null => "NULL".to_owned(),
            SqlValue::Int(n) => n.to_string(),
            SqlValue::Text(t) => format!("'{}'", t.replace('\'', "''")),
            SqlValue::Blob(b) => {
                let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                format!("'\\x{hex}'::bytea")
            }
        }
    }
}

impl From<&str> for SqlValue {
    fn from(text: &str) -> SqlValue {
        SqlValue::text(text)
    }
}

impl From<&String> for SqlValue {
    fn from(text: &String) -> SqlValue {
        SqlValue::text(text)
    }
}

impl From<&[u8]> for SqlValue {
    fn from(bytes: &[u8]) -> SqlValue {
        SqlValue::blob(bytes)
    }
}

impl From<&Vec<u8>> for SqlValue {
    fn from(bytes: &Vec<u8>) -> SqlValue {
        SqlValue::blob(bytes)
    }
}

impl From<i64> for SqlValue {
    fn from(n: i64) -> SqlValue {
        SqlValue::Int(n)
    }
}

/// A vault's tables opened from outside casevault, on either backend: SQL in the
/// dialect both share (tables meta, keyslots, records, audit, grants, failed_unlocks),
/// parameters as `?1`, `?2`… (inlined as literals on PostgreSQL, run with psql as the
/// superuser).
pub enum TestDb {
    Sqlite(rusqlite::Connection),
    Postgres {
        server: &'static PgServer,
        db: String,
        /// The machine's pins, forgotten at each change.
        pins: PathBuf,
    },
}

/// Field separator of psql's unaligned output: a byte no column of ours holds.
const PSQL_SEPARATOR: &str = "\u{1f}";

impl TestDb {
    /// `sql` with its `?N` parameters replaced by PostgreSQL literals.
    fn inline(sql: &str, params: &[SqlValue]) -> String {
        let mut sql = sql.to_owned();
        for (i, p) in params.iter().enumerate().rev() {
            sql = sql.replace(&format!("?{}", i + 1), &p.pg_literal());
        }
        sql
    }

    /// psql's standard output for `sql` (tuples only, unaligned); panics on failure.
    fn psql(server: &PgServer, db: &str, sql: &str, quiet: bool) -> String {
        let mut psql = server.command("psql");
        psql.args([
            "-X",
            "-w",
            "-v",
            "ON_ERROR_STOP=1",
            "-At",
            "-F",
            PSQL_SEPARATOR,
        ]);
        if quiet {
            psql.arg("-q");
        }
        psql.args(["-d", db, "-c", sql]);
        let out = psql.output().expect("run psql");
        assert!(
            out.status.success(),
            "psql {sql:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 from psql")
    }

    /// Runs a statement; returns the number of rows it changed.
    pub fn execute(&self, sql: &str, params: &[SqlValue]) -> usize {
        match self {
            TestDb::Sqlite(conn) => {
                let values: Vec<rusqlite::types::Value> = params.iter().map(to_sqlite).collect();
                conn.execute(sql, rusqlite::params_from_iter(values))
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
            TestDb::Postgres { server, db, pins } => {
                let _ = std::fs::remove_dir_all(pins);
                let out = Self::psql(server, db, &Self::inline(sql, params), false);
                // The command tag, as "UPDATE 1", "DELETE 0", "INSERT 0 1".
                let tag = out.lines().last().unwrap_or_default();
                tag.rsplit(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("{sql}: no command tag in {out:?}"))
            }
        }
    }

    /// Every row of a query. On PostgreSQL, numbers come back as text and `bytea` as
    /// bytes.
    pub fn rows(&self, sql: &str, params: &[SqlValue]) -> Vec<Vec<SqlValue>> {
        match self {
            TestDb::Sqlite(conn) => {
                let values: Vec<rusqlite::types::Value> = params.iter().map(to_sqlite).collect();
                let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                let columns = stmt.column_count();
                stmt.query_map(rusqlite::params_from_iter(values), |row| {
                    (0..columns)
                        .map(|i| {
                            Ok(match row.get::<_, rusqlite::types::Value>(i)? {
                                rusqlite::types::Value::Null => SqlValue::Null,
                                rusqlite::types::Value::Integer(n) => SqlValue::Int(n),
                                rusqlite::types::Value::Real(r) => SqlValue::Text(r.to_string()),
                                rusqlite::types::Value::Text(t) => SqlValue::Text(t),
                                rusqlite::types::Value::Blob(b) => SqlValue::Blob(b),
                            })
                        })
                        .collect()
                })
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
            TestDb::Postgres { server, db, .. } => {
                let out = Self::psql(server, db, &Self::inline(sql, params), true);
                out.lines()
                    .map(|line| {
                        line.split(PSQL_SEPARATOR)
                            .map(|cell| match cell.strip_prefix("\\x") {
                                Some(hex) => SqlValue::Blob(
                                    (0..hex.len())
                                        .step_by(2)
                                        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                                        .collect(),
                                ),
                                None => SqlValue::Text(cell.to_owned()),
                            })
                            .collect()
                    })
                    .collect()
            }
        }
    }

    /// The one value of a query that returns one row.
    pub fn value(&self, sql: &str, params: &[SqlValue]) -> SqlValue {
        let rows = self.rows(sql, params);
        let [row] = rows.as_slice() else {
            panic!("{sql}: {} rows, not one", rows.len());
        };
        row.first().cloned().expect("a column")
    }

    /// The integer a query returns (a count, a sequence number).
    pub fn int(&self, sql: &str, params: &[SqlValue]) -> i64 {
        self.value(sql, params).as_int()
    }

    /// The bytes a query returns (a ciphertext, a keyslot).
    pub fn bytes(&self, sql: &str, params: &[SqlValue]) -> Vec<u8> {
        self.value(sql, params).into_bytes()
    }
}

fn to_sqlite(value: &SqlValue) -> rusqlite::types::Value {
    match value {
        SqlValue::Null => rusqlite::types::Value::Null,
        SqlValue::Int(n) => rusqlite::types::Value::Integer(*n),
        SqlValue::Text(t) => rusqlite::types::Value::Text(t.clone()),
        SqlValue::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
    }
}
