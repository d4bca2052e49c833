//! Consents and intake: `consent add`, `list`, `show` and `revoke`, and `intake`.

use casevault::{ConsentRecipient, Date, NewConsent, Tpo};

use super::{client_id, not_in_future, unlock};
use crate::cli::{Cli, ConsentAddArgs, ConsentCommand, ExpiryArg};
use crate::error::CliError;
use crate::output::{Printer, eout};

pub fn run(cli: &Cli, command: &ConsentCommand, out: &Printer) -> Result<(), CliError> {
    match command {
        ConsentCommand::Add(args) => add(cli, args, out),
        ConsentCommand::List { client } => list(cli, client, out),
        ConsentCommand::Show { id, fhir } => show(cli, id, *fhir, out),
        ConsentCommand::Revoke { id, on, in_writing } => revoke(cli, id, *on, *in_writing, out),
    }
}

fn add(cli: &Cli, args: &ConsentAddArgs, out: &Printer) -> Result<(), CliError> {
    let (expires, tpo) = match (args.expires, &args.recipient_kind) {
        (ExpiryArg::On(date), None) => (date, None),
        (ExpiryArg::On(_), Some(_)) => {
            return Err(CliError::usage(
                "a --tpo consent has no end date",
                "give --expires none (until the client revokes it in writing) or --expires end-of-treatment",
            ));
        }
        (_, None) => {
            return Err(CliError::usage(
                "only a --tpo consent (42 CFR Part 2) is without an end date",
                "give the last day the consent permits disclosure: --expires YYYY-MM-DD",
            ));
        }
        (expiry, Some(kind)) => (
            Date::LATEST,
            Some(Tpo {
                recipient_kind: kind.clone(),
                until_end_of_treatment: matches!(expiry, ExpiryArg::EndOfTreatment),
            }),
        ),
    };
    let mut session = unlock(cli)?;
    let client = client_id(&mut session, &args.client)?;
    let (id, warnings) = session.add_consent(NewConsent {
        client,
        recipient: ConsentRecipient {
            name: args.recipient.trim().to_owned(),
            organization: args.organization.clone(),
            public_key: args.recipient_key.clone(),
        },
        purposes: args.purposes.clone(),
        categories: args.categories.clone(),
        excluded: args.excluded.clone(),
        effective: args.from.unwrap_or_else(Date::today),
        expires,
        signed_by: args.signed_by.clone().unwrap_or_default(),
        relationship: args.relationship.into(),
        tpo,
    })?;
    for warning in warnings {
        eout!("warning: {warning}");
    }
    out.id(&id);
    Ok(())
}

fn list(cli: &Cli, client: &str, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let client = client_id(&mut session, client)?;
    out.consents(&session.consents_for_client(&client)?, Date::today());
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

fn revoke(
    cli: &Cli,
    id: &str,
    on: Option<Date>,
    in_writing: bool,
    out: &Printer,
) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let consent = session.revoke_consent(id, on.unwrap_or_else(Date::today), in_writing)?;
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
    let client = client_id(&mut session, client)?;
    out.intake(&session.record_intake(&client, acknowledged_on)?);
    Ok(())
}
