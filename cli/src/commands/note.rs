//! Session notes: `note add`, `show`, `list`, `edit`, `sign`, `amend` and `import`, and
//! `search` over them.

use std::io::IsTerminal;
use std::path::Path;

use casevault::{Error, NewNote, NoteStatus};
use zeroize::Zeroizing;

use super::{client_id, client_ids, not_in_future, unlock};
use crate::bounded;
use crate::cli::{Cli, NoteAddArgs, NoteCommand};
use crate::editor;
use crate::error::CliError;
use crate::output::Printer;
use crate::private_input;
use crate::progress::{self, Working};

pub fn run(cli: &Cli, command: &NoteCommand, out: &Printer) -> Result<(), CliError> {
    match command {
        NoteCommand::Add(args) => add(cli, args, out),
        NoteCommand::Show { id, version } => show(cli, id, *version, out),
        NoteCommand::List { client } => list(cli, client, out),
        NoteCommand::Edit {
            id,
            file,
            edit: use_editor,
        } => edit(cli, id, file.as_deref(), *use_editor, out),
        NoteCommand::Sign { id } => sign(cli, id, out),
        NoteCommand::Amend { id, file, edit } => amend(cli, id, file.as_deref(), *edit, out),
        NoteCommand::Import { client, dir } => import(cli, client, dir, out),
    }
}

fn add(cli: &Cli, args: &NoteAddArgs, out: &Printer) -> Result<(), CliError> {
    // Before the editor opens or the passphrase is asked for.
    not_in_future(args.date, "session date", args.allow_future)?;
    let source = BodySource::choose(args.file.as_deref(), args.edit)?;
    let mut session = unlock(cli)?;
    // Before the editor opens: a name that matches no client, or several, loses no typing.
    let clients = client_ids(&mut session, &args.clients)?;
    let id = source.save(
        String::new(),
        "casevault note add --client ID --date DATE --file FILE",
        |body| {
            session.add_note(NewNote {
                clients: clients.clone(),
                date: args.date,
                note_type: args.note_type.map(Into::into),
                body: body.to_owned(),
            })
        },
    )?;
    match id {
        Some(id) => out.id(&id),
        None => out.done("no text; no note was added"),
    }
    Ok(())
}

fn show(cli: &Cli, id: &str, version: Option<u32>, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let note = match version {
        Some(v) => session.note_version(id, v)?,
        None => session.note(id)?,
    };
    out.note(&note);
    Ok(())
}

fn list(cli: &Cli, client: &str, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let client = client_id(&mut session, client)?;
    out.notes(&session.notes_for_client(&client)?);
    Ok(())
}

fn edit(
    cli: &Cli,
    id: &str,
    file: Option<&Path>,
    use_editor: bool,
    out: &Printer,
) -> Result<(), CliError> {
    // On a terminal, with no --file, the current text opens in the editor.
    let on_terminal = file.is_none() && std::io::stdin().is_terminal();
    let source = BodySource::choose(file, use_editor || on_terminal)?;
    let mut session = unlock(cli)?;
    let current = match source {
        BodySource::Editor => {
            // Refused before any typing, not after.
            let mut note = session.note(id)?;
            if matches!(note.status, NoteStatus::Signed { .. }) {
                return Err(Error::NoteSigned(id.to_owned()).into());
            }
            std::mem::take(&mut note.body)
        }
        BodySource::Given(_) => String::new(),
    };
    match source.save(
        current,
        &format!("casevault note edit {id} --file FILE"),
        |body| session.edit_note(id, body),
    )? {
        Some(version) => out.version(id, version, "edited"),
        None => out.done("the text is unchanged or empty; the note was not edited"),
    }
    Ok(())
}

fn sign(cli: &Cli, id: &str, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let version = session.sign_note(id)?;
    out.version(id, version, "signed");
    Ok(())
}

fn amend(
    cli: &Cli,
    id: &str,
    file: Option<&Path>,
    use_editor: bool,
    out: &Printer,
) -> Result<(), CliError> {
    let source = BodySource::choose(file, use_editor)?;
    let mut session = unlock(cli)?;
    if matches!(source, BodySource::Editor) && matches!(session.note(id)?.status, NoteStatus::Draft)
    {
        return Err(Error::NoteNotSigned(id.to_owned()).into());
    }
    match source.save(
        String::new(),
        &format!("casevault note amend {id} --file FILE"),
        |body| session.amend_note(id, body),
    )? {
        Some(version) => out.version(id, version, "amended"),
        None => out.done("no text; no addendum was added"),
    }
    Ok(())
}

