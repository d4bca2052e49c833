//! Malformed input, through the CLI and the library: every row must fail with the
//! documented exit code (or error class), say what went wrong and what to do, never
//! panic, never print the passphrase, and leave the vault as the design says:
//!
//! - `Unchanged`: refused before anything is written (usage errors, input the CLI
//!   reads before unlocking, and the documented gap of input refused before the
//!   operation opens its transaction): the vault file's bytes are identical;
//! - `Audited`: the operation ran on the unlocked vault and failed; SECURITY.md says
//!   every operation, failures included, appends one event: records, keyslots and
//!   failed-unlock markers are unchanged, exactly one event is added, and its outcome
//!   is `failed: …`;
//! - `FailedUnlock`: a wrong secret; only a failed-unlock marker is added;
//! - `Decided`: a dry run the policy denies: one decision record and one event.
//!
//! "Identical bytes" allows one difference: SQLite's file change counter (header
//! bytes 24-27 and 92-95), which every unlock bumps because it opens a write
//! transaction even when it writes nothing.
//!
//! One table test runs every row and reports every failing row at once; rows that
//! need their own file system (read-only files and directories, a full disk) are
//! separate tests.

mod common;

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use casevault::{
    DEFAULT_POLICY, Date, Error, ErrorClass, KdfParams, NewClient, NewConsent, NewNote, Outcome,
    Policy, Session, Vault, parse_sections,
};
use common::{PASSPHRASE, TestVault, Workflow, sha256_hex};
use secrecy::SecretString;

const USAGE: i32 = 2;
const ERROR: i32 = 1;
const WRONG_SECRET: i32 = 3;
const INTEGRITY: i32 = 5;

/// What a failing row may do to the vault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effect {
    Unchanged,
    Audited,
    FailedUnlock,
    /// A request the policy denies (exit 4): a dry run stores its decision and one
    /// event, as SECURITY.md says of every dry run.
    Decided,
}

/// Standard input for a CLI row.
#[derive(Clone, Copy)]
enum Stdin {
    Empty,
    Text(&'static str),
    Bytes(&'static [u8]),
    /// 9 MiB of text: over the 8 MiB a note may hold.
    Huge,
}

/// A library row's failure: the error's class (`None` where it has none) and message.
type LibResult = Result<(), (Option<ErrorClass>, String)>;

/// How a row is run.
enum Via {
    /// `casevault ARGS` with the vault and passphrase of the table's vault; `{ada}`,
    /// `{signed}`, `{draft}`, `{consent}`, `{fixtures}` and `{badname}` are replaced.
    Cli {
        args: &'static [&'static str],
        stdin: Stdin,
        env: &'static [(&'static str, &'static str)],
        code: i32,
    },
    /// A library call; the error's class must be `class` (`None`: the call is not a
    /// vault operation and has no class, such as parsing a date).
    Lib {
        call: fn(&mut Ctx) -> LibResult,
        class: Option<ErrorClass>,
    },
}

struct Row {
    name: &'static str,
    via: Via,
    /// Words the error must contain (case-insensitive), with placeholders.
    words: &'static [&'static str],
    effect: Effect,
    /// Other files (placeholders) that must be unchanged.
    watch: &'static [&'static str],
    /// The CLI's error must end with a `hint:` line saying what to do; false where the
    /// message itself says it (its words are in `words`).
    hint_line: bool,
}

/// `row` whose message itself says what to do.
fn in_message(row: Row) -> Row {
    Row {
        hint_line: false,
        ..row
    }
}

/// What the rows run against.
struct Ctx {
    vault: TestVault,
    workflow: Workflow,
    fixtures: tempfile::TempDir,
    session: Option<Session>,
}

impl Ctx {
    fn session(&mut self) -> &mut Session {
        if self.session.is_none() {
            self.session = Some(
                Vault::open(&self.vault.path)
                    .unwrap()
                    .unlock(&SecretString::from(PASSPHRASE), "dr-test")
                    .unwrap(),
            );
        }
        self.session.as_mut().unwrap()
    }

    fn ada(&self) -> String {
        self.workflow.clients[0].clone()
    }

    fn expand(&self, text: &str) -> String {
        text.replace("{ada}", &self.workflow.clients[0])
            .replace("{signed}", &self.workflow.notes[0])
            .replace("{draft}", &self.workflow.notes[1])
            .replace("{consent}", &self.workflow.consents[0])
            .replace("{fixtures}", self.fixtures.path().to_str().unwrap())
    }

    fn expand_arg(&self, arg: &str) -> OsString {
        if arg == "{badname}" {
            // A file name that is not UTF-8 (and does not exist).
            let mut bytes = self.fixtures.path().as_os_str().as_bytes().to_vec();
            bytes.extend_from_slice(b"/caf\xe9-note.md");
            return OsStr::from_bytes(&bytes).to_owned();
        }
        OsString::from(self.expand(arg))
    }
}

/// What the vault holds, by table, to compare before and after a row.
#[derive(PartialEq, Eq, Debug)]
struct Snapshot {
    digest: String,
    records: Vec<(String, String, i64, String)>,
    keyslots: Vec<(String, String)>,
    audit: i64,
    last_seq: i64,
    failed_unlocks: i64,
}

fn snapshot(path: &Path) -> Snapshot {
    let db =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let records = db
        .prepare("SELECT kind, id, version, ciphertext FROM records ORDER BY kind, id, version")
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                sha256_hex(&r.get::<_, Vec<u8>>(3)?),
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let keyslots = db
        .prepare("SELECT name, keyslot FROM keyslots ORDER BY name")
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, sha256_hex(&r.get::<_, Vec<u8>>(1)?)))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    Snapshot {
        digest: {
            let mut bytes = std::fs::read(path).unwrap();
            if bytes.len() >= 28 {
                bytes[24..28].fill(0);
            }
            if bytes.len() >= 96 {
                bytes[92..96].fill(0);
            }
            sha256_hex(&bytes)
        },
        records,
        keyslots,
        audit: count("SELECT COUNT(*) FROM audit"),
        last_seq: count("SELECT COALESCE(MAX(seq), 0) FROM audit"),
        failed_unlocks: count("SELECT COUNT(*) FROM failed_unlocks"),
    }
}

