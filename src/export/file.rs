//! Writing an export: the checks on its path, the recipients it is encrypted to, the
//! file written and encrypted a piece at a time ([`ExportFile`]), and the spool that
//! holds the notes until the cover sheet that counts them is written ([`Spool`]).

use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use zeroize::Zeroizing;

use super::options::{ExportEncryption, ExportFormat};
use crate::error::Error;

/// Refuses an output path whose directory does not exist, before any work is done.
pub(crate) fn check_directory(out: &Path) -> Result<(), Error> {
    match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
            Err(Error::NoSuchDirectory(dir.to_owned()))
        }
        _ => Ok(()),
    }
}

/// Refuses an export path where anything is: a file, a directory, a FIFO, or a
/// symbolic link, even one that points nowhere (following it, the export would land
/// wherever the link says, or the rename into place would fail after the disclosure
/// was recorded).
pub(crate) fn check_free(out: &Path) -> Result<(), Error> {
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::InvalidInput(format!(
            "{} is a symbolic link; casevault writes an export only where nothing is: choose a path where no file or link exists",
            out.display()
        ))),
        Ok(_) => Err(Error::InvalidInput(format!(
            "{} already exists; casevault never overwrites a file",
            out.display()
        ))),
        Err(e) => Err(Error::InvalidInput(format!(
            "cannot check {}: {}; choose a path in a directory you can read",
            out.display(),
            e.kind()
        ))),
    }
}

/// Parses the recipients an export is encrypted to.
pub(crate) fn parse_recipients(
    keys: &[String],
) -> Result<Vec<Box<dyn age::Recipient + Send>>, Error> {
    if keys.is_empty() {
        return Err(Error::InvalidInput(
            "an encrypted export needs at least one recipient".into(),
        ));
    }
    keys.iter()
        .map(|key| {
            let key = key.trim();
            if let Ok(r) = age::x25519::Recipient::from_str(key) {
                Ok(Box::new(r) as Box<dyn age::Recipient + Send>)
            } else if let Ok(r) = age::ssh::Recipient::from_str(key) {
                Ok(Box::new(r) as Box<dyn age::Recipient + Send>)
            } else {
                Err(Error::InvalidInput(
                    "the recipient key is neither an age public key (age1…) nor an SSH public key (ssh-ed25519 … or ssh-rsa …)".into(),
                ))
            }
        })
        .collect()
}

/// Where an export's bytes go: straight to the file, or through age.
enum Sink {
    Plain(std::io::BufWriter<std::fs::File>),
    Age(age::stream::StreamWriter<std::io::BufWriter<std::fs::File>>),
}

/// An export being written, a piece at a time: a private (0600) temporary file in the
/// destination's directory, encrypted as the options say as it is written. It
/// appears under its name only when [`Written::persist`] renames it, and is removed
/// if dropped before.
pub(crate) struct ExportFile {
    out: std::path::PathBuf,
    dir: std::path::PathBuf,
    partial: tempfile::NamedTempFile,
    sink: Sink,
}

/// An export written and synced, still under its temporary name.
pub(crate) struct Written {
    out: std::path::PathBuf,
    dir: std::path::PathBuf,
    partial: tempfile::NamedTempFile,
}

fn write_error(out: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    // The kind only: the error's own text can name casevault's temporary file.
    move |e| Error::InvalidInput(format!("cannot write {}: {}", out.display(), e.kind()))
}

