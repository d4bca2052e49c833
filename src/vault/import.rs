//! Bulk import of Markdown note files: one unlock, batched transactions, one audit
//! event per note, resumable.
//!
//! A file is a note body, optionally preceded by front matter:
//!
//! ```text
//! ---
//! date: 2026-03-01
//! type: individual
//! ---
//! Slept better this week.
//! ## risk
//! No current risk.
//! ```
//!
//! Without a `date:` line the file name must start with the date (`2026-03-01…`).
//! Every imported note records the file's name and SHA-256, so running the same import
//! again (after an interruption, say) imports only the files not yet imported.
//!
//! Invariant: a file is read, parsed and encrypted in memory; nothing derived from
//! its text is written anywhere but the vault's ciphertext.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use rayon::prelude::*;
use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, fstat, openat, statat};
use rustix::io::Errno;
use serde::Serialize;
use zeroize::Zeroizing;

use super::parts::NoteKeys;
use super::seal::Sealed;
use crate::audit::{Action, sha256_hex};
use crate::base::RecordKind;
use crate::base::{Date, NoteId, Timestamp};
use crate::error::Error;
use crate::model::note::MAX_NOTE_BYTES;
use crate::model::note::{Note, NoteSource, NoteStatus, NoteType, parse_sections};
use crate::model::policy::Policy;
use crate::vault::{Session, random_id};

type Result<T> = std::result::Result<T, Error>;

/// Notes written per transaction, at most.
const BATCH: usize = 500;

/// File bytes a batch holds in memory, at most (plus one file, itself at most
/// [`MAX_NOTE_BYTES`]): a batch ends at [`BATCH`] files or at this many bytes, so an
/// import's memory stays near this budget whatever the files' sizes.
const BATCH_BYTES: usize = 64 * 1024 * 1024;

/// What a repeated import needs to know of a note: whose it is and where it came from
/// (reading only this skips deriving the sections).
#[derive(serde::Deserialize)]
struct NoteOrigin {
    clients: Vec<String>,
    #[serde(default)]
    source: Option<NoteSource>,
}

/// A file of a batch: its name, digest and bytes.
type FileRead = (String, String, Zeroizing<Vec<u8>>);

/// A new file of a batch: its name, its note or why it makes none (taken once, in the
/// transaction), and the note sealed ahead under its identifier, if it was.
type Prepared = (String, Option<Result<Note>>, Option<Sealed>);

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Files imported, with the new notes' ids.
    pub imported: Vec<(String, NoteId)>,
    /// Files skipped because an earlier import already holds them.
    pub already_imported: Vec<String>,
    /// Files read but not imported, with the reason (a note that does not parse, say).
    pub failed: Vec<(String, String)>,
    /// Entries named like note files that were not read at all: anything but a regular
    /// file inside the directory (a symbolic link, wherever it points), and files that
    /// cannot be opened or hold more than a note may.
    pub skipped: Vec<Skipped>,
}

/// An entry of the import directory that was not read, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The entry's name in the directory.
    pub file: String,
    /// Why it was not read.
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// Why an entry of the import directory was not read. Import reads only regular files
/// inside the directory it is given, and at most 8 MiB of each (the most a note holds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SkipReason {
    /// A symbolic link: never followed, wherever it points (even to a file of the
    /// same directory), so that no file from elsewhere becomes a note.
    SymbolicLink,
    /// A subdirectory (named like a note file): import does not descend.
    Directory,
    /// A named pipe (FIFO): never opened for reading, so it cannot block the import.
    Fifo,
    /// A character or block device.
    Device,
    /// A Unix socket.
    Socket,
    /// A file of a type the system does not name.
    Unknown,
    /// A file that cannot be opened or read (permissions, say).
    NotReadable {
        /// What the system said.
        error: String,
    },
    /// A file over the size of the largest note.
    TooLarge {
        /// The most a note holds, in bytes.
        limit_bytes: usize,
    },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const ONLY: &str = "import reads only regular files inside the directory";
        match self {
            SkipReason::SymbolicLink => write!(
                f,
                "it is a symbolic link, and {ONLY}, following no link (copy the file itself in)"
            ),
            SkipReason::Directory => write!(f, "it is a directory; import reads no subdirectory"),
            SkipReason::Fifo => write!(f, "it is a named pipe (FIFO), and {ONLY}"),
            SkipReason::Device => write!(f, "it is a device, and {ONLY}"),
            SkipReason::Socket => write!(f, "it is a socket, and {ONLY}"),
            SkipReason::Unknown => write!(f, "it is not a regular file, and {ONLY}"),
            SkipReason::NotReadable { error } => write!(f, "cannot read it: {error}"),
            SkipReason::TooLarge { limit_bytes } => write!(
                f,
                "it is over {} MiB, the most a note holds (split it into several files)",
                limit_bytes / (1024 * 1024)
            ),
        }
    }
}

