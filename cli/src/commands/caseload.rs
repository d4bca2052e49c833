//! Caseloads: `caseload assign`, `unassign` and `list`.

use casevault::Date;

use super::{client_id, unlock};
use crate::cli::{CaseloadCommand, Cli};
use crate::error::CliError;
use crate::output::Printer;

pub fn run(cli: &Cli, command: &CaseloadCommand, out: &Printer) -> Result<(), CliError> {
    match command {
        CaseloadCommand::Assign {
            target,
            client,
            until,
        } => assign(cli, target, client, *until, out),
        CaseloadCommand::Unassign { target, client } => unassign(cli, target, client, out),
        CaseloadCommand::List { target } => list(cli, target.as_deref(), out),
    }
}

fn assign(
    cli: &Cli,
    member: &str,
    client: &str,
    until: Option<Date>,
    out: &Printer,
) -> Result<(), CliError> {
    if let Some(until) = until
        && until < Date::today()
    {
        return Err(CliError::usage(
            format!("the assignment would end on {until}, before today; nothing was changed"),
            "check the date given to --until, or leave it out for an assignment until unassigned",
        ));
    }
    let mut session = unlock(cli)?;
    let client = client_id(&mut session, client)?;
    session.assign_client(member, &client, until)?;
    out.done(&match until {
        Some(until) => format!("client {client} assigned to {member} until the end of {until}"),
        None => format!("client {client} assigned to {member}"),
    });
    Ok(())
}

fn unassign(cli: &Cli, member: &str, client: &str, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let client = client_id(&mut session, client)?;
    session.unassign_client(member, &client)?;
    out.done(&format!(
        "client {client} taken off {member}'s caseload: their keys to it were taken back and new writes use new keys; run `casevault rekey` to seal older records again"
    ));
    Ok(())
}

fn list(cli: &Cli, member: Option<&str>, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let caseload = session.caseloads()?;
    if let Some(name) = member
        && session.roster()?.ever(name).is_none()
    {
        return Err(casevault::Error::NoSuchMember(name.to_owned()).into());
    }
    out.caseloads(&caseload, member, Date::today());
    Ok(())
}
