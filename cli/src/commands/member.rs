//! The practice's members: `member add`, `list`, `show`, `remove` and `role`.

use super::unlock;
use super::vault::{kdf_params, new_passphrase};
use crate::cli::{Cli, MemberAddArgs, MemberCommand};
use crate::error::CliError;
use crate::output::Printer;

pub fn run(cli: &Cli, command: &MemberCommand, out: &Printer) -> Result<(), CliError> {
    match command {
        MemberCommand::Add(args) => add(cli, args, out),
        MemberCommand::List => list(cli, out),
        MemberCommand::Show { name } => show(cli, name, out),
        MemberCommand::Remove { name } => remove(cli, name, out),
        MemberCommand::Role { name, role } => set_role(cli, name, role, out),
    }
}

fn add(cli: &Cli, args: &MemberAddArgs, out: &Printer) -> Result<(), CliError> {
    casevault::valid_member_name(&args.name)
        .map_err(|e| CliError::usage(e, "choose a name like dr-osei or billing.2"))?;
    let mut session = unlock(cli)?;
    // After unlocking, so that a wrong passphrase or member is found before the new
    // member's passphrase is asked for.
    let pass = new_passphrase(args.new.new_passphrase_file.as_deref())?;
    let code = session.add_member(&args.name, &args.role, &pass, kdf_params(&args.kdf))?;
    out.member_added(&args.name, &args.role, &code);
    Ok(())
}

fn list(cli: &Cli, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let roster = session.roster()?;
    out.members(&roster, session.member());
    Ok(())
}

fn show(cli: &Cli, name: &str, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let roster = session.roster()?;
    let member = roster
        .ever(name)
        .ok_or_else(|| casevault::Error::NoSuchMember(name.to_owned()))?;
    out.member(member);
    Ok(())
}

fn remove(cli: &Cli, name: &str, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    session.remove_member(name)?;
    out.done(&format!(
        "member {name} removed: their passphrase and recovery code open nothing from now on, and new writes use new keys; run `casevault rekey` to seal older records again (what they read or copied before cannot be taken back)"
    ));
    Ok(())
}

fn set_role(cli: &Cli, name: &str, role: &str, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    session.set_member_role(name, role)?;
    out.done(&format!(
        "member {name} now has the role {role}; if it reads less than before, run `casevault rekey` to seal older records again under the new keys"
    ));
    Ok(())
}