/// How far an import has got, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportProgress {
    /// Files handled so far.
    pub done: usize,
    /// Files in all.
    pub total: usize,
}

/// A file's front matter and body.
#[derive(Debug)]
struct Parsed<'a> {
    date: Option<Date>,
    note_type: Option<NoteType>,
    body: &'a str,
}

fn parse_front_matter(text: &str) -> std::result::Result<Parsed<'_>, String> {
    // Editors on some systems start UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Ok(Parsed {
            date: None,
            note_type: None,
            body: text,
        });
    };
    let mut date = None;
    let mut note_type = None;
    let mut offset = text.len() - rest.len();
    for (index, line) in rest.split_inclusive('\n').enumerate() {
        offset += line.len();
        let line = line.trim_end();
        if line == "---" {
            return Ok(Parsed {
                date,
                note_type,
                body: &text[offset..],
            });
        }
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("front matter line {}: expected `key: value`", index + 2))?;
        let value = value.trim();
        match key.trim() {
            "date" => {
                date = Some(
                    value
                        .parse::<Date>()
                        .map_err(|e| format!("front matter line {}: {e}", index + 2))?,
                )
            }
            "type" => {
                note_type = Some(match value {
                    "individual" => NoteType::Individual,
                    "couples" => NoteType::Couples,
                    "family" => NoteType::Family,
                    "group" => NoteType::Group,
                    other => {
                        return Err(format!(
                            "front matter line {}: type {other:?} is not individual, couples, family or group",
                            index + 2
                        ));
                    }
                })
            }
            other => {
                return Err(format!(
                    "front matter line {}: unknown key {other:?} (date and type are known)",
                    index + 2
                ));
            }
        }
    }
    Err("the front matter has no closing `---` line".into())
}

fn date_from_name(name: &str) -> Option<Date> {
    name.get(..10)?.parse().ok()
}

/// The directory an import reads, opened once, and the names of its note files
/// (`*.md`, `*.markdown`), sorted.
///
/// `dir` itself is resolved like any path the user types, through symbolic links;
/// inside it, no link is followed: every file is opened relative to this descriptor
/// (see [`read_note_file`]), so renaming or replacing `dir` midway changes nothing.
fn note_dir(dir: &Path) -> Result<(OwnedFd, Vec<OsString>)> {
    let cannot = |e: rustix::io::Errno| {
        Error::InvalidInput(format!(
            "cannot read the directory {}: {}",
            dir.display(),
            std::io::Error::from(e)
        ))
    };
    let fd = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(cannot)?;
    let mut names = Vec::new();
    for entry in Dir::read_from(&fd).map_err(cannot)? {
        let entry = entry.map_err(cannot)?;
        let name = OsStr::from_bytes(entry.file_name().to_bytes());
        if name != "." && name != ".." && is_note_name(name) {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok((fd, names))
}

fn is_note_name(name: &OsStr) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|x| x == "md" || x == "markdown")
}

/// Why an entry of this type is not read, or `None` for a regular file.
fn not_regular(file_type: FileType) -> Option<SkipReason> {
    match file_type {
        FileType::RegularFile => None,
        FileType::Symlink => Some(SkipReason::SymbolicLink),
        FileType::Directory => Some(SkipReason::Directory),
        FileType::Fifo => Some(SkipReason::Fifo),
        FileType::Socket => Some(SkipReason::Socket),
        FileType::CharacterDevice | FileType::BlockDevice => Some(SkipReason::Device),
        _ => Some(SkipReason::Unknown),
    }
}