fn file_digest(path: &Path) -> Option<String> {
    std::fs::read(path).ok().map(|b| sha256_hex(&b))
}

fn lib(e: Error) -> (Option<ErrorClass>, String) {
    (Some(e.class()), e.to_string())
}

fn plain(e: impl std::fmt::Display) -> (Option<ErrorClass>, String) {
    (None, e.to_string())
}

fn unexpected_ok<T: std::fmt::Debug>(r: Result<T, Error>) -> LibResult {
    match r {
        Ok(v) => Err((None, format!("UNEXPECTED SUCCESS: {v:?}"))),
        Err(e) => Err(lib(e)),
    }
}

/// Writes the files the rows point at.
fn fixtures(ctx: &Ctx) {
    let f = ctx.fixtures.path();
    let write = |name: &str, bytes: &[u8]| std::fs::write(f.join(name), bytes).unwrap();
    write("latin1.md", b"Caf\xe9 au lait.\n");
    write(
        "policy-syntax.toml",
        b"name = \"broken\"\ncategories = [\"identity\", \"risk\"\n",
    );
    write(
        "policy-unknown-category.toml",
        format!(
            "{DEFAULT_POLICY}\n[[exception]]\nkind = \"new-exception\"\nreleases = [\"banana\"]\ndescription = \"Made up.\"\n"
        )
        .as_bytes(),
    );
    write(
        "policy-wrong-type.toml",
        DEFAULT_POLICY
            .replacen("name = \"casevault default\"", "name = 42", 1)
            .as_bytes(),
    );
    write("policy-latin1.toml", b"name = \"Caf\xe9\"\n");
    write("not-a-vault.casevault", b"Just some text, not a vault.\n");
    write("empty.casevault", b"");
    let vault = std::fs::read(&ctx.vault.path).unwrap();
    write("truncated-100.casevault", &vault[..100]);
    write("truncated-4096.casevault", &vault[..4096]);
    write("existing-export.md", b"AN EXISTING FILE\n");
    write("existing-backup.casevault", b"AN EXISTING FILE\n");
    write("empty-passphrase.txt", b"");
    write("latin1-passphrase.txt", b"caf\xe9 caf\xe9 caf\xe9\n");
    let foreign = rusqlite::Connection::open(f.join("foreign.sqlite")).unwrap();
    foreign
        .execute_batch("CREATE TABLE songs (title TEXT); INSERT INTO songs VALUES ('la la');")
        .unwrap();
}

const TEXT: Stdin = Stdin::Text("Talked about work.\n");

