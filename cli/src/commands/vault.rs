//! The vault itself: `init`, `passwd`, `recover`, `backup` and `rekey`.

use std::path::Path;

use casevault::{KdfParams, Location, RecoveryCode, Vault};
use secrecy::SecretString;

use super::{
    actor, keep_pins, open_pinned, os_user, passphrase, unlock, unlock_error, vault_path,
    warn_failed_unlocks,
};
use crate::cli::{Cli, KdfArgs, NewPassphraseArgs};
use crate::error::CliError;
use crate::output::Printer;
use crate::secrets;

pub fn init(cli: &Cli, kdf: &KdfArgs, out: &Printer) -> Result<(), CliError> {
    let path = vault_path(cli)?;
    let pass = secrets::read_secret(
        "passphrase",
        cli.passphrase_file.as_deref(),
        "CASEVAULT_PASSPHRASE",
        &format!("New passphrase for {path}: "),
        true,
    )?;
    secrets::check_new_passphrase(&pass)?;
    // Only once the passphrase is acceptable: a refused init leaves nothing.
    if let Some(dir) = path
        .as_path()
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
    {
        create_private_dir(dir)?;
    }
    let member = cli.member.as_deref().unwrap_or(casevault::DEFAULT_MEMBER);
    let actor = os_user().unwrap_or_else(|| member.to_owned());
    let (mut session, code) =
        Vault::create_practice(&path, &pass, kdf_params(kdf), &actor, member)?;
    keep_pins(&path, &mut session)?;
    out.init(&path, &session.vault_id(), session.member(), &code);
    drop(session);
    if let Err(e) = out.flush() {
        // A vault whose recovery code nobody saw must not stay behind. (On a server,
        // the database owner drops its tables: the message says so.)
        if let Some(file) = path.as_path() {
            let _ = std::fs::remove_file(file);
        }
        return Err(CliError::input(
            format!("cannot print the recovery code ({e}); the new vault was removed"),
            "run `casevault init` again with its output going to a terminal or a file",
        ));
    }
    Ok(())
}

pub fn passwd(cli: &Cli, args: &NewPassphraseArgs, out: &Printer) -> Result<(), CliError> {
    let path = vault_path(cli)?;
    let mut vault = open_pinned(&path, true)?;
    let actor = actor(&mut vault, cli.member.as_deref())?;
    let current = passphrase(cli, &path)?;
    let mut session = vault
        .unlock_member(&current, &actor, cli.member.as_deref())
        .map_err(|e| unlock_error(e, cli.member.as_deref()))?;
    warn_failed_unlocks(&session);
    let new = new_passphrase(args.new_passphrase_file.as_deref())?;
    session.change_passphrase(&current, &new, None)?;
    out.done("passphrase changed; the recovery code still works");
    Ok(())
}

pub fn recover(
    cli: &Cli,
    recovery_code_file: Option<&Path>,
    new: &NewPassphraseArgs,
    out: &Printer,
) -> Result<(), CliError> {
    let path = vault_path(cli)?;
    let mut vault = open_pinned(&path, true)?;
    let actor = actor(&mut vault, cli.member.as_deref())?;
    let typed = secrets::read_secret(
        "recovery code",
        recovery_code_file,
        "CASEVAULT_RECOVERY_CODE",
        "Recovery code: ",
        false,
    )?;
    let code = RecoveryCode::parse(&typed);
    let new = new_passphrase(new.new_passphrase_file.as_deref())?;
    let session = vault
        .recover_member(&code, &new, None, &actor, cli.member.as_deref())
        .map_err(|e| unlock_error(e, cli.member.as_deref()))?;
    warn_failed_unlocks(&session);
    out.done(&format!(
        "new passphrase set for member {}; the recovery code still works",
        session.member()
    ));
    Ok(())
}

pub fn backup(cli: &Cli, target: &Path, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    session.backup(target)?;
    out.done(&format!(
        "backup written to {}; it opens with the same passphrase",
        target.display()
    ));
    Ok(())
}

/// Copies the vault to `to`, then opens the copy with the same passphrase and checks
/// its trail.
pub fn migrate(cli: &Cli, to: &Path, out: &Printer) -> Result<(), CliError> {
    let to = Location::parse(to.as_os_str()).map_err(|e| {
        CliError::usage(
            format!("--to: {e}"),
            "give a new file's path, or postgres://USER@HOST/DATABASE (a password goes in ~/.pgpass)",
        )
    })?;
    let from = vault_path(cli)?;
    if from == to {
        return Err(CliError::usage(
            "--to names the vault itself",
            "give a new file, or an empty database on the server",
        ));
    }
    if let Some(dir) = to
        .as_path()
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
    {
        create_private_dir(dir)?;
    }
    let mut session = unlock(cli)?;
    let copy = session.copy_to(&to)?;
    let member = session.member().to_owned();
    drop(session);
    // End to end: the copy unlocks with this member's passphrase and its trail
    // verifies (this unlock and check are audited in the copy).
    let mut vault = open_pinned(&to, true)?;
    let actor = actor(&mut vault, Some(&member))?;
    let pass = passphrase(cli, &from)?;
    let mut copied = vault
        .unlock_member(&pass, &actor, Some(&member))
        .map_err(|e| unlock_error(e, Some(&member)))?;
    let report = copied.verify_audit(None)?;
    if !report.is_intact() {
        for f in &report.findings {
            crate::output::eout!("FAILED: {f}");
        }
        return Err(CliError::integrity(
            format!(
                "the copy at {to} was written, but its audit verification found {} problem(s)",
                report.findings.len()
            ),
            "keep using the vault copied from; run `casevault audit verify` on it, and ask the practice's administrator to check the server",
        ));
    }
    out.migrated(&from, &to, &copy, &report);
    Ok(())
}

/// Seals every record this member holds again under the current key epoch, with a
/// spinner on a terminal.
pub fn rekey(cli: &Cli, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let bar = crate::progress::rekey_spinner();
    let report = session.rekey(&mut |resealed, seen| {
        if let Some(bar) = &bar {
            bar.set_message(format!("{seen} records looked at, {resealed} resealed"));
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    out.rekey(&report?);
    Ok(())
}

pub fn index_rebuild(cli: &Cli, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    out.index_rebuild(&session.rebuild_search_index()?);
    Ok(())
}

/// A new passphrase from `file`, else CASEVAULT_NEW_PASSPHRASE, else the terminal
/// (asked twice), refused when too short.
pub(super) fn new_passphrase(file: Option<&Path>) -> Result<SecretString, CliError> {
    let new = secrets::read_secret(
        "new passphrase",
        file,
        "CASEVAULT_NEW_PASSPHRASE",
        "New passphrase: ",
        true,
    )?;
    secrets::check_new_passphrase(&new)?;
    Ok(new)
}

pub(super) fn kdf_params(args: &KdfArgs) -> KdfParams {
    KdfParams {
        memory_kib: args.kdf_memory_mib.saturating_mul(1024),
        iterations: args.kdf_iterations,
        lanes: args.kdf_lanes,
    }
}

fn create_private_dir(dir: &Path) -> Result<(), CliError> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| {
            CliError::input(
                format!("cannot create {}: {e}", dir.display()),
                "check the path and its permissions, or pass --vault PATH",
            )
        })
}
