//! The vault itself: `init`, `passwd`, `recover` and `backup`.

use std::path::Path;

use casevault::{KdfParams, RecoveryCode, Vault};
use secrecy::SecretString;

use super::{actor, passphrase, unlock, vault_path, warn_failed_unlocks};
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
        &format!("New passphrase for {}: ", path.display()),
        true,
    )?;
    secrets::check_new_passphrase(&pass)?;
    // Only once the passphrase is acceptable: a refused init leaves nothing.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let (session, code) = Vault::create(&path, &pass, kdf_params(kdf), &actor())?;
    out.init(&path, &session.vault_id(), &code);
    drop(session);
    if let Err(e) = out.flush() {
        // A vault whose recovery code nobody saw must not stay behind.
        let _ = std::fs::remove_file(&path);
        return Err(CliError::input(
            format!("cannot print the recovery code ({e}); the new vault was removed"),
            "run `casevault init` again with its output going to a terminal or a file",
        ));
    }
    Ok(())
}

pub fn passwd(cli: &Cli, args: &NewPassphraseArgs, out: &Printer) -> Result<(), CliError> {
    let path = vault_path(cli)?;
    let vault = Vault::open(&path)?;
    let current = passphrase(cli, &path)?;
    let mut session = vault.unlock(&current, &actor())?;
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
    let vault = Vault::open(&path)?;
    let typed = secrets::read_secret(
        "recovery code",
        recovery_code_file,
        "CASEVAULT_RECOVERY_CODE",
        "Recovery code: ",
        false,
    )?;
    let code = RecoveryCode::parse(&typed);
    let new = new_passphrase(new.new_passphrase_file.as_deref())?;
    let session = vault.recover(&code, &new, None, &actor())?;
    warn_failed_unlocks(&session);
    out.done("new passphrase set; the recovery code still works");
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

fn new_passphrase(file: Option<&Path>) -> Result<SecretString, CliError> {
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

fn kdf_params(args: &KdfArgs) -> KdfParams {
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
