//! The policy in force: `policy show` and `policy set`.

use std::path::Path;

use super::unlock;
use crate::bounded;
use crate::cli::{Cli, PolicyCommand};
use crate::error::CliError;
use crate::output::Printer;

pub fn run(cli: &Cli, command: &PolicyCommand, out: &Printer) -> Result<(), CliError> {
    match command {
        PolicyCommand::Show => show(cli, out),
        PolicyCommand::Set { file } => set(cli, file, out),
        PolicyCommand::Packs => {
            out.packs();
            Ok(())
        }
        PolicyCommand::Use { pack } => {
            let mut session = unlock(cli)?;
            let version = session.use_pack(pack)?;
            out.done(&format!(
                "policy version {version} is now in force: pack {pack}; review it with counsel (docs/POLICIES.md)"
            ));
            Ok(())
        }
    }
}

fn show(cli: &Cli, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let (version, policy) = session.policy()?;
    out.policy(version, &policy);
    Ok(())
}

fn set(cli: &Cli, file: &Path, out: &Printer) -> Result<(), CliError> {
    let bytes = bounded::read(bounded::Source::File(file), bounded::Input::Policy)?;
    let text = bounded::into_text(bytes).ok_or_else(|| {
        CliError::input(
            format!("the policy file {} is not UTF-8 text", file.display()),
            "a policy is a UTF-8 TOML file (see `casevault policy show`)",
        )
    })?;
    let mut session = unlock(cli)?;
    let version = session
        .set_policy(crate::output::law::without_citations(&text))
        .map_err(|e| CliError::from(e).in_file(file))?;
    out.done(&format!("policy version {version} is now in force"));
    Ok(())
}
