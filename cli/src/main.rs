//! The `casevault` command: argument parsing, secret input, printing and exit codes.
//! All vault work is done by the library.

#![forbid(unsafe_code)]

mod bounded;
mod child;
mod cli;
mod demo;
mod editor;
mod error;
mod output;
mod private_input;
mod secrets;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use casevault::{
    ConsentRecipient, Date, DisclosureRequest, Error, ExceptionRequest, ExportEncryption,
    ExportFormat, ExportOptions, KdfParams, NewClient, NewConsent, NewNote, NoteStatus,
    RecoveryCode, Session, Vault,
};
use clap::{CommandFactory, Parser};
use secrecy::SecretString;
use zeroize::Zeroizing;

use cli::{
    AuditCommand, Cli, ClientCommand, Command, ConsentCommand, DiscloseArgs, FormatArg, KdfArgs,
    NoteCommand, PolicyCommand,
};
use error::CliError;
use output::{Printer, eout};

fn main() -> ExitCode {
    // Before any secret is read: no core dumps, no ptrace or /proc/PID/mem by others.
    if let Err(e) = casevault::harden_process() {
        let e = CliError::from(e);
        eprintln!("{e}");
        return ExitCode::from(e.code() as u8);
    }
    let cli = Cli::parse();
    let out = Printer::new(cli.json);
    let result = run(cli, &out);
    // Whatever was printed before an error is still shown (a denied decision, say).
    if let Err(e) = out.flush()
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        // A reader that stopped early (`| head`) is not an error; anything else is.
        eout!("error: cannot write the output: {e}");
        return ExitCode::from(error::exit::ERROR as u8);
    }
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.code() as u8)
        }
    }
}

/// A spinner with the time elapsed, on standard error when it is a terminal, for the
/// operations that read the whole vault (search, `audit verify`, `disclose`); it is
/// cleared when dropped.
struct Working(Option<indicatif::ProgressBar>);

impl Working {
    fn start(what: &str) -> Working {
        Working(std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.set_message(what.to_owned());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        }))
    }
}

