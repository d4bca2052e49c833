//! The entry points of casevault's fuzz targets.
//!
//! Each target in `fuzz_targets/` is one call into this file, and
//! `tests/fuzz_regressions.rs` in the root crate includes this same file to replay the
//! seeds and regressions under plain `cargo test`, so what the fuzzer ran and what CI
//! replays cannot drift apart. It uses only casevault's public API (and
//! `casevault::internals` for the record layer) and crates casevault already depends on.
//!
//! Every entry point returns `Ok(())` when the input was accepted and `Err(message)`
//! with the error a user would see when it was refused; a panic is the only failure.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use age_core::format::{FILE_KEY_BYTES, FileKey, Stanza};
use age_core::primitives::{aead_encrypt, hkdf};
use casevault::internals::{open_record, seal_record};
use casevault::{
    Client, DEFAULT_CATEGORIES, KdfParams, NewClient, Policy, RecordKind, RecordRef, Redactor,
    Session, Vault, parse_sections,
};
use secrecy::{ExposeSecret, SecretBox, SecretString};

/// What an entry point made of its input: accepted, or refused with this message.
pub type Outcome = Result<(), String>;

/// The passphrase of every vault the harnesses create.
pub const PASSPHRASE: &str = "fuzz passphrase";

/// The categories of a practice's own policy, besides the default ones.
const CUSTOM_CATEGORIES: &[&str] = &["progress", "risk", "a-b", "x1"];

/// A client profile with every kind of identifier the redactor looks for.
fn profile(name: &str) -> Client {
    Client {
        id: "0badcafe".into(),
        name: name.into(),
        date_of_birth: Some("1990-05-17".parse().expect("a valid date")),
        contact: Some("555-123-4567, ada@example.org; 12 Elm Street".into()),
        third_parties: vec!["Ben Quill (partner)".into()],
        created_at: "2026-03-01T00:00:00Z".parse().expect("a valid time"),
        care: Default::default(),
    }
}

/// Redactors for [`profile`], built once as an export builds them (compiling their
/// patterns costs far more than using them): none, identity, or third parties allowed.
static REDACTORS: LazyLock<[Redactor; 3]> = LazyLock::new(|| {
    let client = profile("Ada Example");
    [(false, false), (true, false), (false, true)]
        .map(|(identity, third_party)| Redactor::new(&client, identity, third_party))
});

/// `note_markup`: a note body as a user types it, split into sections (default and
/// custom categories) and redacted for export. The first line also serves as a
/// client's name (alone in a profile), so that names go through the redactor's
/// pattern building too.
pub fn note_markup(data: &[u8]) -> Outcome {
    let body = String::from_utf8_lossy(data);
    let custom = parse_sections(&body, CUSTOM_CATEGORIES);
    let result = parse_sections(&body, DEFAULT_CATEGORIES);
    for (sections, categories) in [(&custom, CUSTOM_CATEGORIES), (&result, DEFAULT_CATEGORIES)] {
        if let Ok(sections) = sections {
            for section in sections {
                assert!(
                    categories.contains(&section.category.as_str()),
                    "section of unknown category {:?}",
                    section.category
                );
            }
        }
    }

    for redactor in REDACTORS.iter() {
        let _ = redactor.redact(&body);
    }
    let (name, rest) = body.split_once('\n').unwrap_or((&body, ""));
    // Long names are refused whole (fail closed); keep the pattern building cheap.
    if name.len() <= 64 {
        let client = Client {
            name: name.to_owned(),
            contact: None,
            third_parties: Vec::new(),
            date_of_birth: None,
            ..profile("")
        };
        let _ = Redactor::new(&client, false, false).redact(rest);
    }
    result.map(drop).map_err(|e| e.to_string())
}

