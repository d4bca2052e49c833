//! Command-line arguments (clap derive). Nothing here touches the vault.

use std::path::PathBuf;

use casevault::{Date, NoteType};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// casevault: an encrypted, audited notes vault for psychotherapists.
#[derive(Parser, Debug)]
#[command(name = "casevault", version, about, long_about = None)]
pub struct Cli {
    /// The vault file [default: vault.casevault in the user's data directory]
    #[arg(long, global = true, env = "CASEVAULT_VAULT", value_name = "PATH")]
    pub vault: Option<PathBuf>,

    /// Read the passphrase from this file (first line). Otherwise CASEVAULT_PASSPHRASE,
    /// otherwise a prompt on the terminal.
    #[arg(
        long,
        global = true,
        env = "CASEVAULT_PASSPHRASE_FILE",
        value_name = "PATH"
    )]
    pub passphrase_file: Option<PathBuf>,

    /// Print data as JSON.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new vault; prints the recovery code once.
    Init(KdfArgs),
    /// Change the passphrase (rewraps the root secret only).
    Passwd(NewPassphraseArgs),
    /// Set a new passphrase using the recovery code.
    Recover {
        /// Read the recovery code from this file. Otherwise CASEVAULT_RECOVERY_CODE,
        /// otherwise a prompt.
        #[arg(long, env = "CASEVAULT_RECOVERY_CODE_FILE", value_name = "PATH")]
        recovery_code_file: Option<PathBuf>,
        #[command(flatten)]
        new: NewPassphraseArgs,
    },
    /// Client profiles.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Session notes.
    #[command(subcommand)]
    Note(NoteCommand),
    /// Search the text of every note (decrypted in memory; there is no index).
    Search {
        /// Words to look for (case-insensitive).
        query: String,
        /// Only this client's notes.
        #[arg(long, value_name = "ID")]
        client: Option<String>,
    },
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a consistent, encrypted copy of the vault.
    Backup {
        /// The copy to create (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Run the whole flow on a throwaway vault, printing each step.
    Demo,
}

#[derive(Args, Debug)]
pub struct KdfArgs {
    /// Argon2id memory in MiB (at least 64).
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    pub kdf_memory_mib: u32,
    /// Argon2id passes (at least 3).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub kdf_iterations: u32,
    /// Argon2id lanes.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub kdf_lanes: u32,
}

#[derive(Args, Debug)]
pub struct NewPassphraseArgs {
    /// Read the new passphrase from this file. Otherwise CASEVAULT_NEW_PASSPHRASE,
    /// otherwise a prompt (asked twice).
    #[arg(long, env = "CASEVAULT_NEW_PASSPHRASE_FILE", value_name = "PATH")]
    pub new_passphrase_file: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Add a client; prints the new client's id.
    Add {
        /// The client's name.
        #[arg(long)]
        name: String,
        /// Date of birth (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        dob: Option<Date>,
        /// How to reach the client.
        #[arg(long)]
        contact: Option<String>,
        /// A third party who appears in notes (partner, child, employer); repeatable.
        #[arg(long = "third-party", value_name = "NAME")]
        third_parties: Vec<String>,
    },
    /// List clients.
    List,
    /// Show a client's profile.
    Show {
        /// The client's id.
        id: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TypeArg {
    Individual,
    Couples,
    Family,
    Group,
}

impl From<TypeArg> for NoteType {
    fn from(t: TypeArg) -> Self {
        match t {
            TypeArg::Individual => NoteType::Individual,
            TypeArg::Couples => NoteType::Couples,
            TypeArg::Family => NoteType::Family,
            TypeArg::Group => NoteType::Group,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum NoteCommand {
    /// Add a note (Markdown; `## <category>` headings make sections); prints its id.
    Add {
        /// A client in the session; repeat for couples, family and group sessions.
        #[arg(long = "client", value_name = "ID", required = true)]
        clients: Vec<String>,
        /// The session date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        date: Date,
        /// The kind of session [default: individual for one client].
        #[arg(long = "type", value_enum)]
        note_type: Option<TypeArg>,
        /// Read the note from this file instead of standard input.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Show a note (its current version unless --version).
    Show {
        /// The note's id.
        id: String,
        /// An earlier version.
        #[arg(long, value_name = "N")]
        version: Option<u32>,
    },
    /// List a client's notes.
    List {
        /// The client's id.
        #[arg(long, value_name = "ID")]
        client: String,
    },
    /// Replace a draft note's text (the earlier version is kept).
    Edit {
        /// The note's id.
        id: String,
        /// Read the new text from this file instead of standard input.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Sign a note, closing it for edits.
    Sign {
        /// The note's id.
        id: String,
    },
    /// Add an addendum to a signed note.
    Amend {
        /// The note's id.
        id: String,
        /// Read the addendum from this file instead of standard input.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Print every event, oldest first.
    Log,
    /// Check the chain, its head, every record against its last audited write, and
    /// optionally an anchor kept outside the vault.
    Verify {
        /// An anchor printed earlier by `casevault audit anchor`.
        #[arg(long, value_name = "DIGEST")]
        anchor: Option<String>,
    },
    /// Print a short digest of the chain's head to keep outside the vault.
    Anchor,
}