impl ExportFile {
    /// Starts an export to `out`, which must not exist.
    pub(crate) fn create(out: &Path, encryption: &ExportEncryption) -> Result<Self, Error> {
        let io = write_error(out);
        check_free(out)?;
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => std::path::PathBuf::from("."),
        };
        let encryptor = match encryption {
            ExportEncryption::Plaintext => None,
            ExportEncryption::Passphrase(passphrase) => {
                Some(age::Encryptor::with_user_passphrase(passphrase.clone()))
            }
            ExportEncryption::Recipients(keys) => {
                let recipients = parse_recipients(keys)?;
                Some(
                    age::Encryptor::with_recipients(
                        recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient),
                    )
                    .map_err(|e| {
                        Error::InvalidInput(format!("cannot encrypt to these recipients: {e}"))
                    })?,
                )
            }
        };
        // tempfile creates the file 0600; the rename in `persist` makes it appear
        // complete.
        let partial = tempfile::Builder::new()
            .prefix(".casevault-export-")
            .tempfile_in(&dir)
            .map_err(&io)?;
        let file = std::io::BufWriter::new(partial.as_file().try_clone().map_err(&io)?);
        let sink = match encryptor {
            None => Sink::Plain(file),
            Some(encryptor) => Sink::Age(encryptor.wrap_output(file).map_err(&io)?),
        };
        Ok(ExportFile {
            out: out.to_owned(),
            dir,
            partial,
            sink,
        })
    }

    /// Writes the next bytes of the rendered bundle.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let io = write_error(&self.out);
        match &mut self.sink {
            Sink::Plain(w) => w.write_all(bytes).map_err(io),
            Sink::Age(w) => w.write_all(bytes).map_err(io),
        }
    }

    /// Ends the encryption and syncs the file, still under its temporary name.
    pub(crate) fn finish(self) -> Result<Written, Error> {
        let done = || -> std::io::Result<()> {
            let mut file = match self.sink {
                Sink::Plain(w) => w,
                Sink::Age(w) => w.finish()?,
            };
            file.flush()?;
            drop(file);
            self.partial.as_file().sync_all()
        };
        done().map_err(write_error(&self.out))?;
        Ok(Written {
            out: self.out,
            dir: self.dir,
            partial: self.partial,
        })
    }
}

/// Notes waiting for the cover sheet, which comes first but counts what every note
/// leaves behind: one record per note, in order, in the form [`super::spooled_note`]
/// gives (Markdown as it is written; JSON as serde_json's compact text, read back
/// into a note when the bundle is serialized). Kept in memory up to [`Spool::KEPT`]
/// bytes; beyond that, everything goes to an unnamed temporary file in the export's
/// directory (removed by the system when closed, even after a crash), encrypted with
/// age to an X25519 key made for this export and never stored, each record after its
/// length.
pub(crate) struct Spool {
    dir: std::path::PathBuf,
    format: ExportFormat,
    notes: usize,
    memory: Vec<Zeroizing<Vec<u8>>>,
    bytes: usize,
    kept: usize,
    file: Option<(
        age::x25519::Identity,
        age::stream::StreamWriter<std::io::BufWriter<std::fs::File>>,
    )>,
}

impl Spool {
    /// Bytes kept in memory before the spool moves to a file.
    const KEPT: usize = 4 * 1024 * 1024;

    /// A spool for an export to `out`, in `format`.
    pub(crate) fn new(out: &Path, format: ExportFormat) -> Self {
        Spool {
            dir: match out.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                _ => std::path::PathBuf::from("."),
            },
            format,
            notes: 0,
            memory: Vec::new(),
            bytes: 0,
            kept: Self::KEPT,
            file: None,
        }
    }

    /// The same spool, moving to its file past `bytes` in memory.
    #[cfg(test)]
    pub(super) fn keeping(mut self, bytes: usize) -> Self {
        self.kept = bytes;
        self
    }

    /// The format of the notes it holds.
    pub(crate) fn format(&self) -> ExportFormat {
        self.format
    }

    /// How many notes it holds.
    pub(crate) fn len(&self) -> usize {
        self.notes
    }

    fn io(&self) -> impl Fn(std::io::Error) -> Error + '_ {
        move |e| {
            Error::InvalidInput(format!(
                "cannot write a temporary file in {}: {e}",
                self.dir.display()
            ))
        }
    }

    /// Adds the next note, in the form [`super::spooled_note`] gives.
    pub(crate) fn push(&mut self, note: Zeroizing<Vec<u8>>) -> Result<(), Error> {
        if self.file.is_none() && self.bytes + note.len() > self.kept {
            let identity = age::x25519::Identity::generate();
            let recipient = identity.to_public();
            let encryptor =
                age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                    .expect("one X25519 recipient is a valid recipient set");
            let file = tempfile::tempfile_in(&self.dir).map_err(self.io())?;
            let mut writer = encryptor
                .wrap_output(std::io::BufWriter::new(file))
                .map_err(self.io())?;
            for record in self.memory.drain(..) {
                write_record(&mut writer, &record)?;
            }
            self.bytes = 0;
            self.file = Some((identity, writer));
        }
        self.notes += 1;
        match &mut self.file {
            Some((_, writer)) => write_record(writer, &note),
            None => {
                self.bytes += note.len();
                self.memory.push(note);
                Ok(())
            }
        }
    }

    /// The notes pushed, in order, each read back into a buffer wiped on drop.
    pub(crate) fn into_notes(mut self) -> Result<SpooledNotes, Error> {
        let Some((identity, writer)) = self.file.take() else {
            return Ok(SpooledNotes::Memory(
                std::mem::take(&mut self.memory).into_iter(),
            ));
        };
        let mut file = writer
            .finish()
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
            .map_err(read_error)?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0)).map_err(read_error)?;
        let reader = age::Decryptor::new_buffered(std::io::BufReader::new(file))
            .and_then(|d| d.decrypt(std::iter::once(&identity as &dyn age::Identity)))
            .map_err(|e| read_error(std::io::Error::other(e)))?;
        Ok(SpooledNotes::File {
            reader: Box::new(reader),
            left: self.notes,
        })
    }
}

