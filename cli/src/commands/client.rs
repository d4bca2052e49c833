//! Client profiles: `client add`, `list`, `show`, `edit`, `page` and `destroy`.

use std::io::IsTerminal;

use casevault::{Care, CareChange, Date, DestroyBasis, NewClient, ProfileChange};

use super::{client_id, unlock};
use crate::cli::{Cli, ClientAddArgs, ClientCommand, ClientDestroyArgs, ClientEditArgs};
use crate::error::CliError;
use crate::output::Printer;
use crate::private_input;

pub fn run(cli: &Cli, command: &ClientCommand, out: &Printer) -> Result<(), CliError> {
    match command {
        ClientCommand::Add(args) => add(cli, args, out),
        ClientCommand::List => list(cli, out),
        ClientCommand::Show { id } => show(cli, id, out),
        ClientCommand::Edit(args) => edit(cli, args, out),
        ClientCommand::Page { id } => {
            let mut session = unlock(cli)?;
            let id = client_id(&mut session, id)?;
            out.client_page(&session.client_page(&id, Date::today())?);
            Ok(())
        }
        ClientCommand::Destroy(args) => destroy(cli, args, out),
    }
}

fn destroy(cli: &Cli, args: &ClientDestroyArgs, out: &Printer) -> Result<(), CliError> {
    if !args.yes {
        return Err(CliError::usage(
            "destroying a client's record cannot be undone",
            "check `casevault retention --past`, then run again with --yes",
        ));
    }
    let basis = match (&args.reason, &args.explanation) {
        (Some(reason), Some(explanation)) => DestroyBasis::Early {
            reason: reason.clone(),
            explanation: explanation.clone(),
        },
        _ => DestroyBasis::RetentionEnded,
    };
    let mut session = unlock(cli)?;
    let id = client_id(&mut session, &args.id)?;
    out.destruction(&session.destroy_client(&id, &basis, Date::today())?);
    Ok(())
}

fn add(cli: &Cli, args: &ClientAddArgs, out: &Printer) -> Result<(), CliError> {
    let ClientAddArgs {
        name,
        dob,
        contact,
        third_parties,
        care,
    } = args;
    let care = Care {
        part2_program: care.part2_program,
        minor_consent: care.minor_consent,
        ..Care::default()
    };
    // A profile on standard input is read (and checked) before unlocking; one typed at
    // the terminal after, so that a wrong passphrase loses no typing.
    let given = match name {
        Some(name) => Some(NewClient {
            name: name.clone(),
            date_of_birth: *dob,
            contact: contact.clone(),
            third_parties: third_parties.clone(),
            care: care.clone(),
        }),
        None if dob.is_some() || contact.is_some() || !third_parties.is_empty() => {
            return Err(CliError::usage(
                "--dob, --contact and --third-party go with --name",
                "give the whole profile one way: run `casevault client add` alone to be asked for each field, or give it on standard input as `field: value` lines",
            ));
        }
        None if std::io::stdin().is_terminal() => None,
        None => Some(NewClient {
            care: care.clone(),
            ..private_input::profile_from_stdin()?
        }),
    };
    let mut session = unlock(cli)?;
    let new = match given {
        Some(new) => new,
        None => NewClient {
            care,
            ..private_input::ask_profile()?
        },
    };
    out.id(&session.add_client(new)?);
    Ok(())
}

fn list(cli: &Cli, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    out.clients(&session.list_clients()?);
    Ok(())
}

fn show(cli: &Cli, id: &str, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let id = client_id(&mut session, id)?;
    out.client(&session.client_details(&id)?);
    Ok(())
}

fn edit(cli: &Cli, args: &ClientEditArgs, out: &Printer) -> Result<(), CliError> {
    let mark = |on: bool, off: bool| match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let care = CareChange {
        part2_program: mark(args.care.part2_program, args.no_part2_program),
        minor_consent: mark(args.care.minor_consent, args.no_minor_consent),
        treatment_ended: args.treatment_ended,
        legal_hold: match (&args.legal_hold, args.no_legal_hold) {
            (Some(reason), _) => Some(Some(reason.clone())),
            (None, true) => Some(None),
            (None, false) => None,
        },
    };
    // Read (and checked) before unlocking, as `client add` reads a profile.
    let profile = profile_change(args)?;
    if profile.is_empty() && care.is_empty() {
        return Err(CliError::usage(
            "nothing to change",
            "give the profile's changes (--profile-stdin, or --name, --contact, --dob, --third-party; --no-contact, --no-dob, --no-third-parties) or a mark on the client's care (--part2-program, --minor-consent, --treatment-ended DATE, --legal-hold REASON; --no-part2-program, --no-minor-consent, --no-legal-hold)",
        ));
    }
    let mut session = unlock(cli)?;
    let id = client_id(&mut session, &args.id)?;
    session.edit_client(&id, profile, care, Date::today())?;
    out.client(&session.client_details(&id)?);
    Ok(())
}

/// The changes to the profile `client edit` was given: its options, or with
/// --profile-stdin, `field: value` lines on standard input, to which the --no-…
/// options may add.
fn profile_change(args: &ClientEditArgs) -> Result<ProfileChange, CliError> {
    let mut change = if args.profile_stdin {
        private_input::profile_change_from_stdin()?
    } else {
        ProfileChange {
            name: args.name.clone(),
            contact: args.contact.clone().map(Some),
            date_of_birth: args.dob.map(Some),
            third_parties: (!args.third_parties.is_empty()).then(|| args.third_parties.clone()),
        }
    };
    for (removed, field, flag, given) in [
        (
            args.no_contact,
            "contact",
            "--no-contact",
            change.contact.is_some(),
        ),
        (
            args.no_dob,
            "dob",
            "--no-dob",
            change.date_of_birth.is_some(),
        ),
        (
            args.no_third_parties,
            "third-party",
            "--no-third-parties",
            change.third_parties.is_some(),
        ),
    ] {
        if removed && given {
            return Err(CliError::usage(
                format!("standard input sets `{field}:` and {flag} removes it"),
                "give one or the other; nothing was changed",
            ));
        }
    }
    if args.no_contact {
        change.contact = Some(None);
    }
    if args.no_dob {
        change.date_of_birth = Some(None);
    }
    if args.no_third_parties {
        change.third_parties = Some(Vec::new());
    }
    Ok(change)
}