impl Drop for Working {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// `Session::disclose` with a spinner.
fn disclose_working(
    session: &mut Session,
    request: &DisclosureRequest,
    options: &ExportOptions,
) -> Result<casevault::Disclosure, Error> {
    let _working = Working::start("deciding, redacting and writing the export");
    session.disclose(request, Date::today(), options)
}

/// Who is acting, for the audit trail.
fn actor() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

fn vault_path(cli: &Cli) -> Result<PathBuf, CliError> {
    if let Some(path) = &cli.vault {
        return Ok(path.clone());
    }
    let dirs = directories::ProjectDirs::from("", "", "casevault").ok_or_else(|| {
        CliError::usage(
            "cannot find a data directory for the default vault",
            "pass --vault PATH or set CASEVAULT_VAULT",
        )
    })?;
    Ok(dirs.data_dir().join("vault.casevault"))
}

fn passphrase(cli: &Cli, vault: &Path) -> Result<SecretString, CliError> {
    secrets::read_secret(
        "passphrase",
        cli.passphrase_file.as_deref(),
        "CASEVAULT_PASSPHRASE",
        &format!("Passphrase for {}: ", vault.display()),
        false,
    )
}

fn new_passphrase(file: Option<&Path>) -> Result<SecretString, CliError> {
    let new = secrets::read_secret(
        "new passphrase",
        file,
        "CASEVAULT_NEW_PASSPHRASE",
        "New passphrase: ",
        true,
    )?;
    secrets::check_new_passphrase(&new)?;
    Ok(new)
}

fn kdf_params(args: &KdfArgs) -> KdfParams {
    KdfParams {
        memory_kib: args.kdf_memory_mib.saturating_mul(1024),
        iterations: args.kdf_iterations,
        lanes: args.kdf_lanes,
    }
}

/// Opens and unlocks the vault, telling the user about failed unlocks since the last one.
fn unlock(cli: &Cli) -> Result<Session, CliError> {
    let path = vault_path(cli)?;
    let vault = Vault::open(&path)?;
    let pass = passphrase(cli, &path)?;
    let session = vault.unlock(&pass, &actor())?;
    warn_failed_unlocks(&session);
    Ok(session)
}

fn warn_failed_unlocks(session: &Session) {
    let failed = session.failed_unlocks();
    if let (Some(first), Some(last)) = (failed.first(), failed.last()) {
        eout!(
            "warning: {} failed unlock attempt(s) since the last unlock, from {} to {}; they are in the audit log",
            failed.len(),
            first.at,
            last.at
        );
    }
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

fn run(cli: Cli, out: &Printer) -> Result<u8, CliError> {
    match &cli.command {
        Command::Init(kdf) => {
            let path = vault_path(&cli)?;
            let pass = secrets::read_secret(
                "passphrase",
                cli.passphrase_file.as_deref(),
                "CASEVAULT_PASSPHRASE",
                &format!("New passphrase for {}: ", path.display()),
                true,
            )?;
            secrets::check_new_passphrase(&pass)?;
            // Only once the passphrase is acceptable: a refused init leaves nothing.
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                create_private_dir(dir)?;
            }
            let (session, code) = Vault::create(&path, &pass, kdf_params(kdf), &actor())?;
            out.init(&path, &session.vault_id(), &code);
            drop(session);
            if let Err(e) = out.flush() {
                // A vault whose recovery code nobody saw must not stay behind.
                let _ = std::fs::remove_file(&path);
                return Err(CliError::input(
                    format!("cannot print the recovery code ({e}); the new vault was removed"),
                    "run `casevault init` again with its output going to a terminal or a file",
                ));
            }
        }
        Command::Passwd(args) => {
            let path = vault_path(&cli)?;
            let vault = Vault::open(&path)?;
            let current = passphrase(&cli, &path)?;
            let mut session = vault.unlock(&current, &actor())?;
            warn_failed_unlocks(&session);
            let new = new_passphrase(args.new_passphrase_file.as_deref())?;
            session.change_passphrase(&current, &new, None)?;
            out.done("passphrase changed; the recovery code still works");
        }
        Command::Recover {
            recovery_code_file,
            new,
        } => {
            let path = vault_path(&cli)?;
            let vault = Vault::open(&path)?;
            let typed = secrets::read_secret(
                "recovery code",
                recovery_code_file.as_deref(),
                "CASEVAULT_RECOVERY_CODE",
                "Recovery code: ",
                false,
            )?;
            let code = RecoveryCode::parse(&typed);
            let new = new_passphrase(new.new_passphrase_file.as_deref())?;
            let session = vault.recover(&code, &new, None, &actor())?;
            warn_failed_unlocks(&session);
            out.done("new passphrase set; the recovery code still works");
        }
        Command::Client(ClientCommand::Add {
            name,
            dob,
            contact,
            third_parties,
        }) => {
            // A profile on standard input is read (and checked) before unlocking; one
            // typed at the terminal after, so that a wrong passphrase loses no typing.
            let given = match name {
                Some(name) => Some(NewClient {
                    name: name.clone(),
                    date_of_birth: *dob,
                    contact: contact.clone(),
                    third_parties: third_parties.clone(),
                }),
                None if dob.is_some() || contact.is_some() || !third_parties.is_empty() => {
                    return Err(CliError::usage(
                        "--dob, --contact and --third-party go with --name",
                        "give the whole profile one way: run `casevault client add` alone to be asked for each field, or give it on standard input as `field: value` lines",
                    ));
                }
                None if std::io::stdin().is_terminal() => None,
                None => Some(private_input::profile_from_stdin()?),
            };
            let mut session = unlock(&cli)?;
            let new = match given {
                Some(new) => new,
                None => private_input::ask_profile()?,
            };
            out.id(&session.add_client(new)?);
        }
        Command::Client(command) => {
            let mut session = unlock(&cli)?;
            match command {
                // Handled above, before this match.
                ClientCommand::Add { .. } => {}
                ClientCommand::List => out.clients(&session.list_clients()?),
                ClientCommand::Show { id } => out.client(&session.client_details(id)?),
            }
        }
        Command::Note(NoteCommand::Import { client, dir }) => {
            let mut session = unlock(&cli)?;
            let bar = std::io::stderr().is_terminal().then(|| {
                let bar = indicatif::ProgressBar::new(0);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "importing {bar:40} {pos}/{len} files ({eta} left)",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            });
            let report = session.import_notes(client, dir, &mut |p| {
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
        }
        Command::Note(command) => {
            if let NoteCommand::Add {
                date, allow_future, ..
            } = command
            {
                // Before the editor opens or the passphrase is asked for.
                not_in_future(*date, "session date", *allow_future)?;
            }
            // Read the body before unlocking, so a typo in the file path costs no KDF;
            // text from the editor is written after, so a wrong passphrase loses none.
            let source = match command {
                NoteCommand::Add { file, edit, .. }
                | NoteCommand::Edit { file, edit, .. }
                | NoteCommand::Amend { file, edit, .. } => {
                    let on_terminal = matches!(command, NoteCommand::Edit { .. })
                        && file.is_none()
                        && std::io::stdin().is_terminal();
                    if *edit || on_terminal {
                        BodySource::Editor
                    } else {
                        BodySource::Given(read_body(file.as_deref())?)
                    }
                }
                _ => BodySource::Given(Zeroizing::default()),
            };
            let mut session = unlock(&cli)?;
            match command {
                NoteCommand::Add {
                    clients,
                    date,
                    note_type,
                    ..
                } => {
                    let id = source.save(
                        String::new(),
                        "casevault note add --client ID --date DATE --file FILE",
                        |body| {
                            session.add_note(NewNote {
                                clients: clients.iter().map(|c| c.as_str().into()).collect(),
                                date: *date,
                                note_type: note_type.map(Into::into),
                                body: body.to_owned(),
                            })
                        },
                    )?;
                    match id {
                        Some(id) => out.id(&id),
                        None => out.done("no text; no note was added"),
                    }
                }
                NoteCommand::Show { id, version } => {
                    let note = match version {
                        Some(v) => session.note_version(id, *v)?,
                        None => session.note(id)?,
                    };
                    out.note(&note);
                }
                NoteCommand::List { client } => out.notes(&session.notes_for_client(client)?),
                NoteCommand::Edit { id, .. } => {
                    let current = match source {
                        BodySource::Editor => {
                            // Refused before any typing, not after.
                            let mut note = session.note(id)?;
                            if matches!(note.status, NoteStatus::Signed { .. }) {
                                return Err(Error::NoteSigned(id.clone()).into());
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
                }
                NoteCommand::Sign { id } => {
                    let version = session.sign_note(id)?;
                    out.version(id, version, "signed");
                }
                // Handled above, before this match.
                NoteCommand::Import { .. } => {}
                NoteCommand::Amend { id, .. } => {
                    if matches!(source, BodySource::Editor)
                        && matches!(session.note(id)?.status, NoteStatus::Draft)
                    {
                        return Err(Error::NoteNotSigned(id.clone()).into());
                    }
                    match source.save(
                        String::new(),
                        &format!("casevault note amend {id} --file FILE"),
                        |body| session.amend_note(id, body),
                    )? {
                        Some(version) => out.version(id, version, "amended"),
                        None => out.done("no text; no addendum was added"),
                    }
                }
            }
        }
        Command::Search { query, client } => {
            let query = match query {
                Some(query) => Zeroizing::new(query.clone()),
                None => private_input::query()?,
            };
            let mut session = unlock(&cli)?;
            let working = Working::start("searching every note");
            let hits = session.search(&query, client.as_deref());
            drop(working);
            out.hits(&hits?);
        }
        Command::Consent(command) => {
            let mut session = unlock(&cli)?;
            match command {
                ConsentCommand::Add {
                    client,
                    recipient,
                    organization,
                    recipient_key,
                    purposes,
                    categories,
                    excluded,
                    from,
                    expires,
                    signed_by,
                    relationship,
                } => {
                    let (id, warnings) = session.add_consent(NewConsent {
                        client: client.as_str().into(),
                        recipient: ConsentRecipient {
                            name: recipient.trim().to_owned(),
                            organization: organization.clone(),
                            public_key: recipient_key.clone(),
                        },
                        purposes: purposes.clone(),
                        categories: categories.clone(),
                        excluded: excluded.clone(),
                        effective: from.unwrap_or_else(Date::today),
                        expires: *expires,
                        signed_by: signed_by.clone().unwrap_or_default(),
                        relationship: (*relationship).into(),
                    })?;
                    for warning in warnings {
                        eout!("warning: {warning}");
                    }
                    out.id(&id);
                }
                ConsentCommand::List { client } => {
                    out.consents(&session.consents_for_client(client)?, Date::today())
                }
                ConsentCommand::Show { id, fhir: false } => {
                    out.consent(&session.consent(id)?, Date::today())
                }
                ConsentCommand::Show { id, fhir: true } => {
                    let consent = session.consent(id)?;
                    // The policy in force says what `all` covers (its own audit event).
                    let (_, policy) = session.policy()?;
                    out.fhir(&casevault::consent_to_fhir(
                        &consent,
                        &policy,
                        Date::today(),
                    ));
                }
                ConsentCommand::Revoke { id, on } => {
                    let consent = session.revoke_consent(id, on.unwrap_or_else(Date::today))?;
                    out.consent(&consent, Date::today());
                }
            }
        }
        Command::Intake {
            client,
            acknowledged_on,
            allow_future,
        } => {
            not_in_future(*acknowledged_on, "acknowledgement date", *allow_future)?;
            let mut session = unlock(&cli)?;
            out.intake(&session.record_intake(client, *acknowledged_on)?);
        }
        Command::Policy(command) => match command {
            PolicyCommand::Show => {
                let mut session = unlock(&cli)?;
                let (version, policy) = session.policy()?;
                out.policy(version, &policy);
            }
            PolicyCommand::Set { file } => {
                let bytes = bounded::read(bounded::Source::File(file), bounded::Input::Policy)?;
                let text = bounded::into_text(bytes).ok_or_else(|| {
                    CliError::input(
                        format!("the policy file {} is not UTF-8 text", file.display()),
                        "a policy is a UTF-8 TOML file (see `casevault policy show`)",
                    )
                })?;
                let mut session = unlock(&cli)?;
                let version = session
                    .set_policy(&text)
                    .map_err(|e| CliError::from(e).in_file(file))?;
                out.done(&format!("policy version {version} is now in force"));
            }
        },
        Command::Disclose(args) => return disclose(&cli, args, out),
        Command::Accounting { client, fhir } => {
            let mut session = unlock(&cli)?;
            let entries = session.accounting(client)?;
            if *fhir {
                out.fhir(&casevault::accounting_to_fhir(
                    &entries,
                    &session.vault_id(),
                ));
            } else {
                out.accounting(&entries);
            }
        }
        Command::Audit(command) => {
            let mut session = unlock(&cli)?;
            match command {
                AuditCommand::Log { fhir: false } => out.events(&session.audit_log()?),
                AuditCommand::Log { fhir: true } => {
                    let events = session.audit_log()?;
                    out.fhir(&casevault::audit_log_to_fhir(&events, &session.vault_id()));
                }
                AuditCommand::Verify { anchor } => {
                    let working = Working::start("checking the audit trail and every record");
                    let report = session.verify_audit(anchor.as_deref());
                    drop(working);
                    let report = report?;
                    out.report(&report);
                    if !report.is_intact() {
                        return Err(CliError::integrity(
                            format!(
                                "audit verification found {} problem(s)",
                                report.findings.len()
                            ),
                            "the vault has been altered outside casevault; restore it from a backup you trust, and keep the damaged copy for investigation",
                        ));
                    }
                }
                AuditCommand::Anchor => out.anchor(&session.audit_anchor()?),
            }
        }
        Command::Backup { out: target } => {
            let mut session = unlock(&cli)?;
            session.backup(target)?;
            out.done(&format!(
                "backup written to {}; it opens with the same passphrase",
                target.display()
            ));
        }
        Command::Demo => demo::run(out)?,
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "casevault", &mut script);
            out.text(&String::from_utf8_lossy(&script));
        }
        Command::Man { dir } => match dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .and_then(|()| clap_mangen::generate_to(Cli::command(), dir))
                    .map_err(|e| {
                        CliError::input(
                            format!("cannot write the manual pages into {}: {e}", dir.display()),
                            "check that the directory can be created and written",
                        )
                    })?;
                out.done(&format!("manual pages written to {}", dir.display()));
            }
            None => {
                let mut page = Vec::new();
                clap_mangen::Man::new(Cli::command())
                    .render(&mut page)
                    .map_err(|e| {
                        CliError::input(
                            format!("cannot render the manual page: {e}"),
                            "report this as a bug",
                        )
                    })?;
                out.text(&String::from_utf8_lossy(&page));
            }
        },
    }
    Ok(0)
}

fn disclose(cli: &Cli, args: &DiscloseArgs, out: &Printer) -> Result<u8, CliError> {
    let options = match (&args.out, args.dry_run) {
        (Some(path), false) => Some(ExportOptions {
            format: match args.format {
                FormatArg::Markdown => ExportFormat::Markdown,
                FormatArg::Json => ExportFormat::Json,
            },
            encryption: if !args.recipients.is_empty() {
                ExportEncryption::Recipients(args.recipients.clone())
            } else if let Some(file) = &args.export_passphrase_file {
                let pass = secrets::read_secret(
                    "export passphrase",
                    Some(file),
                    "CASEVAULT_EXPORT_PASSPHRASE",
                    "",
                    false,
                )?;
                secrets::check_new_passphrase(&pass)?;
                // The recipient types it: the normal form, without the file's
                // byte-order mark or line ending, whatever way its accents were saved.
                ExportEncryption::Passphrase(casevault::normalize_passphrase(&pass))
            } else if args.write_plaintext {
                ExportEncryption::Plaintext
            } else {
                return Err(CliError::usage(
                    "say how the export is to be encrypted",
                    "pass --recipient KEY (age1… or an SSH public key) or --export-passphrase-file FILE; --write-plaintext writes it unencrypted",
                ));
            },
            out: path.clone(),
        }),
        _ => None,
    };
    if let Some(dir) = options
        .as_ref()
        .and_then(|o| o.out.parent())
        .filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
    {
        // Before the passphrase's KDF: nothing to decide for a file that cannot be made.
        return Err(Error::NoSuchDirectory(dir.to_owned()).into());
    }
    let from_stdin = [
        &args.justification_file,
        &args.reference_file,
        &args.about_file,
    ]
    .iter()
    .filter(|f| f.as_deref() == Some(Path::new("-")))
    .count();
    if from_stdin > 1 {
        return Err(CliError::usage(
            "more than one of --justification-file, --reference-file and --about-file read standard input",
            "put all but one of them in files",
        ));
    }
    let justification = match (&args.justification_file, &args.justification) {
        (Some(file), _) => Some(private_input::text_file(file, "justification")?),
        (None, text) => text.clone().map(Zeroizing::new),
    };
    let about = match &args.about_file {
        Some(file) => Some(private_input::text_file(
            file,
            "name of the person the report is about",
        )?),
        None => None,
    };
    let reference = match (&args.reference_file, &args.reference) {
        (Some(file), _) => Some(private_input::text_file(file, "reference")?),
        (None, text) => text.clone().map(Zeroizing::new),
    };
    if args.exception.as_deref() == Some("court-order")
        && reference.as_deref().is_none_or(|r| casevault::is_blank(r))
    {
        return Err(CliError::usage(
            "a court-order disclosure needs the order's reference",
            "add --reference-file FILE, the file holding the order's docket or case number",
        ));
    }
    if justification
        .as_deref()
        .is_some_and(|j| casevault::is_blank(j))
    {
        return Err(CliError::usage(
            "the justification is empty",
            "write what makes the exception apply in a file and pass --justification-file FILE",
        ));
    }
    let request = DisclosureRequest {
        client: args.client.as_str().into(),
        recipient: args.to.trim().to_owned(),
        purpose: args.purpose.clone(),
        categories: args.categories.clone(),
        consent: args.consent.as_deref().map(Into::into),
        exception: args.exception.as_ref().map(|kind| ExceptionRequest {
            kind: kind.clone(),
            justification: justification.as_deref().cloned().unwrap_or_default(),
            reference: reference.as_deref().cloned(),
            order_categories: args.order_categories.clone(),
            about: about.as_deref().cloned(),
        }),
        from: args.from,
        until: args.until,
    };
    let mut session = unlock(cli)?;
    let record = match &options {
        None => session.decide_disclosure(&request, Date::today(), true)?,
        Some(options) => match disclose_working(&mut session, &request, options) {
            Ok(done) => {
                if done.plaintext {
                    eout!(
                        "warning: {} is NOT encrypted: anyone who gets the file can read it; send it only by a secure channel and delete it after",
                        done.out.display()
                    );
                }
                let withheld = done
                    .decision
                    .decision
                    .joint_notes
                    .iter()
                    .filter(|j| !j.permitted)
                    .count();
                if withheld > 0 {
                    eout!(
                        "warning: {withheld} joint note(s) were withheld whole: another participant has not permitted this disclosure"
                    );
                }
                out.disclosure(&done);
                return Ok(0);
            }
            Err(Error::Denied(record)) => *record,
            Err(e) => return Err(e.into()),
        },
    };
    out.decision(&record);
    let withheld = record
        .decision
        .joint_notes
        .iter()
        .filter(|j| !j.permitted)
        .count();
    if withheld > 0 {
        eout!(
            "warning: {withheld} joint note(s) would be withheld whole: another participant has not permitted this disclosure"
        );
    }
    if record.decision.all_permitted() {
        return Ok(0);
    }
    let denied: Vec<&str> = record
        .decision
        .verdicts
        .iter()
        .filter(|v| !v.permitted)
        .map(|v| v.category.as_str())
        .collect();
    let permitted = record.decision.permitted();
    Err(CliError::denied(
        format!("denied by policy: {}", denied.join(", ")),
        &if permitted.is_empty() {
            "nothing in this request would be permitted; see the reasons above".to_owned()
        } else {
            format!(
                "would be permitted: {}; narrow the request to --categories {}",
                permitted.join(", "),
                permitted.join(",")
            )
        },
    ))
}

/// Refuses a date after today (most likely a typo: 2062 for 2026) unless the user said
/// `--allow-future`.
fn not_in_future(date: Date, what: &str, allow_future: bool) -> Result<(), CliError> {
    let today = Date::today();
    if date > today && !allow_future {
        return Err(CliError::usage(
            format!("the {what} {date} is in the future (today is {today}); nothing was written"),
            "check the date; if a date after today is really meant, pass --allow-future",
        ));
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<(), CliError> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| {
            CliError::input(
                format!("cannot create {}: {e}", dir.display()),
                "check the path and its permissions, or pass --vault PATH",
            )
        })
}
