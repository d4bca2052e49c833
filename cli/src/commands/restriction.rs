//! Restrictions and lockboxes: `restriction add`, `list`, `refuse` and `end`.

use casevault::{Date, NewRestriction};

use super::{client_id, unlock};
use crate::cli::{Cli, RestrictionAddArgs, RestrictionCommand};
use crate::error::CliError;
use crate::output::Printer;

pub fn run(cli: &Cli, command: &RestrictionCommand, out: &Printer) -> Result<(), CliError> {
    match command {
        RestrictionCommand::Add(args) => add(cli, args, out),
        RestrictionCommand::List { client } => {
            let mut session = unlock(cli)?;
            let client = client_id(&mut session, client)?;
            out.restrictions(&session.restrictions_for_client(&client)?, Date::today());
            Ok(())
        }
        RestrictionCommand::Refuse { id, reason, on } => {
            let mut session = unlock(cli)?;
            let r = session.refuse_restriction(id, reason, on.unwrap_or_else(Date::today))?;
            out.restriction(&r, Date::today());
            Ok(())
        }
        RestrictionCommand::End { id, on } => {
            let mut session = unlock(cli)?;
            let r = session.end_restriction(id, on.unwrap_or_else(Date::today))?;
            out.restriction(&r, Date::today());
            Ok(())
        }
    }
}

fn add(cli: &Cli, args: &RestrictionAddArgs, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let client = client_id(&mut session, &args.client)?;
    let id = session.add_restriction(NewRestriction {
        client,
        categories: args.categories.clone(),
        purposes: args.purposes.clone(),
        recipient: args.recipient.clone(),
        recipient_kind: args.recipient_kind.clone(),
        self_pay: args.self_pay,
        lockbox: args.lockbox,
        requested_on: args.requested_on.unwrap_or_else(Date::today),
    })?;
    out.id(&id);
    Ok(())
}
