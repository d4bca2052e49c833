//! CLI errors: a library error or a CLI-level problem, plus one line on what to do.

use std::fmt;

use casevault::{Error, ErrorClass, Location, StoreError};

use crate::output::one_line;

/// The documented exit codes.
pub mod exit {
    pub const ERROR: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const WRONG_SECRET: i32 = 3;
    pub const DENIED: i32 = 4;
    pub const INTEGRITY: i32 = 5;
}

/// An error as the user sees it: what went wrong, and what to do next.
#[derive(Debug)]
pub struct CliError {
    message: String,
    hint: Option<String>,
    code: i32,
}

impl CliError {
    /// Bad input the CLI itself found (exit 1).
    pub fn input(message: impl Into<String>, hint: &str) -> Self {
        CliError {
            message: message.into(),
            hint: Some(hint.to_owned()),
            code: exit::ERROR,
        }
    }

    /// A usage problem (exit 2).
    pub fn usage(message: impl Into<String>, hint: &str) -> Self {
        CliError {
            message: message.into(),
            hint: Some(hint.to_owned()),
            code: exit::USAGE,
        }
    }

    /// A disclosure denied by policy (exit 4).
    pub fn denied(message: impl Into<String>, hint: &str) -> Self {
        CliError {
            message: message.into(),
            hint: Some(hint.to_owned()),
            code: exit::DENIED,
        }
    }

    /// Names the file the error is about (`policy.toml: line 3: …`).
    pub fn in_file(mut self, file: &std::path::Path) -> Self {
        self.message = format!("{}: {}", file.display(), self.message);
        self
    }

    /// An integrity failure found by a check (exit 5).
    pub fn integrity(message: impl Into<String>, hint: &str) -> Self {
        CliError {
            message: message.into(),
            hint: Some(hint.to_owned()),
            code: exit::INTEGRITY,
        }
    }

    /// Replaces what went wrong, keeping the exit code and the hint.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Replaces the line on what to do next.
    pub fn with_hint(mut self, hint: &str) -> Self {
        self.hint = Some(hint.to_owned());
        self
    }

    /// What went wrong, without the hint (printed with `error: ` before it).
    pub fn message(&self) -> String {
        format!("error: {}", one_line(&self.message))
    }

    pub fn code(&self) -> i32 {
        self.code
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message())?;
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {}", one_line(hint))?;
        }
        Ok(())
    }
}