fn not_readable(e: impl Into<std::io::Error>) -> SkipReason {
    SkipReason::NotReadable {
        error: e.into().to_string(),
    }
}

/// The bytes of the note file `name` of `dir`, read only if it is a regular file in
/// `dir` of at most [`MAX_NOTE_BYTES`].
///
/// The entry's type is looked at first without following a link, so a FIFO, device or
/// socket is never opened. Then it is opened without following a link (`O_NOFOLLOW`:
/// an entry swapped for a link in between fails to open) and without blocking
/// (`O_NONBLOCK`: one swapped for a FIFO opens at once), and what was opened is
/// checked again. The size `fstat` gives only ever refuses a file; reading stops at
/// the limit plus one byte whatever it said, since a file may grow while it is read.
fn read_note_file(
    dir: &OwnedFd,
    name: &OsStr,
) -> std::result::Result<Zeroizing<Vec<u8>>, SkipReason> {
    let too_large = SkipReason::TooLarge {
        limit_bytes: MAX_NOTE_BYTES,
    };
    let stat = statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).map_err(not_readable)?;
    if let Some(reason) = not_regular(FileType::from_raw_mode(stat.st_mode)) {
        return Err(reason);
    }
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
    let fd = openat(dir, name, flags | OFlags::CLOEXEC, Mode::empty()).map_err(|e| {
        if e == Errno::LOOP {
            SkipReason::SymbolicLink
        } else {
            not_readable(e)
        }
    })?;
    let stat = fstat(&fd).map_err(not_readable)?;
    if let Some(reason) = not_regular(FileType::from_raw_mode(stat.st_mode)) {
        return Err(reason);
    }
    let claimed = usize::try_from(stat.st_size).unwrap_or(usize::MAX);
    if claimed > MAX_NOTE_BYTES {
        return Err(too_large);
    }
    read_bounded(std::fs::File::from(fd), MAX_NOTE_BYTES, claimed)
        .map_err(not_readable)?
        .ok_or(too_large)
}

/// All of `reader` if it holds at most `limit` bytes, `None` if it holds more (then
/// `limit + 1` bytes were read). `expected` sizes the first buffer; a larger one, when
/// needed, is taken by copying, and the smaller one is wiped when it is dropped.
fn read_bounded(
    mut reader: impl Read,
    limit: usize,
    expected: usize,
) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
    let mut buf = Zeroizing::new(vec![0u8; expected.min(limit) + 1]);
    let mut len = 0;
    loop {
        if len == buf.len() {
            if len > limit {
                return Ok(None);
            }
            let mut larger = Zeroizing::new(vec![0u8; (len * 2).min(limit + 1)]);
            larger[..len].copy_from_slice(&buf[..len]);
            buf = larger;
        }
        match reader.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // Truncating keeps the allocation; the whole of it is wiped when dropped.
    buf.truncate(len);
    Ok(Some(buf))
}

/// The note a file makes, under a fresh identifier (checked when it is written), or
/// why it makes none.
fn new_note(
    name: &str,
    digest: String,
    bytes: &[u8],
    client: &str,
    actor: &str,
    categories: &[&str],
) -> Result<Note> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::InvalidInput("it is not UTF-8 text".into()))?;
    let parsed = parse_front_matter(text).map_err(Error::InvalidInput)?;
    let date = parsed.date.or_else(|| date_from_name(name)).ok_or_else(|| {
        Error::InvalidInput(
            "it has no session date: add front matter `date: YYYY-MM-DD` or start the file name with the date".into(),
        )
    })?;
    let note_type = parsed.note_type.unwrap_or(NoteType::Individual);
    if note_type != NoteType::Individual {
        return Err(Error::InvalidInput(format!(
            "a {} note has several clients; import imports one client's individual notes (add it with `casevault note add`)",
            note_type.as_str()
        )));
    }
    // Line numbers in errors count from the top of the file.
    // The body is the end of the text, so what comes before it is front matter.
    let front = &text[..text.len() - parsed.body.len()];
    let front_lines = front.matches('\n').count();
    let sections = parse_sections(parsed.body, categories).map_err(|e| e.shifted(front_lines))?;
    Ok(Note {
        id: random_id().into(),
        version: 1,
        clients: vec![client.into()],
        date,
        note_type,
        body: parsed.body.to_owned(),
        sections,
        status: NoteStatus::Draft,
        addenda: Vec::new(),
        written_at: Timestamp::now(),
        written_by: actor.to_owned(),
        source: Some(NoteSource {
            file: name.to_owned(),
            sha256: digest,
        }),
    })
}