fn rows() -> Vec<Row> {
    use Effect::*;
    let cli = |args, stdin, code| Via::Cli {
        args,
        stdin,
        env: &[],
        code,
    };
    let row = |name, via, words, effect| Row {
        name,
        via,
        words,
        effect,
        watch: &[],
        hint_line: true,
    };
    const ADD: &[&str] = &["note", "add", "--client", "{ada}", "--date", "2026-03-01"];
    vec![
        // Dates.
        row(
            "note add: 30 February",
            cli(
                &["note", "add", "--client", "{ada}", "--date", "2026-02-30"],
                TEXT,
                USAGE,
            ),
            &["2026-02-30", "YYYY-MM-DD"],
            Unchanged,
        ),
        row(
            "note add: two-digit year",
            cli(
                &["note", "add", "--client", "{ada}", "--date", "26-03-01"],
                TEXT,
                USAGE,
            ),
            &["26-03-01", "YYYY-MM-DD"],
            Unchanged,
        ),
        row(
            "note add: empty date",
            cli(
                &["note", "add", "--client", "{ada}", "--date", ""],
                TEXT,
                USAGE,
            ),
            &["YYYY-MM-DD"],
            Unchanged,
        ),
        row(
            "client add: month 13",
            cli(
                &["client", "add", "--name", "Zed Zero", "--dob", "2026-13-01"],
                Stdin::Empty,
                USAGE,
            ),
            &["2026-13-01", "YYYY-MM-DD"],
            Unchanged,
        ),
        row(
            "consent add: 29 February of a common year",
            cli(
                &[
                    "consent",
                    "add",
                    "--client",
                    "{ada}",
                    "--recipient",
                    "Dr Smith",
                    "--purpose",
                    "treatment",
                    "--allow",
                    "progress",
                    "--expires",
                    "2027-02-29",
                ],
                Stdin::Empty,
                USAGE,
            ),
            &["2027-02-29", "YYYY-MM-DD"],
            Unchanged,
        ),
        row(
            "intake: a date with slashes",
            cli(
                &[
                    "intake",
                    "--client",
                    "{ada}",
                    "--acknowledged-on",
                    "03/01/2026",
                ],
                Stdin::Empty,
                USAGE,
            ),
            &["03/01/2026", "YYYY-MM-DD"],
            Unchanged,
        ),
        row(
            "disclose: a date with a time",
            cli(
                &[
                    "disclose",
                    "--client",
                    "{ada}",
                    "--to",
                    "Dr Smith",
                    "--purpose",
                    "treatment",
                    "--categories",
                    "progress",
                    "--until",
                    "2026-03-01T10:00",
                    "--dry-run",
                ],
                Stdin::Empty,
                USAGE,
            ),
            &["2026-03-01T10:00", "YYYY-MM-DD"],
            Unchanged,
        ),
        // Identifiers.
        row(
            "client show: unknown id",
            cli(&["client", "show", "0badc0de"], Stdin::Empty, ERROR),
            &["no client 0badc0de", "casevault client list"],
            Audited,
        ),
        row(
            "client show: malformed id",
            cli(&["client", "show", "not an id!"], Stdin::Empty, ERROR),
            &["not an id!", "casevault client list"],
            Audited,
        ),
        row(
            "note show: a client's id",
            cli(&["note", "show", "{ada}"], Stdin::Empty, ERROR),
            &["no note {ada}", "note list"],
            Audited,
        ),
        row(
            "consent show: a note's id",
            cli(&["consent", "show", "{signed}"], Stdin::Empty, ERROR),
            &["no consent {signed}", "consent list"],
            Audited,
        ),
        row(
            "note add: a consent's id as the client",
            cli(
                &[
                    "note",
                    "add",
                    "--client",
                    "{consent}",
                    "--date",
                    "2026-03-01",
                ],
                TEXT,
                ERROR,
            ),
            &["no client {consent}", "client list"],
            Audited,
        ),
        row(
            "note show: a version that does not exist",
            cli(
                &["note", "show", "{signed}", "--version", "99"],
                Stdin::Empty,
                ERROR,
            ),
            &["{signed}", "99"],
            Audited,
        ),
        row(
            "note show: a negative version",
            cli(
                &["note", "show", "{signed}", "--version", "-1"],
                Stdin::Empty,
                USAGE,
            ),
            &["-1"],
            Unchanged,
        ),
        row(
            "accounting: unknown client",
            cli(&["accounting", "--client", "0badc0de"], Stdin::Empty, ERROR),
            &["no client 0badc0de"],
            Audited,
        ),
        row(
            "disclose: --consent naming a note",
            cli(
                &[
                    "disclose",
                    "--client",
                    "{ada}",
                    "--to",
                    "Dr Smith",
                    "--purpose",
                    "treatment",
                    "--categories",
                    "progress",
                    "--consent",
                    "{signed}",
                    "--dry-run",
                ],
                Stdin::Empty,
                ERROR,
            ),
            &["{signed}"],
            Audited,
        ),
        // Categories and purposes.
        in_message(row(
            "consent add: unknown category",
            cli(
                &[
                    "consent",
                    "add",
                    "--client",
                    "{ada}",
                    "--recipient",
                    "Dr Smith",
                    "--purpose",
                    "treatment",
                    "--allow",
                    "progress,banana",
                    "--expires",
                    "2027-01-01",
                ],
                Stdin::Empty,
                USAGE,
            ),
            &["\"banana\" is not a category", "use one of", "progress"],
            Audited,
        )),
        in_message(row(
            "consent add: unknown purpose",
            cli(
                &[
                    "consent",
                    "add",
                    "--client",
                    "{ada}",
                    "--recipient",
                    "Dr Smith",
                    "--purpose",
                    "marketing",
                    "--allow",
                    "progress",
                    "--expires",
                    "2027-01-01",
                ],
                Stdin::Empty,
                USAGE,
            ),
            &["\"marketing\" is not a purpose", "use one of", "treatment"],
            Audited,
        )),
        in_message(row(
            "disclose: unknown category",
            cli(
                &[
                    "disclose",
                    "--client",
                    "{ada}",
                    "--to",
                    "Dr Smith",
                    "--purpose",
                    "treatment",
                    "--categories",
                    "medications",
                    "--dry-run",
                ],
                Stdin::Empty,
                USAGE,
            ),
            &[
                "\"medications\" is not a category",
                "did you mean \"medication\"",
                "use one of",
            ],
            Audited,
        )),
        in_message(row(
            "disclose: unknown purpose",
            cli(
                &[
                    "disclose",
                    "--client",
                    "{ada}",
                    "--to",
                    "Dr Smith",
                    "--purpose",
                    "treatmnet",
                    "--categories",
                    "progress",
                    "--dry-run",
                ],
                Stdin::Empty,
                USAGE,
            ),
            &[
                "\"treatmnet\" is not a purpose",
                "did you mean \"treatment\"",
                "use one of",
            ],
            Audited,
        )),
        // Policy files.
        Row {
            watch: &["{fixtures}/policy-syntax.toml"],
            ..row(
                "policy set: TOML syntax error",
                cli(
                    &["policy", "set", "{fixtures}/policy-syntax.toml"],
                    Stdin::Empty,
                    ERROR,
                ),
                &["policy-syntax.toml", "line", "policy in force is unchanged"],
                Unchanged,
            )
        },
        row(
            "policy set: an exception releasing an unknown category",
            cli(
                &["policy", "set", "{fixtures}/policy-unknown-category.toml"],
                Stdin::Empty,
                ERROR,
            ),
            &["policy-unknown-category.toml", "line", "banana"],
            Unchanged,
        ),
        row(
            "policy set: a number where a string belongs",
            cli(
                &["policy", "set", "{fixtures}/policy-wrong-type.toml"],
                Stdin::Empty,
                ERROR,
            ),
            &["policy-wrong-type.toml", "line 5"],
            Unchanged,
        ),
        row(
            "policy set: missing file",
            cli(
                &["policy", "set", "{fixtures}/no-such-policy.toml"],
                Stdin::Empty,
                ERROR,
            ),
            &["cannot read the policy file", "no-such-policy.toml"],
            Unchanged,
        ),
        row(
            "policy set: not UTF-8",
            cli(
                &["policy", "set", "{fixtures}/policy-latin1.toml"],
                Stdin::Empty,
                ERROR,
            ),
            &["policy-latin1.toml", "UTF-8"],
            Unchanged,
        ),
        // Note markup (src/note.rs).
        row(
            "note add: a heading that is no category",
            cli(ADD, Stdin::Text("Talked.\n## Plan\nWeekly.\n"), ERROR),
            &["line 2", "Plan", "not a category"],
            Audited,
        ),
        row(
            "note add: a category heading at level 1",
            cli(ADD, Stdin::Text("Talked.\n# risk\nNone.\n"), ERROR),
            &["line 2", "## <category>"],
            Audited,
        ),
        row(
            "note add: a category heading at level 3",
            cli(
                ADD,
                Stdin::Text("Talked.\n### psychotherapy-notes\nImpressions.\n"),
                ERROR,
            ),
            &["line 2", "## <category>"],
            Audited,
        ),
        row(
            "note add: a category heading indented four spaces",
            cli(ADD, Stdin::Text("Talked.\n    ## risk\nNone.\n"), ERROR),
            &["line 2"],
            Audited,
        ),
        row(
            "note add: a category heading inside a code block",
            cli(ADD, Stdin::Text("Talked.\n```\n## risk\n```\n"), ERROR),
            &["line 3", "code block"],
            Audited,
        ),
        row(
            "note add: a code block never closed",
            cli(ADD, Stdin::Text("Talked.\n~~~\nmore\n"), ERROR),
            &["line 2", "never closed"],
            Audited,
        ),
        row(
            "note add: empty body",
            cli(ADD, Stdin::Empty, ERROR),
            &["empty"],
            Audited,
        ),
        row(
            "note add: only white space",
            cli(ADD, Stdin::Text(" \n\t\n"), ERROR),
            &["empty"],
            Audited,
        ),
        // Size limits: the command stops reading at the limit, before unlocking
        // (tests/input_bounds.rs tries every input at and around its limit).
        row(
            "note add: 9 MiB",
            cli(ADD, Stdin::Huge, ERROR),
            &[
                "the note in standard input",
                "larger than 8 MiB",
                "split the text",
            ],
            Unchanged,
        ),
        row(
            "note amend: a 9 MiB addendum",
            cli(&["note", "amend", "{signed}"], Stdin::Huge, ERROR),
            &[
                "the note in standard input",
                "larger than 8 MiB",
                "split the text",
            ],
            Unchanged,
        ),
        // Not UTF-8.
        row(
            "note add: standard input not UTF-8",
            cli(ADD, Stdin::Bytes(b"Caf\xe9 au lait.\n"), ERROR),
            &["UTF-8"],
            Unchanged,
        ),
        row(
            "note add: --file not UTF-8",
            cli(
                &[
                    "note",
                    "add",
                    "--client",
                    "{ada}",
                    "--date",
                    "2026-03-01",
                    "--file",
                    "{fixtures}/latin1.md",
                ],
                Stdin::Empty,
                ERROR,
            ),
            &["latin1.md", "UTF-8"],
            Unchanged,
        ),
        row(
            "note add: --file whose name is not UTF-8 (missing)",
            cli(
                &[
                    "note",
                    "add",
                    "--client",
                    "{ada}",
                    "--date",
                    "2026-03-01",
                    "--file",
                    "{badname}",
                ],
                Stdin::Empty,
                ERROR,
            ),
            &["cannot read", "-note.md", "check the path"],
            Unchanged,
        ),
        row(
            "note add: --file missing",
            cli(
                &[
                    "note",
                    "add",
                    "--client",
                    "{ada}",
                    "--date",
                    "2026-03-01",
                    "--file",
                    "{fixtures}/missing.md",
                ],
                Stdin::Empty,
                ERROR,
            ),
            &["cannot read", "missing.md", "check the path"],
            Unchanged,
        ),
        // The vault file.
        row(
            "--vault in a missing directory",
            cli(
                &[
                    "--vault",
                    "{fixtures}/nowhere/vault.casevault",
                    "client",
                    "list",
                ],
                Stdin::Empty,
                ERROR,
            ),
            &["no vault at", "nowhere", "casevault init"],
            Unchanged,
        ),
        Row {
            watch: &["{fixtures}/foreign.sqlite"],
            ..row(
                "--vault: another program's SQLite file",
                cli(
                    &["--vault", "{fixtures}/foreign.sqlite", "client", "list"],
                    Stdin::Empty,
                    ERROR,
                ),
                &["foreign.sqlite", "is not a casevault vault", "--vault"],
                Unchanged,
            )
        },
        Row {
            watch: &["{fixtures}/not-a-vault.casevault"],
            ..row(
                "--vault: a text file",
                cli(
                    &[
                        "--vault",
                        "{fixtures}/not-a-vault.casevault",
                        "client",
                        "list",
                    ],
                    Stdin::Empty,
                    ERROR,
                ),
                &[
                    "not-a-vault.casevault",
                    "is not a casevault vault",
                    "--vault",
                ],
                Unchanged,
            )
        },
        Row {
            watch: &["{fixtures}/empty.casevault"],
            ..row(
                "--vault: an empty file",
                cli(
                    &["--vault", "{fixtures}/empty.casevault", "client", "list"],
                    Stdin::Empty,
                    ERROR,
                ),
                &["empty.casevault", "is not a casevault vault"],
                Unchanged,
            )
        },
        Row {
            watch: &["{fixtures}/truncated-100.casevault"],
            ..row(
                "--vault: cut after 100 bytes",
                cli(
                    &[
                        "--vault",
                        "{fixtures}/truncated-100.casevault",
                        "client",
                        "list",
                    ],
                    Stdin::Empty,
                    INTEGRITY,
                ),
                &["truncated-100.casevault", "restore"],
                Unchanged,
            )
        },
        Row {
            watch: &["{fixtures}/truncated-4096.casevault"],
            ..row(
                "--vault: cut after its first page",
                cli(
                    &[
                        "--vault",
                        "{fixtures}/truncated-4096.casevault",
                        "client",
                        "list",
                    ],
                    Stdin::Empty,
                    INTEGRITY,
                ),
                &["damaged", "restore"],
                Unchanged,
            )
        },
        // Secrets.
        row(
            "an empty passphrase",
            Via::Cli {
                args: &["client", "list"],
                stdin: Stdin::Empty,
                env: &[("CASEVAULT_PASSPHRASE", "")],
                code: WRONG_SECRET,
            },
            &["wrong passphrase", "casevault recover"],
            FailedUnlock,
        ),
        row(
            "an empty passphrase file",
            cli(
                &[
                    "--passphrase-file",
                    "{fixtures}/empty-passphrase.txt",
                    "client",
                    "list",
                ],
                Stdin::Empty,
                WRONG_SECRET,
            ),
            &["wrong passphrase"],
            FailedUnlock,
        ),
        row(
            "a passphrase file that does not exist",
            cli(
                &[
                    "--passphrase-file",
                    "{fixtures}/no-such-passphrase.txt",
                    "client",
                    "list",
                ],
                Stdin::Empty,
                ERROR,
            ),
            &[
                "cannot read the passphrase file",
                "no-such-passphrase.txt",
                "check the path",
            ],
            Unchanged,
        ),
        row(
            "a passphrase file not UTF-8",
            cli(
                &[
                    "--passphrase-file",
                    "{fixtures}/latin1-passphrase.txt",
                    "client",
                    "list",
                ],
                Stdin::Empty,
                ERROR,
            ),
            &["latin1-passphrase.txt", "not UTF-8"],
            Unchanged,
        ),
        row(
            "init: an empty passphrase",
            Via::Cli {
                args: &["--vault", "{fixtures}/new/fresh.casevault", "init"],
                stdin: Stdin::Empty,
                env: &[("CASEVAULT_PASSPHRASE", "")],
                code: ERROR,
            },
            &["shorter than 10 characters"],
            Unchanged,
        ),
        row(
            "init: over an existing vault",
            cli(&["init"], Stdin::Empty, ERROR),
            &["already exists", "never overwrites"],
            Unchanged,
        ),
        // Output files.
        row(
            "disclose --out into a missing directory",
            cli(
                &[
                    "disclose",
                    "--client",
                    "{ada}",
                    "--to",
                    "Dr Smith",
                    "--purpose",
                    "treatment",
                    "--categories",
                    "progress",
                    "--write-plaintext",
                    "--out",
                    "{fixtures}/no-such-dir/export.md",
                ],
                Stdin::Empty,
                ERROR,
            ),
            &["no-such-dir", "does not exist", "create the directory"],
            Unchanged,
        ),
        Row {
            watch: &["{fixtures}/existing-export.md"],
            hint_line: false,
            ..row(
                "disclose --out an existing file",
                cli(
                    &[
                        "disclose",
                        "--client",
                        "{ada}",
                        "--to",
                        "Dr Smith",
                        "--purpose",
                        "treatment",
                        "--categories",
                        "progress",
                        "--write-plaintext",
                        "--out",
                        "{fixtures}/existing-export.md",
                    ],
                    Stdin::Empty,
                    ERROR,
                ),
                &["existing-export.md", "already exists", "never overwrites"],
                Unchanged,
            )
        },
        row(
            "backup --out into a missing directory",
            cli(
                &["backup", "--out", "{fixtures}/no-such-dir/backup.casevault"],
                Stdin::Empty,
                ERROR,
            ),
            &["no-such-dir", "does not exist", "create the directory"],
            Audited,
        ),
        Row {
            watch: &["{fixtures}/existing-backup.casevault"],
            hint_line: false,
            ..row(
                "backup --out an existing file",
                cli(
                    &["backup", "--out", "{fixtures}/existing-backup.casevault"],
                    Stdin::Empty,
                    ERROR,
                ),
                &[
                    "existing-backup.casevault",
                    "already exists",
                    "choose another path",
                ],
                Audited,
            )
        },
        // Other refusals.
        in_message(row(
            "search: an empty query",
            cli(&["search", ""], Stdin::Empty, ERROR),
            &["search query is empty"],
            Unchanged,
        )),
        in_message(row(
            "client add: an empty name",
            cli(&["client", "add", "--name", "  "], Stdin::Empty, ERROR),
            &["name is empty"],
            Unchanged,
        )),
        in_message(row(
            "consent add: expires before it starts",
            cli(
                &[
                    "consent",
                    "add",
                    "--client",
                    "{ada}",
                    "--recipient",
                    "Dr Smith",
                    "--purpose",
                    "treatment",
                    "--allow",
                    "progress",
                    "--from",
                    "2026-05-01",
                    "--expires",
                    "2026-04-01",
                ],
                Stdin::Empty,
                ERROR,
            ),
            &["2026-04-01", "2026-05-01"],
            Unchanged,
        )),
        in_message(row(
            "disclose: dates that end before they start",
            cli(
                &[
                    "disclose",
                    "--client",
                    "{ada}",
                    "--to",
                    "Dr Smith",
                    "--purpose",
                    "treatment",
                    "--categories",
                    "progress",
                    "--from",
                    "2026-03-10",
                    "--until",
                    "2026-03-01",
                    "--dry-run",
                ],
                Stdin::Empty,
                ERROR,
            ),
            &["2026-03-10", "2026-03-01"],
            Audited,
        )),
        in_message(row(
            "audit verify: an anchor that is not one",
            cli(
                &["audit", "verify", "--anchor", "banana"],
                Stdin::Empty,
                USAGE,
            ),
            &["banana", "not an anchor", "casevault audit anchor"],
            Unchanged,
        )),
        // The library.
        row(
            "Date: 30 February",
            Via::Lib {
                call: |_| "2026-02-30".parse::<Date>().map(drop).map_err(plain),
                class: None,
            },
            &["2026-02-30", "YYYY-MM-DD"],
            Unchanged,
        ),
        row(
            "Date: empty",
            Via::Lib {
                call: |_| "".parse::<Date>().map(drop).map_err(plain),
                class: None,
            },
            &["YYYY-MM-DD"],
            Unchanged,
        ),
        row(
            "parse_sections: a near-miss heading",
            Via::Lib {
                call: |_| {
                    parse_sections("Text.\n#### risk\nNone.\n", casevault::DEFAULT_CATEGORIES)
                        .map(drop)
                        .map_err(plain)
                },
                class: None,
            },
            &["line 2", "## <category>"],
            Unchanged,
        ),
        row(
            "Policy::parse: an unknown category",
            Via::Lib {
                call: |_| {
                    Policy::parse(&DEFAULT_POLICY.replacen("\"risk\",", "\"risk\", \"\",", 1))
                        .map(drop)
                        .map_err(plain)
                },
                class: None,
            },
            &["line"],
            Unchanged,
        ),
        row(
            "Vault::open: no file",
            Via::Lib {
                call: |ctx| {
                    Vault::open(ctx.fixtures.path().join("none.casevault"))
                        .map(drop)
                        .map_err(lib)
                },
                class: Some(ErrorClass::Failure),
            },
            &["no vault at", "none.casevault"],
            Unchanged,
        ),
        row(
            "Vault::open: a text file",
            Via::Lib {
                call: |ctx| {
                    Vault::open(ctx.fixtures.path().join("not-a-vault.casevault"))
                        .map(drop)
                        .map_err(lib)
                },
                class: Some(ErrorClass::Failure),
            },
            &["is not a casevault vault"],
            Unchanged,
        ),
        row(
            "Vault::create: over an existing vault",
            Via::Lib {
                call: |ctx| {
                    unexpected_ok(
                        Vault::create(
                            &ctx.vault.path,
                            &SecretString::from(PASSPHRASE),
                            KdfParams::default(),
                            "dr-test",
                        )
                        .map(drop),
                    )
                },
                class: Some(ErrorClass::Failure),
            },
            &["already exists"],
            Unchanged,
        ),
        row(
            "Vault::create: Argon2id memory below the minimum",
            Via::Lib {
                call: |ctx| {
                    let path = ctx.fixtures.path().join("weak.casevault");
                    let r = Vault::create(
                        &path,
                        &SecretString::from(PASSPHRASE),
                        KdfParams {
                            memory_kib: 1024,
                            ..KdfParams::default()
                        },
                        "dr-test",
                    );
                    assert!(!path.exists(), "no vault is left behind");
                    unexpected_ok(r.map(drop))
                },
                class: Some(ErrorClass::Failure),
            },
            &["memory", "65536"],
            Unchanged,
        ),
        row(
            "Vault::unlock: an empty passphrase",
            Via::Lib {
                call: |ctx| {
                    unexpected_ok(
                        Vault::open(&ctx.vault.path)
                            .unwrap()
                            .unlock(&SecretString::from(""), "dr-test")
                            .map(drop),
                    )
                },
                class: Some(ErrorClass::WrongSecret),
            },
            &["wrong passphrase"],
            FailedUnlock,
        ),
        row(
            "Session::add_note: 9 MiB",
            Via::Lib {
                call: |ctx| {
                    let ada = ctx.ada();
                    let body = "word ".repeat(9 * 1024 * 1024 / 5);
                    unexpected_ok(ctx.session().add_note(NewNote::individual(
                        &ada,
                        common::date("2026-03-01"),
                        &body,
                    )))
                },
                class: Some(ErrorClass::Failure),
            },
            &["at most 8 MiB"],
            Audited,
        ),
        row(
            "Session::add_note: two clients, no type",
            Via::Lib {
                call: |ctx| {
                    let clients = ctx.workflow.clients[..2]
                        .iter()
                        .map(|c| c.as_str().into())
                        .collect();
                    unexpected_ok(ctx.session().add_note(NewNote {
                        clients,
                        date: common::date("2026-03-01"),
                        note_type: None,
                        body: "Joint.\n".into(),
                    }))
                },
                class: Some(ErrorClass::Failure),
            },
            &["type"],
            Unchanged,
        ),
        row(
            "Session::note: a client's id",
            Via::Lib {
                call: |ctx| {
                    let ada = ctx.ada();
                    unexpected_ok(ctx.session().note(&ada))
                },
                class: Some(ErrorClass::Failure),
            },
            &["no note {ada}"],
            Audited,
        ),
        row(
            "Session::note_version: version 0",
            Via::Lib {
                call: |ctx| {
                    let note = ctx.workflow.notes[0].clone();
                    unexpected_ok(ctx.session().note_version(&note, 0))
                },
                class: Some(ErrorClass::Failure),
            },
            &["{signed}"],
            Audited,
        ),
        row(
            "Session::client: malformed id",
            Via::Lib {
                call: |ctx| unexpected_ok(ctx.session().client("../../etc/passwd")),
                class: Some(ErrorClass::Failure),
            },
            &["no client ../../etc/passwd"],
            Audited,
        ),
        row(
            "Session::amend_note: a draft",
            Via::Lib {
                call: |ctx| {
                    let draft = ctx.workflow.notes[1].clone();
                    unexpected_ok(ctx.session().amend_note(&draft, "More.\n"))
                },
                class: Some(ErrorClass::Failure),
            },
            &["{draft}", "not signed"],
            Audited,
        ),
        row(
            "Session::add_consent: unknown category",
            Via::Lib {
                call: |ctx| {
                    let ada = ctx.ada();
                    unexpected_ok(ctx.session().add_consent(NewConsent {
                        client: ada.into(),
                        recipient: casevault::ConsentRecipient {
                            name: "Dr Smith".into(),
                            organization: None,
                            public_key: None,
                        },
                        purposes: vec!["treatment".into()],
                        categories: vec!["banana".into()],
                        excluded: Vec::new(),
                        effective: common::date("2026-01-01"),
                        expires: common::date("2027-01-01"),
                        signed_by: String::new(),
                        relationship: casevault::Relationship::Client,
                        tpo: None,
                    }))
                },
                class: Some(ErrorClass::Usage),
            },
            &["banana"],
            Audited,
        ),
        row(
            "Session::add_client: empty name",
            Via::Lib {
                call: |ctx| {
                    unexpected_ok(ctx.session().add_client(NewClient {
                        name: String::new(),
                        ..NewClient::default()
                    }))
                },
                class: Some(ErrorClass::Failure),
            },
            &["name"],
            Unchanged,
        ),
        row(
            "Session::set_policy: wrong types",
            Via::Lib {
                call: |ctx| {
                    unexpected_ok(ctx.session().set_policy(&DEFAULT_POLICY.replacen(
                        "name = \"casevault default\"",
                        "name = 42",
                        1,
                    )))
                },
                class: Some(ErrorClass::Failure),
            },
            &["line 5"],
            Unchanged,
        ),
        row(
            "Session::search: empty",
            Via::Lib {
                call: |ctx| unexpected_ok(ctx.session().search("   ", None)),
                class: Some(ErrorClass::Failure),
            },
            &["empty"],
            Unchanged,
        ),
        row(
            "Session::verify_audit: an anchor that is not one",
            Via::Lib {
                call: |ctx| unexpected_ok(ctx.session().verify_audit(Some("12-zz"))),
                class: Some(ErrorClass::Failure),
            },
            &["12-zz", "is not an anchor"],
            Unchanged,
        ),
    ]
}