/// One record of the spool's file: its length, then its bytes.
fn write_record(writer: &mut impl Write, record: &[u8]) -> Result<(), Error> {
    let length = u64::try_from(record.len()).expect("a buffer's length fits in 64 bits");
    writer
        .write_all(&length.to_le_bytes())
        .and_then(|()| writer.write_all(record))
        .map_err(|e| Error::InvalidInput(format!("cannot write a temporary file: {e}")))
}

fn read_error(e: std::io::Error) -> Error {
    Error::InvalidInput(format!("cannot read back a temporary file: {e}"))
}

/// The notes of a [`Spool`], read back in the order they were pushed.
pub(crate) enum SpooledNotes {
    /// Kept in memory.
    Memory(std::vec::IntoIter<Zeroizing<Vec<u8>>>),
    /// Read back from the spool's file: `left` records to go.
    File {
        reader: Box<age::stream::StreamReader<std::io::BufReader<std::fs::File>>>,
        left: usize,
    },
}

impl Iterator for SpooledNotes {
    type Item = Result<Zeroizing<Vec<u8>>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            SpooledNotes::Memory(notes) => notes.next().map(Ok),
            SpooledNotes::File { left: 0, .. } => None,
            SpooledNotes::File { reader, left } => {
                *left -= 1;
                let mut length = [0u8; 8];
                let record = std::io::Read::read_exact(reader, &mut length).and_then(|()| {
                    // The file is this export's own, authenticated by age: the length
                    // is one this spool wrote.
                    let length = usize::try_from(u64::from_le_bytes(length))
                        .map_err(std::io::Error::other)?;
                    let mut record = Zeroizing::new(vec![0u8; length]);
                    std::io::Read::read_exact(reader, &mut record)?;
                    Ok(record)
                });
                if record.is_err() {
                    // Nothing after a failure is read.
                    *left = 0;
                }
                Some(record.map_err(read_error))
            }
        }
    }
}

impl Written {
    /// Renames the file into place, never replacing an existing file, and syncs the
    /// directory. Called after the disclosure's transaction has committed. On failure
    /// (something appeared at the path meanwhile) the staged file is removed: no copy
    /// of what was to leave stays behind under another name.
    pub(crate) fn publish(self) -> Result<(), Error> {
        let out = &self.out;
        match self.partial.persist_noclobber(out) {
            Ok(_) => {
                if let Ok(d) = std::fs::File::open(&self.dir) {
                    let _ = d.sync_all();
                }
                Ok(())
            }
            Err(e) => {
                let kind = e.error.kind();
                // Dropping the temporary file removes it.
                drop(e.file);
                Err(Error::InvalidInput(format!(
                    "the disclosure was recorded in the accounting, but {} could not be created ({kind}), so nothing was written; run the disclosure again with --out naming a path where nothing exists",
                    out.display(),
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spool_gives_back_what_it_was_given_from_memory_or_from_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let notes: Vec<Vec<u8>> = (0..40)
            .map(|i| format!("{{\"note\":{i},\"text\":\"{}\"}}", "x".repeat(i)).into_bytes())
            .chain([Vec::new()])
            .collect();
        for kept in [usize::MAX, 100, 0] {
            let mut spool = Spool::new(&dir.path().join("export.json"), ExportFormat::Json);
            spool.kept = kept;
            for note in &notes {
                spool.push(Zeroizing::new(note.clone())).unwrap();
            }
            assert_eq!(spool.file.is_some(), kept != usize::MAX);
            assert_eq!(spool.len(), notes.len());
            let back: Vec<Vec<u8>> = spool
                .into_notes()
                .unwrap()
                .map(|n| n.unwrap().to_vec())
                .collect();
            assert_eq!(back, notes, "kept {kept}");
        }
        // The spool's file has no name: nothing is left in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
