//! Emergency access ("break the glass"): `access request`, `approve` and `list`.

use zeroize::Zeroizing;

use super::{client_id, unlock};
use crate::cli::{AccessCommand, AccessRequestArgs, Cli};
use crate::error::CliError;
use crate::output::{Printer, eout};
use crate::private_input;

pub fn run(cli: &Cli, command: &AccessCommand, out: &Printer) -> Result<(), CliError> {
    match command {
        AccessCommand::Request(args) => request(cli, args, out),
        AccessCommand::Approve { request_id, days } => approve(cli, request_id, *days, out),
        AccessCommand::List => list(cli, out),
    }
}

fn request(cli: &Cli, args: &AccessRequestArgs, out: &Printer) -> Result<(), CliError> {
    // Read before unlocking: nothing to ask for without a reason.
    let justification = match (&args.justification_file, &args.justification) {
        (Some(file), _) => private_input::text_file(file, "justification")?,
        (None, Some(text)) => {
            eout!(
                "warning: a --justification on the command line is visible to other local users (ps, /proc) and kept in shell history; prefer --justification-file"
            );
            Zeroizing::new(text.clone())
        }
        (None, None) => {
            return Err(CliError::usage(
                "no justification given",
                "write why you need access in a file and pass --justification-file FILE",
            ));
        }
    };
    if justification.contains(['\n', '\r']) {
        let place = match &args.justification_file {
            Some(file) if file.as_os_str() != "-" => format!(" in {}", file.display()),
            _ => String::new(),
        };
        return Err(CliError::usage(
            format!("the justification{place} has more than one line; nothing was asked"),
            "write the justification as one line (it is shown to the approver in one row)",
        ));
    }
    if casevault::is_blank(&justification) {
        return Err(CliError::usage(
            "the justification is empty",
            "write why you need access in a file and pass --justification-file FILE",
        ));
    }
    let mut session = unlock(cli)?;
    let client = client_id(&mut session, &args.client)?;
    let id = session.request_access(&client, &justification)?;
    if !out.json() {
        eout!(
            "access requested; an owner or a records member approves it with `casevault access approve {id}`"
        );
    }
    out.id(&id);
    Ok(())
}

fn approve(cli: &Cli, id: &str, days: u32, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let approved = session.approve_access(id, days)?;
    out.access_approved(&approved);
    Ok(())
}

fn list(cli: &Cli, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    out.access_requests(&session.access_requests()?);
    Ok(())
}