fn stdin_bytes(stdin: Stdin) -> Vec<u8> {
    match stdin {
        Stdin::Empty => Vec::new(),
        Stdin::Text(t) => t.as_bytes().to_vec(),
        Stdin::Bytes(b) => b.to_vec(),
        Stdin::Huge => "word ".repeat(9 * 1024 * 1024 / 5).into_bytes(),
    }
}

/// Runs one row; returns its problems, and the sequence number of the event it added.
fn run_row(ctx: &mut Ctx, row: &Row) -> (Vec<String>, Option<i64>) {
    let mut problems = Vec::new();
    let before = snapshot(&ctx.vault.path);
    let watched: Vec<(PathBuf, Option<String>)> = row
        .watch
        .iter()
        .map(|w| {
            let p = PathBuf::from(ctx.expand(w));
            let d = file_digest(&p);
            (p, d)
        })
        .collect();
    let words: Vec<String> = row.words.iter().map(|w| ctx.expand(w)).collect();
    let message = match &row.via {
        Via::Cli {
            args,
            stdin,
            env,
            code,
        } => {
            let args: Vec<OsString> = args.iter().map(|a| ctx.expand_arg(a)).collect();
            let mut cmd = ctx.vault.cmd();
            cmd.args(&args).write_stdin(stdin_bytes(*stdin));
            for (k, v) in *env {
                cmd.env(k, v);
            }
            let out = cmd.output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            let status = out.status.code();
            if status == Some(101) || stderr.contains("panicked") {
                problems.push(format!("PANICKED: {stderr}"));
            }
            if status != Some(*code) {
                problems.push(format!("exit {status:?}, expected {code}"));
            }
            if row.effect != Effect::Decided && !stdout.trim().is_empty() {
                problems.push(format!("printed on stdout: {stdout:?}"));
            }
            let hint = if *code == USAGE { "--help" } else { "hint:" };
            if (row.hint_line || *code == USAGE) && !stderr.contains(hint) {
                problems.push(format!("no {hint:?} saying what to do"));
            }
            if stderr.contains(".casevault-export-") || stderr.contains(".casevault-backup-") {
                problems.push("names casevault's own temporary file, not the user's".into());
            }
            for secret in [PASSPHRASE, ctx.workflow.recovery_code.as_str()] {
                if stdout.contains(secret) || stderr.contains(secret) {
                    problems.push("printed a secret".into());
                }
            }
            stderr
        }
        Via::Lib { call, class } => {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| call(ctx)));
            match result {
                Err(_) => {
                    problems.push("PANICKED".into());
                    String::new()
                }
                Ok(Ok(())) => {
                    problems.push("UNEXPECTED SUCCESS".into());
                    String::new()
                }
                Ok(Err((got, message))) => {
                    if got != *class {
                        problems.push(format!("error class {got:?}, expected {class:?}"));
                    }
                    if message.contains(PASSPHRASE) {
                        problems.push("the error shows the passphrase".into());
                    }
                    message
                }
            }
        }
    };
    let lower = message.to_lowercase();
    for w in &words {
        if !lower.contains(&w.to_lowercase()) {
            problems.push(format!("does not say {w:?}"));
        }
    }
    if !problems.is_empty() {
        problems.push(format!("message: {}", message.trim()));
    }
    for (path, digest) in watched {
        if file_digest(&path) != digest {
            problems.push(format!("{} was changed", path.display()));
        }
    }
    let after = snapshot(&ctx.vault.path);
    let mut seq = None;
    match row.effect {
        Effect::Unchanged => {
            if after.digest != before.digest {
                problems.push(format!(
                    "the vault file changed (events {} -> {}, failed unlocks {} -> {}, records {})",
                    before.audit,
                    after.audit,
                    before.failed_unlocks,
                    after.failed_unlocks,
                    if after.records == before.records {
                        "same"
                    } else {
                        "CHANGED"
                    }
                ));
            }
        }
        Effect::Audited | Effect::FailedUnlock | Effect::Decided => {
            let new_records: Vec<_> = after
                .records
                .iter()
                .filter(|r| !before.records.contains(r))
                .collect();
            let decision_only = row.effect == Effect::Decided
                && new_records.len() == 1
                && new_records[0].0 == "decision"
                && before.records.iter().all(|r| after.records.contains(r));
            if after.records != before.records && !decision_only {
                problems.push(format!("records changed: {new_records:?}"));
            }
            if after.keyslots != before.keyslots {
                problems.push("keyslots changed".into());
            }
            let (events, markers) = if row.effect == Effect::FailedUnlock {
                (0, 1)
            } else {
                (1, 0)
            };
            if after.audit != before.audit + events {
                problems.push(format!(
                    "{} event(s) added, expected {events}",
                    after.audit - before.audit
                ));
            } else if events == 1 {
                seq = Some(after.last_seq);
            }
            if after.failed_unlocks != before.failed_unlocks + markers {
                problems.push(format!(
                    "{} failed unlock(s) recorded, expected {markers}",
                    after.failed_unlocks - before.failed_unlocks
                ));
            }
        }
    }
    // A failed unlock is folded into the trail at the next unlock; take it out so the
    // next row starts from the same state.
    if after.failed_unlocks > 0 {
        ctx.vault
            .sqlite()
            .execute("DELETE FROM failed_unlocks", [])
            .unwrap();
    }
    (problems, seq)
}