fn import(cli: &Cli, client: &str, dir: &Path, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let client = client_id(&mut session, client)?;
    let bar = progress::import_bar();
    let report = session.import_notes(&client, dir, &mut |p| {
        if let Some(bar) = &bar {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    out.import(&report);
    let left = report.failed.len() + report.skipped.len();
    if left > 0 {
        return Err(CliError::input(
            format!("{left} file(s) could not be imported (listed above); the others were"),
            if report.skipped.is_empty() {
                "fix those files and run the same import again: what is already imported is skipped"
            } else {
                "import reads only regular files of at most 8 MiB inside the directory: copy the notes themselves in (split larger ones), fix the others, and run the same import again: what is already imported is skipped"
            },
        ));
    }
    Ok(())
}

pub fn search(
    cli: &Cli,
    query: Option<&str>,
    client: Option<&str>,
    out: &Printer,
) -> Result<(), CliError> {
    let query = match query {
        Some(query) => Zeroizing::new(query.to_owned()),
        None => private_input::query()?,
    };
    let mut session = unlock(cli)?;
    let client = client.map(|c| client_id(&mut session, c)).transpose()?;
    let working = Working::start("searching every note");
    let hits = session.search(&query, client.as_deref());
    drop(working);
    out.hits(&hits?);
    Ok(())
}

/// Reads a note body from a file, or from standard input, at most
/// [`casevault::MAX_NOTE_BYTES`].
fn read_body(file: Option<&Path>) -> Result<Zeroizing<String>, CliError> {
    let source = match file {
        Some(path) => bounded::Source::File(path),
        None => {
            if std::io::stdin().is_terminal() {
                eprintln!("Type the note (Markdown), then Ctrl-D on a line of its own:");
            }
            bounded::Source::Stdin
        }
    };
    let bytes = bounded::read(source, bounded::Input::Note)?;
    bounded::into_text(bytes).ok_or_else(|| {
        CliError::input(
            match file {
                Some(path) => format!("the note in {} is not UTF-8 text", path.display()),
                None => "the note on standard input is not UTF-8 text".into(),
            },
            "pass --file FILE, or pipe UTF-8 Markdown in",
        )
    })
}

/// Where a note's text comes from: already read (a file or standard input), or the
/// user's editor once the vault is unlocked.
enum BodySource {
    Given(Zeroizing<String>),
    Editor,
}

impl BodySource {
    /// The editor (`editor`), or the text of `file` or standard input, read now: before
    /// unlocking, so that a typo in the file path costs no KDF. Text from the editor is
    /// written after, so that a wrong passphrase loses none.
    fn choose(file: Option<&Path>, editor: bool) -> Result<BodySource, CliError> {
        Ok(if editor {
            BodySource::Editor
        } else {
            BodySource::Given(read_body(file)?)
        })
    }

    /// Saves the text with `save`. From the editor (opened on `initial`), empty or
    /// unchanged text saves nothing (`None`), and a note the vault refuses as malformed
    /// can be edited again when there is a terminal to ask on; otherwise the error says
    /// that the text is discarded and how to give it instead (`with_file`: the
    /// command with `--file FILE`).
    fn save<T>(
        &self,
        initial: String,
        with_file: &str,
        mut save: impl FnMut(&str) -> Result<T, Error>,
    ) -> Result<Option<T>, CliError> {
        let mut text = Zeroizing::new(initial);
        let initial = text.clone();
        match self {
            BodySource::Given(body) => save(body).map(Some).map_err(Into::into),
            BodySource::Editor => loop {
                text = editor::edit(&text)?;
                if text.trim().is_empty() || *text == *initial {
                    return Ok(None);
                }
                match save(&text) {
                    Ok(saved) => return Ok(Some(saved)),
                    Err(e @ Error::NoteBody(_)) => {
                        let e = CliError::from(e);
                        let on_terminal = std::io::stdin().is_terminal();
                        if on_terminal {
                            // The line and the problem; the editor reopens on the text.
                            eprintln!("{}", e.message());
                        }
                        if !on_terminal || !editor::ask("Edit it again? [Y/n] ", true) {
                            return Err(e.with_hint(&if on_terminal {
                                format!(
                                    "nothing was saved and the text from the editor is discarded; run the command again to write it anew, or write the text into a file and run `{with_file}`"
                                )
                            } else {
                                format!(
                                    "nothing was saved and the text from the editor is discarded (no terminal to reopen the editor on); run the command in a terminal to correct it in the editor, or write the text into a file and run `{with_file}`"
                                )
                            }));
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            },
        }
    }
}
