//! The audit trail: `audit log`, `audit verify` and `audit anchor`.

use super::unlock;
use crate::cli::{AuditCommand, Cli};
use crate::error::CliError;
use crate::output::Printer;
use crate::progress::Working;

pub fn run(cli: &Cli, command: &AuditCommand, out: &Printer) -> Result<(), CliError> {
    match command {
        AuditCommand::Log { fhir } => log(cli, *fhir, out),
        AuditCommand::Verify { anchor } => verify(cli, anchor.as_deref(), out),
        AuditCommand::Anchor => anchor(cli, out),
        AuditCommand::Pin { .. } => reset_pin(cli, out),
    }
}

fn log(cli: &Cli, fhir: bool, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let events = session.audit_log()?;
    if fhir {
        out.fhir(&casevault::audit_log_to_fhir(&events, &session.vault_id()));
    } else {
        out.events(&events);
    }
    Ok(())
}

fn verify(cli: &Cli, anchor: Option<&str>, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    let working = Working::start("checking the audit trail and every record");
    let report = session.verify_audit(anchor);
    drop(working);
    let report = report?;
    out.report(&report);
    if !report.is_intact() {
        return Err(CliError::integrity(
            format!(
                "audit verification found {} problem(s)",
                report.findings.len()
            ),
            "the vault has been altered outside casevault; restore it from a backup you trust, and keep the damaged copy for investigation",
        ));
    }
    Ok(())
}

/// Unlocks without checking this machine's pin, and replaces it by the trail as it
/// stands (audited).
fn reset_pin(cli: &Cli, out: &Printer) -> Result<(), CliError> {
    let location = super::vault_path(cli)?;
    if !location.is_server() {
        return Err(CliError::usage(
            "pins are kept for vaults on a server only; this vault is a file",
            "check --vault (or CASEVAULT_VAULT)",
        ));
    }
    let mut session = super::unlock_unpinned(cli)?;
    let anchor = session.reset_pin(&super::pins_dir()?)?;
    out.done(&format!(
        "this machine now holds the vault to its trail as it stands: anchor {anchor}"
    ));
    Ok(())
}

fn anchor(cli: &Cli, out: &Printer) -> Result<(), CliError> {
    let mut session = unlock(cli)?;
    out.anchor(&session.audit_anchor()?);
    Ok(())
}
