//! The commands, one module per family, each command one function; `main`'s `run`
//! dispatches to them. What they share is here: finding the vault, unlocking it, and
//! who is acting.

pub mod audit;
pub mod client;
pub mod consent;
pub mod demo;
pub mod disclose;
pub mod manual;
pub mod member;
pub mod note;
pub mod policy;
pub mod vault;

use std::path::{Path, PathBuf};

use casevault::{Date, Session, Vault};
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

/// Opens and unlocks the vault, telling the user about failed unlocks since the last one.
fn unlock(cli: &Cli) -> Result<Session, CliError> {
    let path = vault_path(cli)?;
    let vault = Vault::open(&path)?;
    let pass = passphrase(cli, &path)?;
    let session = vault.unlock(&pass, &actor())?;
    warn_failed_unlocks(&session);
    Ok(session)
}

fn warn_failed_unlocks(session: &Session) {
    let failed = session.failed_unlocks();
    if let (Some(first), Some(last)) = (failed.first(), failed.last()) {
        eout!(
            "warning: {} failed unlock attempt(s) since the last unlock, from {} to {}; they are in the audit log",
            failed.len(),
            first.at,
            last.at
        );
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