/// `policy`: a policy file (`casevault policy set FILE`), which must be UTF-8 text.
pub fn policy(data: &[u8]) -> Outcome {
    let Ok(text) = std::str::from_utf8(data) else {
        return Err("not UTF-8 (`policy set` refuses it before parsing)".into());
    };
    match Policy::parse(text) {
        Ok(policy) => {
            // What was accepted once is accepted again, to the same policy.
            let again = Policy::parse(&policy.source).expect("an accepted policy parses again");
            assert_eq!(again.categories, policy.categories);
            assert_eq!(again.exceptions, policy.exceptions);
            assert!(policy.has_category("progress"));
            Ok(())
        }
        Err(e) => {
            let lines = text.split('\n').count();
            assert!(
                (1..=lines).contains(&e.line),
                "error line {} outside 1..={lines}: {e}",
                e.line
            );
            Err(e.to_string())
        }
    }
}

/// The key every `record` input is opened with.
fn record_key() -> SecretBox<[u8; 32]> {
    SecretBox::new(Box::new([7u8; 32]))
}

/// The reference every `record` input is opened as.
fn record_ref() -> RecordRef {
    RecordRef::new(RecordKind::Note, "a1b2c3d4", 2)
}

/// Wraps a file key exactly as a casevault record stanza does (see src/record.rs),
/// with a fixed salt, so that arbitrary payloads reach the record's unpadding.
struct RecordStanza;

/// The fixed salt, and its unpadded base64.
const SALT: [u8; 16] = [0; 16];
const SALT_B64: &str = "AAAAAAAAAAAAAAAAAAAAAA";

impl age::Recipient for RecordStanza {
    fn wrap_file_key(
        &self,
        file_key: &FileKey,
    ) -> Result<(Vec<Stanza>, std::collections::HashSet<String>), age::EncryptError> {
        let reference = record_ref();
        let mut label = b"casevault.org/v1/record".to_vec();
        for part in [
            reference.kind.as_str().as_bytes(),
            reference.id.as_bytes(),
            &reference.version.to_be_bytes(),
        ] {
            label.extend_from_slice(&(part.len() as u32).to_be_bytes());
            label.extend_from_slice(part);
        }
        let key = hkdf(&SALT, &label, record_key().expose_secret());
        let body = aead_encrypt(&key, file_key.expose_secret());
        debug_assert_eq!(body.len(), FILE_KEY_BYTES + 16);
        Ok((
            vec![Stanza {
                tag: "casevault-record".into(),
                args: vec![SALT_B64.into()],
                body,
            }],
            Default::default(),
        ))
    }
}

/// `record`: the first byte picks what the rest is.
///
/// - `0 mod 3`: a stored record's ciphertext, opened with a fixed key.
/// - `1 mod 3`: a plaintext, sealed and opened again (it must come back unchanged).
/// - `2 mod 3`: a padded plaintext (length prefix, text, padding), put in a
///   well-formed record under the fixed key, so the unpadding sees arbitrary bytes.
pub fn record(data: &[u8]) -> Outcome {
    let Some((&mode, rest)) = data.split_first() else {
        return Err("empty input".into());
    };
    let key = record_key();
    let reference = record_ref();
    let ciphertext = match mode % 3 {
        0 => rest.to_vec(),
        1 => {
            let sealed = seal_record(&key, &reference, rest);
            let opened = open_record(&key, &reference, &sealed).expect("a sealed record opens");
            assert_eq!(&opened[..], rest);
            return Ok(());
        }
        _ => {
            let encryptor = age::Encryptor::with_recipients(std::iter::once(&RecordStanza as _))
                .expect("one recipient");
            let mut out = Vec::new();
            let mut writer = encryptor.wrap_output(&mut out).expect("in memory");
            std::io::Write::write_all(&mut writer, rest).expect("in memory");
            writer.finish().expect("in memory");
            out
        }
    };
    let opened = open_record(&key, &reference, &ciphertext).map_err(|e| e.to_string())?;
    if mode % 3 == 2 {
        // A record that opens is its length prefix's worth of text after the prefix.
        let len = u32::from_le_bytes(rest[..4].try_into().expect("four bytes")) as usize;
        assert_eq!(&opened[..], &rest[4..4 + len]);
    }
    Ok(())
}

/// A directory for the harnesses' vaults: tmpfs when there is one, since every
/// commit is synchronous.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let builder = tempfile::Builder::new()
        .prefix("casevault-fuzz-")
        .tempdir_in(shm);
    builder.unwrap_or_else(|_| tempfile::tempdir().expect("a temporary directory"))
}