fn hint(error: &Error) -> Option<&'static str> {
    Some(match error {
        Error::WrongPassphrase => {
            "check the passphrase (--passphrase-file, CASEVAULT_PASSPHRASE or the prompt); if it is lost, run `casevault recover` with the recovery code"
        }
        Error::MemberNeeded => "pass --member NAME or set CASEVAULT_MEMBER",
        Error::NoSuchMember(_) => {
            "check the name: `casevault member list` lists the practice's members"
        }
        Error::MemberRemoved(_) => {
            "a removed member's passphrase and recovery code open nothing; if they are to work here again, a member who manages members adds them under a new name (`casevault member add`)"
        }
        Error::KeyDenied { .. } => {
            "to see it, ask an owner to assign the client to your caseload (`casevault caseload assign`), or ask for emergency access (`casevault access request`)"
        }
        Error::RoleDenied { .. } => {
            "ask a member whose role allows it (an owner), or an owner to change your role (`casevault member role`)"
        }
        Error::WrongRecoveryCode => {
            "check the code as printed by `casevault init` (case and dashes do not matter)"
        }
        Error::Keyslot { .. } => {
            "the keyslot has been altered or damaged; restore the vault from a backup"
        }
        Error::Integrity(_)
        | Error::MalformedRecord { .. }
        | Error::AuditHeadMismatch
        | Error::AuditTrailBroken { .. }
        | Error::RolledBack { .. } => {
            "the vault may have been tampered with or damaged: run `casevault audit verify` and restore from a backup if needed"
        }
        Error::TrailNotExtended { .. } => {
            "stop using this vault and tell the practice's administrator: the server may have been restored from an older copy, or be showing you a history of its own; compare `casevault audit anchor` with another member's. If the server was restored on purpose and the practice knows why, accept its trail with `casevault audit pin --reset --yes`"
        }
        Error::PinUnreadable { .. } => {
            "this machine's pins are in casevault's data directory (~/.local/share/casevault/pins): check that you own it and that the disk has space; a pin altered by hand is refused"
        }
        Error::ClientNotFound(_) => "list clients with `casevault client list`",
        Error::NoteNotFound(_) => "list a client's notes with `casevault note list --client ID`",
        Error::NoteSigned(_) => "a signed note takes addenda: `casevault note amend ID`",
        Error::NoteNotSigned(_) => {
            "edit the draft with `casevault note edit ID`, or sign it first with `casevault note sign ID`"
        }
        Error::NoteBody(_) => "fix that line and run the command again; nothing was saved",
        Error::ConsentNotFound(_) => {
            "list a client's consents with `casevault consent list --client ID`"
        }
        Error::Policy(_) => {
            "fix that line of the policy file and run the command again; the policy in force is unchanged"
        }
        Error::Store(StoreError::Missing(_)) => {
            "create a vault with `casevault init`, or point --vault (or CASEVAULT_VAULT) at an existing one"
        }
        Error::Store(StoreError::AlreadyExists(Location::Server(_))) => {
            "that database already holds a vault: open it with this address, or create the new vault in another, empty database"
        }
        Error::Store(StoreError::NotAVault(Location::Server(_))) => {
            "check the address: that database holds tables casevault did not make; a vault needs a database of its own"
        }
        Error::Store(StoreError::AlreadyExists(_)) => {
            "choose another path; casevault never overwrites an existing file"
        }
        Error::Store(StoreError::NotAVault(_)) => "check the --vault path",
        Error::Store(StoreError::NewerSchema { .. }) => "upgrade casevault to open this vault",
        Error::Store(StoreError::Corrupt(_)) => "restore the vault from a backup",
        Error::Store(StoreError::Busy) => {
            "wait for the other casevault command to finish (or close it), then run this one again; nothing was changed"
        }
        Error::Store(StoreError::ReadOnly) => {
            "check the permissions of the vault file and of its directory (casevault writes a journal beside the file)"
        }
        Error::Store(StoreError::DiskFull) => "free some space and run the command again",
        Error::Store(StoreError::NoServerSupport) => {
            "use a casevault built with the server backend (the command line has it), or a vault file"
        }
        Error::Store(StoreError::Unreachable { .. }) => {
            "check that the server is running and that the address (--vault or CASEVAULT_VAULT) names it, host and port; for a server across a network, that it offers TLS with a certificate this machine trusts (PGSSLROOTCERT names a practice's own authority)"
        }
        Error::Store(StoreError::AuthRefused { .. }) => {
            "check the database role in the address and its password: casevault reads it from ~/.pgpass (or the file PGPASSFILE names; mode 0600), a line host:port:database:user:password; the practice's administrator can reset it"
        }
        Error::Store(StoreError::NoDatabase { .. }) => {
            "check the database's name in the address; to start a vault there, the administrator creates the database (`createdb -O ROLE NAME`), then `casevault init --vault ADDRESS`"
        }
        Error::Store(StoreError::ConnectionLost { .. }) => {
            "check the network and the server, then run the command again"
        }
        Error::Store(StoreError::LostAtCommit { .. }) => {
            "check the network and the server; then see whether the command took effect (`casevault audit log --last 5`) before running it again"
        }
        Error::Store(StoreError::Privilege(_)) => {
            "the database role lacks a privilege casevault needs: the practice's administrator grants it (README, \"A practice's server\", lists every GRANT); nothing of this command was saved"
        }
        Error::Store(StoreError::Server(_)) => {
            "ask the practice's administrator to look at the server's log; nothing of this command was saved"
        }
        Error::ForeignKeyslot { .. } => {
            "restore the vault from a backup; if only the passphrase keyslot was replaced, `casevault recover` with this vault's recovery code writes a new one"
        }
        Error::NoSuchVersion { .. } => {
            "`casevault note show ID` shows the current version and its number; earlier ones are 1 up to it"
        }
        Error::NoSuchDirectory(_) => "create the directory first, or choose another --out",
        Error::UnknownName { .. } => {
            "check the spelling: `casevault policy show` lists every name the policy has, and `--help` the command's options"
        }
        Error::PolicyMissing => "restore the vault from a backup",
        Error::Hardening { .. } => {
            "casevault holds secrets only in a process that cannot be dumped; ask the administrator why this system refuses that"
        }
        _ => return None,
    })
}

impl From<Error> for CliError {
    fn from(error: Error) -> Self {
        let code = match error.class() {
            ErrorClass::Failure => exit::ERROR,
            ErrorClass::Usage => exit::USAGE,
            ErrorClass::WrongSecret => exit::WRONG_SECRET,
            ErrorClass::Denied => exit::DENIED,
            ErrorClass::Integrity => exit::INTEGRITY,
            // A class this CLI does not know yet is a failure.
            _ => exit::ERROR,
        };
        CliError {
            message: error.to_string(),
            hint: hint(&error).map(str::to_owned),
            code,
        }
    }
}
