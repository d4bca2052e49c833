//! The practice's members: `member list`.

use super::unlock;
use crate::cli::{Cli, MemberCommand};
use crate::error::CliError;
use crate::output::Printer;

pub fn run(cli: &Cli, command: &MemberCommand, out: &Printer) -> Result<(), CliError> {
    match command {
        MemberCommand::List => list(cli, out),
    }
}

fn list(cli: &Cli, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let roster = session.roster()?;
    out.members(&roster, session.member());
    Ok(())
}