#[test]
fn malformed_input_is_refused_as_documented() {
    let (vault, workflow) = TestVault::realistic();
    let mut ctx = Ctx {
        vault,
        workflow,
        fixtures: tempfile::tempdir().unwrap(),
        session: None,
    };
    fixtures(&ctx);
    let rows = rows();
    let started = std::time::Instant::now();
    let mut failures = Vec::new();
    let mut audited: BTreeMap<i64, &str> = BTreeMap::new();
    for row in &rows {
        let (problems, seq) = run_row(&mut ctx, row);
        if !problems.is_empty() {
            failures.push(format!("[{}]\n    {}", row.name, problems.join("\n    ")));
        }
        if let Some(seq) = seq {
            audited.insert(seq, row.name);
        }
    }
    // Each audited failure left an event that says it failed, not that it happened.
    let log = ctx.session().audit_log().unwrap();
    for (seq, name) in &audited {
        match log.iter().find(|e| e.seq as i64 == *seq) {
            Some(e) if matches!(e.outcome, Outcome::Failed(_) | Outcome::Denied { .. }) => {}
            Some(e) => failures.push(format!(
                "[{name}]\n    its event {seq} ({}) has outcome {:?}",
                e.action, e.outcome
            )),
            None => failures.push(format!("[{name}]\n    its event {seq} is not in the log")),
        }
    }
    if ctx.fixtures.path().join("new").exists() {
        failures.push(
            "[init: an empty passphrase]\n    left the vault's directory behind (created before the passphrase was checked)".into(),
        );
    }
    let cli = rows
        .iter()
        .filter(|r| matches!(r.via, Via::Cli { .. }))
        .count();
    println!(
        "{} rows ({cli} CLI, {} library) in {:.1} s; {} failing",
        rows.len(),
        rows.len() - cli,
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// True when this process runs as root (file permissions do not stop it).
fn is_root() -> bool {
    let probe = tempfile::NamedTempFile::new().unwrap();
    probe.as_file().metadata().unwrap().uid() == 0
}

/// `casevault` for `v`, as an unprivileged user when the test runs as root (so that
/// file modes apply), with the directory opened up enough for that user to reach it.
fn unprivileged(v: &TestVault) -> std::process::Command {
    let mut cmd = v.process();
    if is_root() {
        std::fs::set_permissions(v.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        cmd.uid(65534).gid(65534);
    }
    cmd
}

fn chown_nobody(path: &Path) {
    if is_root() {
        std::os::unix::fs::chown(path, Some(65534), Some(65534)).unwrap();
    }
}

fn check_refusal(out: &std::process::Output, what: &str, words: &[&str]) -> Vec<String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    if out.status.code() != Some(ERROR) {
        problems.push(format!("{what}: exit {:?}, expected 1", out.status.code()));
    }
    if stderr.contains("panicked") {
        problems.push(format!("{what}: PANICKED"));
    }
    if stdout.contains("Ada Example") || stdout.contains("Cleo Sample") {
        problems.push(format!(
            "{what}: printed a client's name although nothing could be audited: {stdout}"
        ));
    }
    if stderr.contains(PASSPHRASE) {
        problems.push(format!("{what}: printed the passphrase"));
    }
    if !stderr.contains("hint:") {
        problems.push(format!("{what}: no hint saying what to do"));
    }
    let lower = stderr.to_lowercase();
    if !words.iter().any(|w| lower.contains(w)) {
        problems.push(format!("{what}: does not say any of {words:?}"));
    }
    if !problems.is_empty() {
        problems.push(format!("{what}: stderr: {}", stderr.trim()));
    }
    problems
}

#[test]
fn a_read_only_vault_file_is_refused_and_left_alone() {
    let (v, _) = TestVault::realistic();
    let before = v.digest();
    std::fs::set_permissions(&v.path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let mut problems = Vec::new();
    for args in [
        &["client", "list"][..],
        &["client", "add", "--name", "Dan New"][..],
    ] {
        let out = unprivileged(&v).args(args).output().unwrap();
        problems.extend(check_refusal(
            &out,
            &format!("{args:?}"),
            &["read-only", "readonly", "permission"],
        ));
    }
    assert_eq!(v.digest(), before, "the vault is unchanged");
    std::fs::set_permissions(&v.path, std::fs::Permissions::from_mode(0o600)).unwrap();
    v.ok(&["audit", "verify"]);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_read_only_vault_directory_is_refused_and_left_alone() {
    // The file may be written, its directory not: SQLite cannot create its journal.
    let (v, _) = TestVault::realistic();
    let before = v.digest();
    chown_nobody(&v.path);
    std::fs::set_permissions(v.dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut cmd = unprivileged(&v);
    // `unprivileged` opened the directory to 0755 for the other user; close it again.
    std::fs::set_permissions(v.dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = cmd
        .args(["client", "add", "--name", "Dan New"])
        .output()
        .unwrap();
    let problems = check_refusal(
        &out,
        "client add",
        &[
            "read-only",
            "readonly",
            "permission",
            "unable to open",
            "journal",
        ],
    );
    std::fs::set_permissions(v.dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(v.digest(), before, "the vault is unchanged");
    assert!(
        std::fs::read_dir(v.dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with("-journal")),
        "no journal left behind"
    );
    v.ok(&["audit", "verify"]);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A small tmpfs, unmounted when dropped; `None` where mounting is not allowed.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the disk with a file, leaving (almost) nothing free.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.path().join("filler")).unwrap();
        let block = vec![0x5au8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.write_all(&[0]);
    }

    fn unfill(&self) {
        std::fs::remove_file(self.path().join("filler")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn a_full_disk_fails_cleanly_and_loses_nothing() {
    let Some(disk) = SmallDisk::mount("4m") else {
        println!("note: cannot mount a tmpfs here (not root?); the full-disk test did not run");
        return;
    };
    let (built, workflow) = TestVault::realistic();
    let v = TestVault::file_at(
        tempfile::tempdir().unwrap(),
        disk.path().join("practice.casevault"),
    );
    std::fs::copy(&built.path, &v.path).unwrap();
    let ada = &workflow.clients[0];
    let export = disk.path().join("export.md");
    let backup = disk.path().join("backup.casevault");
    let accounting_before = v.json(&["accounting", "--client", ada]);
    disk.fill();
    let before = snapshot(&v.path);

    let mut problems = Vec::new();
    let mut attempt = |args: &[&str], stdin: &str| {
        let out = v
            .cmd()
            .args(args)
            .write_stdin(stdin.to_owned())
            .output()
            .unwrap();
        problems.extend(check_refusal(
            &out,
            &format!("{args:?}"),
            &["full", "no space", "disk"],
        ));
    };
    attempt(
        &["note", "add", "--client", ada, "--date", "2026-03-01"],
        &"A long note. ".repeat(20_000),
    );
    attempt(
        &[
            "disclose",
            "--client",
            ada,
            "--to",
            "Dr Smith",
            "--purpose",
            "treatment",
            "--categories",
            "progress",
            "--write-plaintext",
            "--out",
            export.to_str().unwrap(),
        ],
        "",
    );
    attempt(&["backup", "--out", backup.to_str().unwrap()], "");
    let after = snapshot(&v.path);
    disk.unfill();

    assert_eq!(
        after.records, before.records,
        "no record written on a full disk"
    );
    assert_eq!(after.keyslots, before.keyslots);
    assert!(!export.exists(), "no export on a full disk");
    assert!(!backup.exists(), "no backup on a full disk");
    let leftovers: Vec<_> = std::fs::read_dir(disk.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "practice.casevault")
        .collect();
    assert!(leftovers.is_empty(), "files left behind: {leftovers:?}");
    // With space again, the vault is whole and nothing was disclosed.
    v.ok(&["audit", "verify"]);
    assert_eq!(v.json(&["accounting", "--client", ada]), accounting_before);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