impl Session {
    /// Imports every Markdown file of `dir` as an individual note of `client` (or of
    /// the type its front matter says), in batches of at most 500 notes and 64 MiB
    /// per transaction, one audit event per note. Files an earlier import already
    /// holds are skipped, so an interrupted import can simply be run again. A file
    /// that does not parse is reported in [`ImportReport::failed`]; the others still
    /// import.
    ///
    /// # Security
    ///
    /// `dir` is resolved once, following symbolic links like any path; inside it,
    /// only regular files are read, opened without following a link, and at most
    /// 8 MiB of each (the most a note holds, as for `note add`). Every other entry named like a note file (a
    /// symbolic link wherever it points, a FIFO, device, socket or subdirectory, a
    /// file that cannot be opened or is too large) is left unread and listed in
    /// [`ImportReport::skipped`] with the reason. A hard link cannot be told from the
    /// file it names: whoever can write in `dir` chooses what is imported.
    pub fn import_notes(
        &mut self,
        client: &str,
        dir: &Path,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport> {
        let (dir, names) = note_dir(dir)?;
        let actor = self.actor().to_owned();
        // What earlier imports brought in, and the policy's categories, read once.
        let (mut known, categories) = self.access(Action::NoteImportPrepare, |a| {
            a.client(client)?;
            let (_, policy) = a.policy()?;
            let mut known = HashSet::new();
            a.for_each_note_header_page(|notes: Vec<NoteOrigin>| {
                known.extend(
                    notes
                        .into_iter()
                        .filter(|n| n.clients.iter().any(|c| c == client))
                        .filter_map(|n| n.source.map(|s| s.sha256)),
                );
                Ok(())
            })?;
            Ok((known, policy))
        })?;
        let policy = categories;
        let categories: Vec<&str> = policy.categories.iter().map(String::as_str).collect();
        let mut report = ImportReport::default();
        let total = names.len();
        let mut names = names.into_iter();
        let mut done = 0;
        progress(ImportProgress { done, total });
        let ahead = Ahead {
            dir: &dir,
            client,
            actor: &actor,
            categories: &categories,
        };
        let mut pending = (total > 0).then(|| ahead.batch(&mut names, &mut known, None));
        while let Some(batch) = pending.take() {
            done += batch.files;
            report.skipped.extend(batch.skipped);
            report.already_imported.extend(batch.already_imported);
            // While this batch is written (its rows, its events, a durable commit), the
            // next is read, parsed and sealed beside it, under the keys this batch's
            // transaction fetches; its own transaction checks them again.
            let (keys_to, keys_from) = std::sync::mpsc::channel();
            let (written, next) = std::thread::scope(|scope| {
                let next = (done < total).then(|| {
                    let (names, known) = (&mut names, &mut known);
                    scope.spawn(move || ahead.batch(names, known, Some(keys_from)))
                });
                let written =
                    self.write_batch(client, &policy, batch.items, batch.sealed_with, keys_to);
                let next =
                    next.map(|reader| reader.join().expect("reading a batch does not panic"));
                (written, next)
            });
            for ((name, _, _), result) in written? {
                match result {
                    Ok(id) => report.imported.push((name, id)),
                    Err(e) => report.failed.push((name, e.to_string())),
                }
            }
            progress(ImportProgress { done, total });
            pending = next;
        }
        Ok(report)
    }

    /// Writes a batch of notes in one transaction, one audit event each: those sealed
    /// ahead under `sealed_with`, if the transaction's keys are still those, and the
    /// others sealed now, on every core. The keys it fetches are sent to `keys_to`
    /// (for the next batch to be sealed ahead), or `None` when it cannot fetch them.
    fn write_batch(
        &mut self,
        client: &str,
        policy: &Policy,
        items: Vec<Prepared>,
        sealed_with: Option<Arc<NoteKeys>>,
        keys_to: Sender<Option<Arc<NoteKeys>>>,
    ) -> Result<Vec<(Prepared, Result<NoteId>)>> {
        let client_ids = [crate::base::ClientId::from(client)];
        self.access_each(
            Action::NoteImport,
            items,
            |a, items| {
                if !items.iter().any(|(_, note, _)| matches!(note, Some(Ok(_)))) {
                    // Nothing to seal: no key is fetched (nor made) for nothing.
                    let _ = keys_to.send(None);
                    return Ok(());
                }
                // The keys are fetched once, in the transaction. A note that cannot be
                // sealed so (the member may not write notes, a category the policy
                // does not name) is sealed below, one by one, and fails there with the
                // reason, audited as its own event.
                let keys = match a.note_keys(&client_ids, policy) {
                    Ok(keys) => Arc::new(keys),
                    Err(e) => {
                        let _ = keys_to.send(None);
                        return match e {
                            Error::Store(e) => Err(e.into()),
                            _ => Ok(()),
                        };
                    }
                };
                let _ = keys_to.send(Some(keys.clone()));
                let kept = sealed_with.is_some_and(|ahead| ahead.same_as(&keys));
                items.par_iter_mut().for_each(|(_, note, sealed)| {
                    if !kept {
                        *sealed = None;
                    }
                    if let (Some(Ok(note)), None) = (&note, &sealed) {
                        *sealed = keys.seal(note, &mut not_named).ok();
                    }
                });
                Ok(())
            },
            |a, (_, prepared, sealed)| {
                let mut note = prepared.take().expect("each item is handled once")?;
                if a.record_exists(RecordKind::Note, &note.id)? {
                    // The identifier drawn ahead is taken (by an earlier note, or one
                    // earlier in this batch): draw a free one, and seal the note again
                    // under it.
                    note.id = a.new_id(RecordKind::Note)?.into();
                    *sealed = None;
                }
                let sealed = match sealed.take() {
                    Some(sealed) => sealed,
                    None => a.seal_note_with(&note, policy)?,
                };
                a.write_sealed(sealed)?;
                Ok(note.id)
            },
        )
    }
}

/// The key of a category the policy does not name, when notes are sealed ahead: none
/// (such a note is sealed in the transaction, which fetches it or says why not).
fn not_named(_: &str, _: &str) -> Result<(String, Arc<crate::crypto::compartment::DataKey>)> {
    Err(Error::KeyDenied {
        what: "a category the policy does not name".into(),
    })
}

/// What reading a batch ahead needs, shared by every batch of an import.
#[derive(Clone, Copy)]
struct Ahead<'a> {
    dir: &'a OwnedFd,
    client: &'a str,
    actor: &'a str,
    categories: &'a [&'a str],
}

