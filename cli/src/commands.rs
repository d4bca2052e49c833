//! The commands, one module per family, each command one function; `main`'s `run`
//! dispatches to them. What they share is here: finding the vault, unlocking it, and
//! who is acting.

pub mod access;
pub mod audit;
pub mod caseload;
pub mod client;
pub mod consent;
pub mod demo;
pub mod disclose;
pub mod manual;
pub mod member;
pub mod note;
pub mod policy;
pub mod restriction;
pub mod rights;
pub mod serve;
pub mod vault;

use casevault::{ClientId, Date, Error, Location, Session, Vault};
use secrecy::SecretString;

use crate::cli::Cli;
use crate::error::CliError;
use crate::output::eout;
use crate::output::local_time::LocalEvent;
use crate::secrets;

/// The operating-system user, for the audit trail: $USER, else $LOGNAME (an empty
/// value is none).
fn os_user() -> Option<String> {
    ["USER", "LOGNAME"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|user| !user.trim().is_empty())
}

/// Who is acting, for the audit trail: the operating-system user, else the member
/// acting (the one `--member` names, or the practice's only member). Never "unknown":
/// a trail must say who read what, and a service or `env -i` sets no $USER.
fn actor(vault: &mut Vault, member: Option<&str>) -> Result<String, CliError> {
    match os_user() {
        Some(user) => Ok(user),
        None => vault
            .member_to_unlock(member)
            .map_err(|e| unlock_error(e, member)),
    }
}

/// Where the vault is: `--vault` (or CASEVAULT_VAULT), a path or a server address,
/// else the default vault file in the user's data directory.
fn vault_path(cli: &Cli) -> Result<Location, CliError> {
    if let Some(given) = &cli.vault {
        return Location::parse(given.as_os_str()).map_err(|e| {
            CliError::usage(
                format!("--vault: {e}"),
                "give a path, or postgres://USER@HOST/DATABASE; a password goes in ~/.pgpass (or the file PGPASSFILE names), one line host:port:database:user:password, mode 0600",
            )
        });
    }
    let dirs = directories::ProjectDirs::from("", "", "casevault").ok_or_else(|| {
        CliError::usage(
            "cannot find a data directory for the default vault",
            "pass --vault PATH or set CASEVAULT_VAULT",
        )
    })?;
    Ok(Location::File(dirs.data_dir().join("vault.casevault")))
}

fn passphrase(cli: &Cli, vault: &Location) -> Result<SecretString, CliError> {
    secrets::read_secret(
        "passphrase",
        cli.passphrase_file.as_deref(),
        "CASEVAULT_PASSPHRASE",
        &format!("Passphrase for {vault}: "),
        false,
    )
}

/// Opens and unlocks the vault as the member `--member` names (by default the only
/// one), telling the user about failed unlocks since the last one.
fn unlock(cli: &Cli) -> Result<Session, CliError> {
    let path = vault_path(cli)?;
    let mut vault = Vault::open(&path)?;
    let actor = actor(&mut vault, cli.member.as_deref())?;
    let pass = passphrase(cli, &path)?;
    let session = vault
        .unlock_member(&pass, &actor, cli.member.as_deref())
        .map_err(|e| unlock_error(e, cli.member.as_deref()))?;
    warn_failed_unlocks(&session);
    Ok(session)
}

/// A failed unlock's error, naming the member whose passphrase or recovery code was
/// wrong when one was named.
fn unlock_error(error: Error, member: Option<&str>) -> CliError {
    let named = match (&error, member) {
        (Error::WrongPassphrase, Some(name)) => Some(format!(
            "wrong passphrase for member {name:?} of this vault"
        )),
        (Error::WrongRecoveryCode, Some(name)) => Some(format!(
            "wrong recovery code for member {name:?} of this vault"
        )),
        _ => None,
    };
    let cli_error = CliError::from(error);
    match (named, member) {
        (Some(message), Some(name)) => cli_error.with_message(message).with_hint(&format!(
            "check {name}'s passphrase (--passphrase-file, CASEVAULT_PASSPHRASE or the prompt) and that --member (or CASEVAULT_MEMBER) names the right member; if it is lost, run `casevault --member {name} recover` with their recovery code"
        )),
        _ => cli_error,
    }
}

/// Warns about the failed unlock attempts since the last unlock, saying whose
/// passphrase or recovery code they tried.
fn warn_failed_unlocks(session: &Session) {
    let failed = session.failed_unlocks();
    if let (Some(first), Some(last)) = (failed.first(), failed.last()) {
        let mut tried: Vec<String> = Vec::new();
        for f in failed {
            let slot = keyslot_owner(&f.keyslot);
            if !tried.contains(&slot) {
                tried.push(slot);
            }
        }
        eout!(
            "warning: {} failed unlock attempt(s) since the last unlock, from {} to {}, with {}; they are in the audit log",
            failed.len(),
            LocalEvent(first.at),
            LocalEvent(last.at),
            tried.join(", ")
        );
    }
}

/// Whose key a keyslot's name says it is: `member/NAME/passphrase` is NAME's
/// passphrase; `passphrase` and `recovery` are the first member's.
fn keyslot_owner(slot: &str) -> String {
    let kind = |k: &str| {
        if k == "recovery" {
            "recovery code".to_owned()
        } else {
            k.to_owned()
        }
    };
    match slot
        .strip_prefix("member/")
        .and_then(|rest| rest.rsplit_once('/'))
    {
        Some((name, k)) => format!("{name}'s {}", kind(k)),
        None => format!("the first member's {}", kind(slot)),
    }
}

/// The client a command-line value names, for every command that takes one: an
/// identifier as the vault makes them (eight hexadecimal digits) is taken as it is;
/// anything else is looked up by name ([`Session::find_client`], audited as a
/// `client.list`): the one client whose name holds every word of it. When several
/// do, the error lists them, names and ids, for the user to pick one (exit 2).
fn client_id(session: &mut Session, given: &str) -> Result<ClientId, CliError> {
    if casevault::is_vault_id(given) {
        return Ok(ClientId::from(given));
    }
    session.find_client(given).map_err(|e| match &e {
        Error::ClientAmbiguous { matches, .. } => {
            let listed: Vec<String> = matches
                .iter()
                .map(|m| format!("{} ({})", m.name, m.id))
                .collect();
            let hint = format!(
                "they are {}; run the command again with the id of the one you mean",
                listed.join(", ")
            );
            CliError::from(e).with_hint(&hint)
        }
        Error::ClientNotFound(_) => CliError::from(e).with_hint(
            "give the client's id or words of their name; `casevault client list` lists them",
        ),
        _ => CliError::from(e),
    })
}

/// [`client_id`] for each of several values.
fn client_ids(session: &mut Session, given: &[String]) -> Result<Vec<ClientId>, CliError> {
    given.iter().map(|g| client_id(session, g)).collect()
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
