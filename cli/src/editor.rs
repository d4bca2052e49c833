//! Writing a note in the user's own editor (`$VISUAL`, then `$EDITOR`, then `vi`)
//! without its text reaching a disk.
//!
//! The text is handed to the editor in a file of its own (mode 0600) in a private
//! directory (mode 0700) on a memory-backed file system: `CASEVAULT_EDIT_DIR` if set,
//! else `$XDG_RUNTIME_DIR`, else `/dev/shm`. Where none of them is memory-backed the
//! user is warned before anything is written, and asked; without a terminal to ask on,
//! nothing is written. Vim, Neovim, nano and Emacs are started with their swap, backup,
//! undo and history files off; whatever an editor leaves in the directory anyway is
//! overwritten and removed with the directory when the editor exits.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{IsTerminal, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::bounded;
use crate::error::CliError;

/// File systems whose files live in memory: tmpfs and ramfs.
const MEMORY_FS: [u64; 2] = [0x0102_1994, 0x8584_58f6];

/// The name of the file the editor sees (a Markdown extension for its highlighting).
const FILE_NAME: &str = "note.md";

/// Opens the editor on `initial` and returns the text as saved.
pub fn edit(initial: &str) -> Result<Zeroizing<String>, CliError> {
    let editor = editor_command();
    let base = scratch_base()?;
    let scratch = Scratch::new(&base)?;
    scratch.write(initial)?;
    // No CASEVAULT_* variable (the passphrase among them) reaches the editor, its
    // plugins or anything they start.
    let mut command = crate::child::command("sh");
    command
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg("casevault-editor")
        .args(quiet_flags(&editor))
        .arg(&scratch.file);
    // The editor talks to the terminal even when our output goes to a pipe or a file.
    if let Ok(tty) = OpenOptions::new().read(true).write(true).open("/dev/tty")
        && let Ok(input) = tty.try_clone()
    {
        command.stdin(input).stdout(tty);
    }
    let status = command.status().map_err(|e| {
        CliError::input(
            format!("cannot start the editor `{editor}`: {e}"),
            "set VISUAL or EDITOR to an editor that waits until you close the file",
        )
    })?;
    if !status.success() {
        return Err(CliError::input(
            format!("the editor `{editor}` exited with {status}; nothing was saved"),
            "run the command again, and save and quit the editor normally",
        ));
    }
    scratch.read()
}

/// Asks a yes/no question on the terminal; `default` is the answer to an empty line.
pub fn ask(question: &str, default: bool) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let Ok(Some(line)) = bounded::read_line(bounded::Input::Text("answer")) else {
        return false;
    };
    match line.trim().to_ascii_lowercase().as_str() {
        "" => default,
        "y" | "yes" => true,
        _ => false,
    }
}

fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|var| std::env::var(var).ok())
        .find(|value| !value.trim().is_empty())
        .unwrap_or_else(|| "vi".to_owned())
}

/// Flags that keep an editor from writing copies of the text elsewhere: swap, backup,
/// undo and history files. Only for editors known to take them.
fn quiet_flags(editor: &str) -> Vec<&'static str> {
    let program = editor.split_whitespace().next().unwrap_or_default();
    let mut name = file_name(Path::new(program));
    if name == "vi" || name == "view" {
        // `vi` is often Vim under another name; plain vi takes none of Vim's flags.
        if let Some(target) = find_in_path(program).and_then(|p| fs::canonicalize(p).ok()) {
            name = file_name(&target);
        }
    }
    if name.starts_with("vim") || name.starts_with("nvim") || name.starts_with("gvim") {
        let mut flags = vec![
            "-n",
            "-i",
            "NONE",
            "--cmd",
            "set nobackup nowritebackup noundofile",
        ];
        if name.starts_with("gvim") {
            flags.push("-f");
        }
        flags
    } else if name.starts_with("nano") {
        // A user's nanorc may turn backups on, and keeps search history.
        vec!["--ignorercfiles"]
    } else if name.starts_with("emacs") {
        vec![
            "--eval",
            "(setq make-backup-files nil auto-save-default nil create-lockfiles nil)",
        ]
    } else {
        Vec::new()
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn is_memory_backed(dir: &Path) -> bool {
    dir.is_dir()
        && rustix::fs::statfs(dir)
            .map(|fs| MEMORY_FS.contains(&(fs.f_type as u64)))
            .unwrap_or(false)
}

/// Where the private directory goes: the first memory-backed candidate, else, once
/// the user has agreed on the terminal, the temporary directory on disk.
fn scratch_base() -> Result<PathBuf, CliError> {
    let chosen: Option<PathBuf> = std::env::var_os("CASEVAULT_EDIT_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let candidates: Vec<PathBuf> = match &chosen {
        Some(dir) => vec![dir.clone()],
        None => [
            std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()),
            Some(OsString::from("/dev/shm")),
        ]
        .into_iter()
        .flatten()
        .map(PathBuf::from)
        .collect(),
    };
    if let Some(dir) = candidates.iter().find(|d| is_memory_backed(d)) {
        return Ok(dir.clone());
    }
    let fallback = chosen.unwrap_or_else(std::env::temp_dir);
    crate::output::eout!(
        "warning: no memory-backed directory for the note's temporary file; it would be written to disk in {}, where deleted text can be recovered",
        fallback.display()
    );
    if ask("Write it there anyway? [y/N] ", false) {
        return Ok(fallback);
    }
    Err(CliError::input(
        format!(
            "refused to write the note's text to disk in {}; nothing was written",
            fallback.display()
        ),
        "set CASEVAULT_EDIT_DIR to a memory-backed (tmpfs) directory, or give the text with --file or on standard input",
    ))
}

