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

use std::path::{Path, PathBuf};

use casevault::{Date, Error, Session, Vault};
use secrecy::SecretString;

use crate::cli::Cli;
use crate::error::CliError;
use crate::output::eout;
use crate::secrets;

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

/// Opens and unlocks the vault as the member `--member` names (by default the only
/// one), telling the user about failed unlocks since the last one.
fn unlock(cli: &Cli) -> Result<Session, CliError> {
    let path = vault_path(cli)?;
    let vault = Vault::open(&path)?;
    let pass = passphrase(cli, &path)?;
    let session = vault
        .unlock_member(&pass, &actor(), cli.member.as_deref())
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
            first.at,
            last.at,
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