/// A batch of files read, hashed and parsed, and its notes sealed ahead if keys were
/// at hand.
struct Batch {
    /// Files taken from the directory's list for this batch (read or not).
    files: usize,
    skipped: Vec<Skipped>,
    already_imported: Vec<String>,
    items: Vec<Prepared>,
    /// The keys the notes were sealed under, if they were.
    sealed_with: Option<Arc<NoteKeys>>,
}

impl Ahead<'_> {
    /// Reads the next batch of `names`, in order, one file at a time, until the batch
    /// is full by count or by bytes (each file's read is bounded, so the batch's
    /// memory is too); hashes and parses the files on every core, each new note under
    /// an identifier drawn now and checked in the transaction (the files' bytes are
    /// wiped here); then, once `keys` gives the keys of the batch being written
    /// before, seals the notes under them on every core.
    fn batch(
        self,
        names: &mut impl Iterator<Item = OsString>,
        known: &mut HashSet<String>,
        keys: Option<Receiver<Option<Arc<NoteKeys>>>>,
    ) -> Batch {
        let mut batch = Batch {
            files: 0,
            skipped: Vec::new(),
            already_imported: Vec::new(),
            items: Vec::new(),
            sealed_with: None,
        };
        let mut read = Vec::new();
        let mut bytes = 0;
        while read.len() < BATCH && bytes < BATCH_BYTES {
            let Some(name) = names.next() else { break };
            batch.files += 1;
            let file = name.to_string_lossy().into_owned();
            match read_note_file(self.dir, &name) {
                Ok(content) => {
                    bytes += content.len();
                    read.push((file, content));
                }
                Err(reason) => batch.skipped.push(Skipped { file, reason }),
            }
        }
        // Hashing, like parsing and sealing, is each file's own work: it runs on every
        // core; deciding what is new runs in order.
        let read: Vec<FileRead> = read
            .into_par_iter()
            .map(|(file, bytes)| (file, sha256_hex(&bytes), bytes))
            .collect();
        let mut todo = Vec::with_capacity(read.len());
        for (name, digest, bytes) in read {
            // A digest seen before, in an earlier import or earlier in this one, is the
            // same file again.
            if !known.insert(digest.clone()) {
                batch.already_imported.push(name);
            } else {
                todo.push((name, digest, bytes));
            }
        }
        let (client, actor, categories) = (self.client, self.actor, self.categories);
        batch.items = todo
            .into_par_iter()
            .map(|(name, digest, bytes)| {
                let note = new_note(&name, digest, &bytes, client, actor, categories);
                (name, Some(note), None)
            })
            .collect();
        if let Some(keys) = keys.and_then(|k| k.recv().ok().flatten()) {
            batch.items.par_iter_mut().for_each(|(_, note, sealed)| {
                if let Some(Ok(note)) = note {
                    *sealed = keys.seal(note, &mut not_named).ok();
                }
            });
            batch.sealed_with = Some(keys);
        }
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_optional_and_checked() {
        let p = parse_front_matter("---\ndate: 2026-03-01\ntype: individual\n---\nText\n").unwrap();
        assert_eq!(p.date.unwrap().to_string(), "2026-03-01");
        assert_eq!(p.body, "Text\n");
        let p = parse_front_matter("Just text\n").unwrap();
        assert!(p.date.is_none());
        assert!(
            parse_front_matter("---\ndate: 2026-13-01\n---\n")
                .unwrap_err()
                .contains("line 2")
        );
        assert!(
            parse_front_matter("---\nmood: fine\n---\n")
                .unwrap_err()
                .contains("unknown key")
        );
        assert!(
            parse_front_matter("---\ndate: 2026-03-01\n")
                .unwrap_err()
                .contains("closing")
        );
    }

    /// A reader of `len` bytes that counts what is taken from it, handing out at most
    /// `chunk` bytes a call.
    struct Counting {
        len: usize,
        taken: usize,
        chunk: usize,
    }

    impl Read for Counting {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.chunk).min(self.len - self.taken);
            buf[..n].iter_mut().enumerate().for_each(|(i, b)| {
                *b = ((self.taken + i) % 251) as u8;
            });
            self.taken += n;
            Ok(n)
        }
    }

    proptest::proptest! {
        /// Whatever size the file claimed (`expected`), the read returns all of it up
        /// to the limit, refuses it past the limit, and never takes more than the
        /// limit plus one byte.
        #[test]
        fn reads_are_bounded_whatever_the_size_claimed(
            len in 0usize..5000,
            limit in 0usize..3000,
            expected in proptest::prop_oneof![0usize..5000, proptest::strategy::Just(usize::MAX)],
            chunk in 1usize..700,
        ) {
            let mut reader = Counting { len, taken: 0, chunk };
            let read = read_bounded(&mut reader, limit, expected).unwrap();
            proptest::prop_assert!(reader.taken <= limit + 1);
            match read {
                Some(bytes) => {
                    proptest::prop_assert!(len <= limit);
                    proptest::prop_assert_eq!(bytes.len(), len);
                    proptest::prop_assert!(bytes.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
                }
                None => proptest::prop_assert!(len > limit),
            }
        }
    }

    #[test]
    fn dates_come_from_file_names() {
        assert_eq!(
            date_from_name("2026-03-01-session.md").unwrap().to_string(),
            "2026-03-01"
        );
        assert!(date_from_name("notes.md").is_none());
    }
}