/// The private directory and the file in it; both are wiped and removed on drop,
/// with whatever else the editor left there.
struct Scratch {
    dir: Option<tempfile::TempDir>,
    file: PathBuf,
}

impl Scratch {
    fn new(base: &Path) -> Result<Self, CliError> {
        let cannot = |e: std::io::Error| {
            CliError::input(
                format!("cannot make a private directory in {}: {e}", base.display()),
                "check that the directory exists and is writable, or set CASEVAULT_EDIT_DIR",
            )
        };
        let dir = tempfile::Builder::new()
            .prefix("casevault-edit-")
            .permissions(fs::Permissions::from_mode(0o700))
            .tempdir_in(base)
            .map_err(cannot)?;
        let file = dir.path().join(FILE_NAME);
        Ok(Scratch {
            dir: Some(dir),
            file,
        })
    }

    fn write(&self, text: &str) -> Result<(), CliError> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&self.file)
            .and_then(|mut f| f.write_all(text.as_bytes()).map(|()| f))
            .map_err(|e| {
                CliError::input(
                    format!("cannot write {}: {e}", self.file.display()),
                    "check the space left in that directory, or set CASEVAULT_EDIT_DIR",
                )
            })?;
        let _ = f.flush();
        Ok(())
    }

    fn read(&self) -> Result<Zeroizing<String>, CliError> {
        let bytes = bounded::read(bounded::Source::File(&self.file), bounded::Input::Note)
            .map_err(|e| {
                e.with_hint(
                    "nothing was saved; split the text into several notes, or save the file under the name the editor opened",
                )
            })?;
        bounded::into_text(bytes).ok_or_else(|| {
            CliError::input(
                "the edited note is not UTF-8 text; nothing was saved",
                "set the editor's file encoding to UTF-8 and run the command again",
            )
        })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let Some(dir) = self.dir.take() else { return };
        let mut leftovers = Vec::new();
        wipe_tree(dir.path(), &self.file, &mut leftovers);
        if !leftovers.is_empty() {
            crate::output::eout!(
                "note: removed the editor's leftover files: {}",
                leftovers.join(", ")
            );
        }
        if let Err(e) = dir.close() {
            crate::output::eout!(
                "warning: could not remove the editor's temporary directory: {e}; delete it by hand"
            );
        }
    }
}

/// Overwrites every file under `dir` with zeros before the directory is removed.
fn wipe_tree(dir: &Path, ours: &Path, leftovers: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if path != ours {
            leftovers.push(file_name(&path));
        }
        if meta.is_dir() {
            wipe_tree(&path, ours, leftovers);
        } else if meta.is_file() {
            if let Ok(mut f) = OpenOptions::new().write(true).open(&path) {
                let zeros = [0u8; 4096];
                let mut left = meta.len();
                while left > 0 {
                    let n = left.min(zeros.len() as u64);
                    if f.write_all(&zeros[..n as usize]).is_err() {
                        break;
                    }
                    left -= n;
                }
                let _ = f.sync_data();
            }
            let _ = fs::remove_file(&path);
        }
    }
}
