//! Consents and intake: `consent add`, `list`, `show` and `revoke`, and `intake`.

use casevault::{ConsentRecipient, Date, NewConsent};

use super::{not_in_future, unlock};
use crate::cli::{Cli, ConsentAddArgs, ConsentCommand};
use crate::error::CliError;
use crate::output::{Printer, eout};

pub fn run(cli: &Cli, command: &ConsentCommand, out: &Printer) -> Result<(), CliError> {
    match command {
        ConsentCommand::Add(args) => add(cli, args, out),
        ConsentCommand::List { client } => list(cli, client, out),
        ConsentCommand::Show { id, fhir } => show(cli, id, *fhir, out),
        ConsentCommand::Revoke { id, on } => revoke(cli, id, *on, out),
    }
}

fn add(cli: &Cli, args: &ConsentAddArgs, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let (id, warnings) = session.add_consent(NewConsent {
        client: args.client.as_str().into(),
        recipient: ConsentRecipient {
            name: args.recipient.trim().to_owned(),
            organization: args.organization.clone(),
            public_key: args.recipient_key.clone(),
        },
        purposes: args.purposes.clone(),
        categories: args.categories.clone(),
        excluded: args.excluded.clone(),
        effective: args.from.unwrap_or_else(Date::today),
        expires: args.expires,
        signed_by: args.signed_by.clone().unwrap_or_default(),
        relationship: args.relationship.into(),
    })?;
    for warning in warnings {
        eout!("warning: {warning}");
    }
    out.id(&id);
    Ok(())
}

fn list(cli: &Cli, client: &str, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    out.consents(&session.consents_for_client(client)?, Date::today());
    Ok(())
}

fn show(cli: &Cli, id: &str, fhir: bool, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let consent = session.consent(id)?;
    if fhir {
        // The policy in force says what `all` covers (its own audit event).
        let (_, policy) = session.policy()?;
        out.fhir(&casevault::consent_to_fhir(
            &consent,
            &policy,
            Date::today(),
        ));
    } else {
        out.consent(&consent, Date::today());
    }
    Ok(())
}

fn revoke(cli: &Cli, id: &str, on: Option<Date>, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let consent = session.revoke_consent(id, on.unwrap_or_else(Date::today))?;
    out.consent(&consent, Date::today());
    Ok(())
}

/// Records that a client was told the limits of confidentiality.
pub fn intake(
    cli: &Cli,
    client: &str,
    acknowledged_on: Date,
    allow_future: bool,
    out: &Printer,
) -> Result<(), CliError> {
    not_in_future(acknowledged_on, "acknowledgement date", allow_future)?;
    let mut session = unlock(cli)?;
    out.intake(&session.record_intake(client, acknowledged_on)?);
    Ok(())
}
