//! Disclosures: `disclose` (or its dry run) and a client's `accounting`.

use std::path::Path;

use casevault::{
    Date, DecisionRecord, DisclosureRequest, Error, ExceptionRequest, ExportEncryption,
    ExportFormat, ExportOptions, Session,
};
use zeroize::Zeroizing;

use super::{client_id, unlock};
use crate::cli::{Cli, DiscloseArgs, ExportArgs, FormatArg};
use crate::error::CliError;
use crate::output::{Printer, eout};
use crate::private_input;
use crate::progress::Working;
use crate::secrets;

/// Decides, and unless it is a dry run or denied, writes the export. Everything that
/// can be settled before unlocking is: the export's options, the texts read from files,
/// and the requests refused whatever the vault holds.
pub fn disclose(cli: &Cli, args: &DiscloseArgs, out: &Printer) -> Result<(), CliError> {
    let options = export_options(args)?;
    if let Some(dir) = options
        .as_ref()
        .and_then(|o| o.out.parent())
        .filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
    {
        // Before the passphrase's KDF: nothing to decide for a file that cannot be made.
        return Err(Error::NoSuchDirectory(dir.to_owned()).into());
    }
    let mut request = request(args)?;
    let mut session = unlock(cli)?;
    request.client = client_id(&mut session, &args.client)?;
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
                return Ok(());
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
        return Ok(());
    }
    Err(denied(&record))
}

/// Where and how the export is written: `None` for a dry run. The export passphrase is
/// read here, before unlocking.
fn export_options(args: &DiscloseArgs) -> Result<Option<ExportOptions>, CliError> {
    let (Some(path), false) = (&args.out, args.dry_run) else {
        return Ok(None);
    };
    export_to(&args.export, path).map(Some)
}

/// The options of an export written to `path` as `args` say. The export passphrase is
/// read here, before unlocking.
pub fn export_to(args: &ExportArgs, path: &std::path::Path) -> Result<ExportOptions, CliError> {
    let encryption = if !args.recipients.is_empty() {
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
    };
    Ok(ExportOptions {
        format: match args.format {
            FormatArg::Markdown => ExportFormat::Markdown,
            FormatArg::Json => ExportFormat::Json,
        },
        encryption,
        out: path.to_owned(),
    })
}

/// The request, with the justification, reference and name it reads from files (or
/// standard input); a court order without a reference and an empty justification are
/// refused here.
fn request(args: &DiscloseArgs) -> Result<DisclosureRequest, CliError> {
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
    Ok(DisclosureRequest {
        // As given; `disclose` puts the client it names in its place once unlocked.
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
        recipient_kind: args.recipient_kind.clone(),
    })
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

/// The error (exit 4) for a decision that denied a category, naming what would be
/// permitted.
fn denied(record: &DecisionRecord) -> CliError {
    let denied: Vec<&str> = record
        .decision
        .verdicts
        .iter()
        .filter(|v| !v.permitted)
        .map(|v| v.category.as_str())
        .collect();
    let permitted = record.decision.permitted();
    CliError::denied(
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
    )
}

/// A client's accounting of disclosures, for people, as JSON or as FHIR.
pub fn accounting(
    cli: &Cli,
    client: &str,
    fhir: bool,
    legal: Option<Option<&str>>,
    out: &Printer,
) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let client = client_id(&mut session, client)?;
    if let Some(request) = legal {
        let owed = session.legal_accounting(&client, request, Date::today())?;
        if fhir {
            out.fhir(&casevault::accounting_to_fhir(
                &owed.entries,
                &session.vault_id(),
            ));
        } else {
            out.legal_accounting(&owed);
        }
        return Ok(());
    }
    let entries = session.accounting(&client)?;
    if fhir {
        out.fhir(&casevault::accounting_to_fhir(
            &entries,
            &session.vault_id(),
        ));
    } else {
        out.accounting(&entries);
    }
    Ok(())
}
