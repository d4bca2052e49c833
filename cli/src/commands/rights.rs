//! Clients' rights: `request add`, `extend`, `answer` and `list`, `due`, `retention`.

use casevault::{Date, DenialGround, RequestOutcome, RightKind};

use super::{client_id, unlock};
use crate::cli::{Cli, RequestCommand};
use crate::error::CliError;
use crate::output::{Printer, eout};
use crate::private_input;

pub fn run(cli: &Cli, command: &RequestCommand, out: &Printer) -> Result<(), CliError> {
    let today = Date::today();
    match command {
        RequestCommand::Disagree { id, file } | RequestCommand::Rebut { id, file } => {
            let rebuttal = matches!(command, RequestCommand::Rebut { .. });
            let what = if rebuttal {
                "rebuttal"
            } else {
                "statement of disagreement"
            };
            let text = private_input::text_file(file, what)?;
            let mut session = unlock(cli)?;
            out.rights_request(&session.record_statement(id, &text, rebuttal)?, today);
        }
        RequestCommand::Add {
            client,
            kind,
            received,
            concerns,
        } => {
            let kind = RightKind::parse(kind).ok_or_else(|| {
                CliError::usage(
                    format!("{kind:?} is not a kind of request"),
                    "give --kind access, amendment, accounting, restriction or confidential-communication",
                )
            })?;
            let mut session = unlock(cli)?;
            let client = client_id(&mut session, client)?;
            let request = session.add_request(
                &client,
                kind,
                received.unwrap_or(today),
                concerns.clone(),
                today,
            )?;
            out.rights_request(&request, today);
        }
        RequestCommand::Extend { id, reason } => {
            let mut session = unlock(cli)?;
            out.rights_request(&session.extend_request(id, reason, today)?, today);
        }
        RequestCommand::Review {
            id,
            upheld,
            reversed: _,
            note,
            on,
        } => {
            let mut session = unlock(cli)?;
            let request = session.review_request(id, *upheld, note, on.unwrap_or(today), today)?;
            out.rights_request(&request, today);
        }
        RequestCommand::Answer {
            id,
            outcome,
            note,
            ground,
            on,
        } => {
            let ground = match ground {
                None => None,
                Some(word) => Some(DenialGround::parse(word).ok_or_else(|| {
                    CliError::usage(
                        format!("{word:?} is not a ground of denial"),
                        "give --ground psychotherapy-notes, legal-proceeding, danger-to-life, harm-to-other, representative-harm, not-created-here, not-in-record, not-open-to-access or accurate-and-complete",
                    )
                })?),
            };
            let outcome = RequestOutcome::parse(outcome).ok_or_else(|| {
                CliError::usage(
                    format!("{outcome:?} is not an outcome"),
                    "give --outcome granted, partly, denied or withdrawn",
                )
            })?;
            let mut session = unlock(cli)?;
            let request =
                session.answer_request(id, outcome, ground, note, on.unwrap_or(today), today)?;
            out.rights_request(&request, today);
        }
        RequestCommand::GrantAccess {
            id,
            out: path,
            export,
            withhold,
            ground,
            note,
            on,
        } => {
            let ground = match ground {
                None => None,
                Some(word) => Some(DenialGround::parse(word).ok_or_else(|| {
                    CliError::usage(
                        format!("{word:?} is not a ground of denial"),
                        "give --ground danger-to-life, harm-to-other, representative-harm or legal-proceeding",
                    )
                })?),
            };
            let options = crate::commands::disclose::export_to(export, path)?;
            let mut session = unlock(cli)?;
            let grant = casevault::AccessGrant {
                withhold: withhold.clone(),
                ground,
                note: note.clone(),
            };
            let done = session.grant_access(id, &grant, on.unwrap_or(today), today, &options)?;
            if done.disclosure.plaintext {
                eout!(
                    "warning: {} is NOT encrypted: anyone who gets the file can read it; give it only by a secure channel and delete it after",
                    done.disclosure.out.display()
                );
            }
            out.access_granted(&done, today);
        }
        RequestCommand::AcceptAmendment {
            id,
            note_id,
            file,
            notify,
            on,
        } => {
            let text = private_input::text_file(file, "addendum")?;
            let mut session = unlock(cli)?;
            let done = session.accept_amendment(
                id,
                note_id,
                &format!("{}\n", text.as_str()),
                notify,
                on.unwrap_or(today),
                today,
            )?;
            out.amendment_accepted(&done, today);
        }
        RequestCommand::SuspendAccounting {
            client,
            agency,
            from,
            until,
            reason,
            oral,
        } => {
            let mut session = unlock(cli)?;
            let client = client_id(&mut session, client)?;
            let s = session.suspend_accounting(
                &client,
                agency,
                (from.unwrap_or(today), *until),
                reason,
                *oral,
            )?;
            out.done(&format!(
                "the accounting of disclosures to {} is suspended for client {} from {} to {}",
                s.agency, s.client, s.from, s.until
            ));
        }
        RequestCommand::List { client } => {
            let mut session = unlock(cli)?;
            let client = client_id(&mut session, client)?;
            out.rights_requests(&session.requests_for_client(&client)?, today);
        }
    }
    Ok(())
}

pub fn due(cli: &Cli, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    out.rights_requests(&session.due()?, Date::today());
    Ok(())
}

pub fn retention(cli: &Cli, past: bool, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let mut rows = session.retention(Date::today())?;
    if past {
        rows.retain(|r| r.past);
    }
    out.retention(&rows);
    Ok(())
}