/// A new vault at `path` with the fixed passphrase and the cheapest accepted KDF.
fn create_vault(path: &Path) -> Session {
    let passphrase = SecretString::from(PASSPHRASE);
    let (session, _) =
        Vault::create(path, &passphrase, KdfParams::default(), "fuzz").expect("a new vault");
    session
}

/// `keyslot`: the input replaces the passphrase keyslot of a real vault, which is then
/// unlocked with the right passphrase.
///
/// Stored KDF parameters are attacker input: whatever they say, the unlock must do at
/// most the cheapest accepted Argon2id work (64 MiB, 3 passes). Anything more shows up
/// as a libFuzzer timeout or out-of-memory report (`-timeout`, `-rss_limit_mb`).
pub struct KeyslotHarness {
    _dir: tempfile::TempDir,
    path: PathBuf,
    db: rusqlite::Connection,
}

impl KeyslotHarness {
    /// Creates the vault (two Argon2id runs).
    pub fn new() -> KeyslotHarness {
        let dir = scratch_dir();
        let path = dir.path().join("keyslot.casevault");
        drop(create_vault(&path));
        let db = rusqlite::Connection::open(&path).expect("the vault is SQLite");
        KeyslotHarness {
            _dir: dir,
            path,
            db,
        }
    }

    /// Stores `data` as the passphrase keyslot and unlocks.
    pub fn run(&mut self, data: &[u8]) -> Outcome {
        let n = self
            .db
            .execute(
                "UPDATE keyslots SET keyslot = ?1 WHERE name = 'passphrase'",
                [data],
            )
            .expect("the keyslot is stored");
        assert_eq!(n, 1);
        let vault = Vault::open(&self.path).map_err(|e| e.to_string())?;
        let passphrase = SecretString::from(PASSPHRASE);
        vault
            .unlock(&passphrase, "fuzz")
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

impl Default for KeyslotHarness {
    fn default() -> Self {
        Self::new()
    }
}

/// `import_file`: the input is one Markdown file given to `casevault import`, named
/// with a date so that a file without front matter still reaches the note parser.
/// Each input is imported for a new client; the vault is replaced every
/// [`ImportHarness::VAULT_USES`] inputs so that the imports stay fast.
pub struct ImportHarness {
    dir: tempfile::TempDir,
    session: Option<Session>,
    uses: usize,
}

impl ImportHarness {
    /// Inputs imported into one vault before it is replaced.
    pub const VAULT_USES: usize = 200;
    /// The name of the imported file.
    pub const FILE_NAME: &str = "2026-03-01 session.md";

    /// A harness; the first vault is created on the first input.
    pub fn new() -> ImportHarness {
        ImportHarness {
            dir: scratch_dir(),
            session: None,
            uses: 0,
        }
    }

    /// Imports `data` as one note file.
    pub fn run(&mut self, data: &[u8]) -> Outcome {
        if self.uses.is_multiple_of(Self::VAULT_USES) {
            self.session = None;
            let path = self.dir.path().join("import.casevault");
            // The previous vault, if any; a failure here is the next line's to report.
            let _ = std::fs::remove_file(&path);
            self.session = Some(create_vault(&path));
        }
        self.uses += 1;
        let session = self.session.as_mut().expect("created above");
        let client = session
            .add_client(NewClient {
                name: "Ada Example".into(),
                ..NewClient::default()
            })
            .expect("a client is added");
        let notes = self.dir.path().join("notes");
        let _ = std::fs::remove_dir_all(&notes);
        std::fs::create_dir(&notes).expect("a notes directory");
        std::fs::write(notes.join(Self::FILE_NAME), data).expect("the note file is written");
        let report = session
            .import_notes(&client, &notes, &mut |_| {})
            .expect("an import of readable files reports per file");
        assert!(
            report.already_imported.is_empty(),
            "a new client has no notes"
        );
        match (&report.imported[..], &report.failed[..]) {
            ([_], []) => Ok(()),
            ([], [(_, reason)]) => Err(reason.clone()),
            _ => panic!("one file, one outcome: {report:?}"),
        }
    }
}

impl Default for ImportHarness {
    fn default() -> Self {
        Self::new()
    }
}
