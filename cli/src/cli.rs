//! Command-line arguments (clap derive). Nothing here touches the vault.

use std::path::PathBuf;

use casevault::{Date, NoteType, Relationship};
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// The help of every option or argument that names a client: `$what`, then how a
/// client may be named there (`commands::client_id` resolves it).
macro_rules! client_help {
    ($what:literal) => {
        concat!(
            $what,
            ": their id, or words of their name (an id keeps the name off the command line, where other local users can read it)"
        )
    };
}

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

    /// The member you act as [default: the practice's only member; a practice of
    /// several needs it].
    #[arg(long, global = true, env = "CASEVAULT_MEMBER", value_name = "NAME")]
    pub member: Option<String>,

    /// Print data as JSON.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new vault, a practice whose first member (role owner) is you, named by
    /// --member [default: owner]; prints the recovery code once.
    #[command(
        after_help = "Examples:\n  casevault init\n  casevault init --member dr-osei\n  casevault init --vault ~/practice.casevault --kdf-memory-mib 256"
    )]
    Init(KdfArgs),
    /// Change the passphrase (rewraps the root secret only).
    #[command(
        after_help = "Examples:\n  casevault passwd\n  casevault passwd --new-passphrase-file new.txt"
    )]
    Passwd(NewPassphraseArgs),
    /// Set a new passphrase using the recovery code.
    #[command(
        after_help = "Examples:\n  casevault recover\n  casevault recover --recovery-code-file code.txt"
    )]
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
    ///
    /// Without QUERY, asks for it on the terminal, or reads it from one line of standard
    /// input.
    #[command(
        after_help = "Examples:\n  casevault search\n  casevault search --client 67e344e9 < query.txt"
    )]
    Search {
        /// Words to look for (case-insensitive). On the command line they are visible to
        /// other local users (ps, /proc) and kept in shell history: leave QUERY out to be
        /// asked instead.
        query: Option<String>,
        #[arg(long, value_name = "ID", help = client_help!("Only the notes of this client"))]
        client: Option<String>,
    },
    /// Consents: authorizations to disclose.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Restrictions a client asked for, and lockboxes: what is kept back, from whom.
    #[command(subcommand)]
    Restriction(RestrictionCommand),
    /// Record that a client was told the limits of confidentiality.
    #[command(
        after_help = "Examples:\n  casevault intake --client 67e344e9 --acknowledged-on 2026-03-01"
    )]
    Intake {
        #[arg(long, value_name = "ID", help = client_help!("The client"))]
        client: String,
        /// The day the client acknowledged it (YYYY-MM-DD; not after today unless
        /// --allow-future).
        #[arg(long, value_name = "DATE")]
        acknowledged_on: Date,
        /// Accept a date after today.
        #[arg(long)]
        allow_future: bool,
    },
    /// The jurisdiction's policy: categories, purposes, exceptions.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Decide and make a disclosure: what may leave, to whom, and why (--dry-run: decide only).
    #[command(
        after_help = "Examples:\n  casevault disclose --client 67e344e9 --to \"Dr. Osei\" --purpose treatment --categories diagnosis,medication --dry-run\n  casevault disclose --client 67e344e9 --to \"Dr. Osei\" --purpose treatment --categories medication --recipient age1... --out osei.age\n  casevault disclose --client 67e344e9 --to client --purpose client-request --categories all --export-passphrase-file pass.txt --out records.age\n  casevault disclose --client 67e344e9 --to \"Superior Court\" --purpose legal --categories diagnosis --exception court-order --justification-file why.txt --reference-file order.txt --dry-run"
    )]
    Disclose(Box<DiscloseArgs>),
    /// A client's accounting of disclosures: what left, to whom, why, on what basis.
    #[command(
        after_help = "Examples:\n  casevault accounting --client 67e344e9\n  casevault accounting --client 67e344e9 --json\n  casevault accounting --client 67e344e9 --fhir"
    )]
    Accounting {
        #[arg(long, value_name = "ID", help = client_help!("The client"))]
        client: String,
        /// Print it as an HL7 FHIR R4 Bundle of AuditEvents, one per disclosure (JSON;
        /// see docs/FHIR.md).
        #[arg(long)]
        fhir: bool,
        /// Only the accounting the client is owed under the policy in force (HIPAA
        /// 164.528: six years back, without treatment, payment and operations,
        /// disclosures to the client and those under their authorization; for a Part 2
        /// client, also those made with their consent, three years back).
        #[arg(long)]
        legal: bool,
        /// With --legal: the client's accounting request, whose day received the six
        /// years run back from [default: today].
        #[arg(long, value_name = "ID", requires = "legal")]
        request: Option<String>,
    },
    /// Clients' requests under their rights (access, amendment, accounting, …), each
    /// on the law's clock.
    #[command(subcommand)]
    Request(RequestCommand),
    /// Every unanswered request, soonest due first, with what is overdue.
    #[command(after_help = "Examples:\n  casevault due\n  casevault due --json")]
    Due,
    /// Clients whose treatment has ended, with the day their record may be destroyed
    /// under the policy in force, and legal holds.
    #[command(after_help = "Examples:\n  casevault retention\n  casevault retention --past")]
    Retention {
        /// Only those whose retention has ended.
        #[arg(long)]
        past: bool,
    },
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The practice's members: who holds the vault, in which role.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Caseloads: which clients a member whose role sees only their caseload is
    /// assigned.
    #[command(subcommand)]
    Caseload(CaseloadCommand),
    /// Emergency access ("break the glass"): ask for a client's record, and approve.
    #[command(subcommand)]
    Access(AccessCommand),
    /// Seal every record you hold again under the current keys (after a member was
    /// removed, a role narrowed or a client unassigned).
    ///
    /// Records sealed under an older key epoch still open with keys a removed member
    /// may have kept; rekey seals them again under the current epoch's keys. Records
    /// your keys do not open (another author's psychotherapy notes) are counted, and
    /// their holders must run rekey too.
    #[command(after_help = "Examples:\n  casevault rekey\n  casevault rekey --json")]
    Rekey,
    /// The search index: sealed blocks that tell a search which notes to read.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Write a consistent, encrypted copy of the vault.
    #[command(
        after_help = "Examples:\n  casevault backup --out /media/backup/practice-2026-03-01.casevault"
    )]
    Backup {
        /// The copy to create (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Copy the vault to a new place: a vault file to the practice's server, or a
    /// server's vault to a file.
    ///
    /// Every stored byte is copied while no other command can change the vault, then
    /// the copy is read back and compared, and unlocked with your passphrase and its
    /// audit trail verified. The vault copied from stays as it is: point every
    /// machine at the new place (--vault or CASEVAULT_VAULT), then retire the old one.
    /// The database on a server must exist and be empty.
    #[command(after_help = "Examples:
  casevault migrate --to postgres://casevault@db.practice.example/casevault
  CASEVAULT_VAULT=postgres://casevault@db.practice.example/casevault casevault migrate --to ~/practice.casevault")]
    Migrate {
        /// Where the copy goes: a file that does not exist, or postgres://USER@HOST/DATABASE.
        #[arg(long, value_name = "LOCATION")]
        to: PathBuf,
    },
    /// Serve the clinician's app on this machine (127.0.0.1 only) and open it in the
    /// default browser.
    ///
    /// Prints a one-time link: the first browser to follow it holds the session (an
    /// HttpOnly, SameSite=Strict cookie); unlock there with your member name and
    /// passphrase. The session locks itself and drops its keys after --idle-minutes
    /// without use. Stop the server with Ctrl-C.
    #[command(
        after_help = "Examples:\n  casevault serve\n  casevault serve --port 8470 --no-open\n  casevault serve --idle-minutes 5"
    )]
    Serve {
        /// The port on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = 8470)]
        port: u16,
        /// Print the link only; do not open a browser.
        #[arg(long)]
        no_open: bool,
        /// Minutes without use before the session locks itself (1 to 480).
        #[arg(long, default_value_t = 10, value_name = "MINUTES")]
        idle_minutes: u32,
    },
    /// Run the whole flow on a throwaway vault, printing each step.
    #[command(after_help = "Examples:\n  casevault demo")]
    Demo,
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  casevault completions bash > ~/.local/share/bash-completion/completions/casevault\n  casevault completions zsh > ~/.zfunc/_casevault\n  casevault completions fish > ~/.config/fish/completions/casevault.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command into a directory.
    #[command(
        after_help = "Examples:\n  casevault man | man -l -\n  casevault man --dir ~/.local/share/man/man1"
    )]
    Man {
        /// Write casevault.1 and a page for every command (casevault-note-add.1, …) here.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
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
    ///
    /// Without --name, asks for each field on the terminal, or reads the profile from
    /// standard input as `field: value` lines: `name:` (required), `dob:`, `contact:`,
    /// `third-party:` (repeatable).
    #[command(
        after_help = "Examples:\n  casevault client add\n  casevault client add < ada-profile.txt\n\nA profile on standard input (ada-profile.txt):\n  name: Ada Example\n  dob: 1984-05-17\n  contact: 555-0100\n  third-party: Ben Example\n\nThe --name, --dob, --contact and --third-party options put the client's details where\nother local users can read them (ps, /proc) and in your shell's history."
    )]
    Add(ClientAddArgs),
    /// List clients.
    #[command(after_help = "Examples:\n  casevault client list\n  casevault client list --json")]
    List,
    /// Show a client's profile.
    #[command(after_help = "Examples:\n  casevault client show 67e344e9")]
    Show {
        #[arg(help = client_help!("The client"))]
        id: String,
    },
    /// Edit a client's profile (name, contact, date of birth, third parties) and mark
    /// what the law attaches to their care: a 42 CFR Part 2 program's record, a minor's
    /// own consent to their care, the end of treatment, a legal hold.
    ///
    /// Everything given is changed at once, in one new version of the client's record;
    /// the earlier versions are kept. Prints the profile as it now is.
    #[command(
        after_help = "Examples:\n  casevault client edit 67e344e9 --profile-stdin < ada-changes.txt\n  casevault client edit 67e344e9 --no-contact --dob 1984-05-17\n  casevault client edit 67e344e9 --part2-program\n  casevault client edit 67e344e9 --minor-consent\n  casevault client edit 67e344e9 --treatment-ended 2026-11-30\n\nChanges on standard input (ada-changes.txt):\n  name: Ada Exemplar\n  contact: 555-0199\n\nThe --name, --contact, --dob and --third-party options put the client's details where\nother local users can read them (ps, /proc) and in your shell's history."
    )]
    Edit(ClientEditArgs),
    /// Print the page a client is given about their record (Markdown): what is kept,
    /// when information may leave, who has received what, their rights with the
    /// deadlines, how long it is kept.
    #[command(
        after_help = "Examples:\n  casevault client page 67e344e9 > ada-record.md\n  casevault client page 67e344e9 --json"
    )]
    Page {
        #[arg(help = client_help!("The client"))]
        id: String,
    },
    /// Destroy a client's record for good, once its retention has ended: every key
    /// of their compartments and every record sealed only for them. Cannot be undone.
    ///
    /// Refused under a legal hold, while a request of theirs is unanswered, and before
    /// the retention the policy sets has ended (see `casevault retention --past`),
    /// unless --reason names a reason the policy allows, with --explanation. Notes other
    /// clients took part in are kept for them, without this client's parts. What
    /// remains is the audit trail's tombstone (who, when, under which rule, how many
    /// records) and any backup made before. Needs the destroy-records permission.
    #[command(after_help = "Examples:
  casevault client destroy 67e344e9 --yes
  casevault client destroy 67e344e9 --reason entered-in-error --explanation \"duplicate of client 1c0ffee5\" --yes")]
    Destroy(ClientDestroyArgs),
}

#[derive(Args, Debug)]
pub struct ClientDestroyArgs {
    #[arg(help = client_help!("The client"))]
    pub id: String,
    /// A reason the policy allows to destroy before the retention ends
    /// (`casevault policy show`, [retention.early.*]).
    #[arg(long, value_name = "NAME", requires = "explanation")]
    pub reason: Option<String>,
    /// Why the reason applies to this client (goes into the audit trail).
    #[arg(long, value_name = "TEXT", requires = "reason")]
    pub explanation: Option<String>,
    /// Confirm: the record cannot be brought back.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct ClientEditArgs {
    #[arg(help = client_help!("The client"))]
    pub id: String,
    /// A new name; visible to other local users (ps, /proc) and kept in shell history:
    /// prefer --profile-stdin.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// How to reach the client (phone, e-mail, address); visible to other local users.
    #[arg(long, value_name = "CONTACT", conflicts_with = "no_contact")]
    pub contact: Option<String>,
    /// Remove the contact on file.
    #[arg(long)]
    pub no_contact: bool,
    /// Date of birth (YYYY-MM-DD); visible to other local users.
    #[arg(long, value_name = "DATE", conflicts_with = "no_dob")]
    pub dob: Option<Date>,
    /// Remove the date of birth on file.
    #[arg(long)]
    pub no_dob: bool,
    /// A third party who appears in notes; repeatable. The names given replace the
    /// list on file; visible to other local users.
    #[arg(
        long = "third-party",
        value_name = "NAME",
        conflicts_with = "no_third_parties"
    )]
    pub third_parties: Vec<String>,
    /// Remove every third party on file.
    #[arg(long)]
    pub no_third_parties: bool,
    /// Read the changes to the profile from standard input, as `field: value` lines
    /// like `client add` takes (`name:`, `dob:`, `contact:`, `third-party:`); the
    /// fields given are changed, `third-party:` lines replace the list.
    #[arg(long, conflicts_with_all = ["name", "contact", "dob", "third_parties"])]
    pub profile_stdin: bool,
    #[command(flatten)]
    pub care: CareArgs,
    /// Unmark the record as a Part 2 program's.
    #[arg(long, conflicts_with = "part2_program")]
    pub no_part2_program: bool,
    /// Unmark the minor's own consent.
    #[arg(long, conflicts_with = "minor_consent")]
    pub no_minor_consent: bool,
    /// The day treatment ended (a Part 2 consent "until the end of treatment" ends then,
    /// and the retention period runs from it).
    #[arg(long, value_name = "DATE")]
    pub treatment_ended: Option<Date>,
    /// Place a legal hold: the record is kept whatever its retention says.
    #[arg(long, value_name = "REASON", conflicts_with = "no_legal_hold")]
    pub legal_hold: Option<String>,
    /// Lift the legal hold.
    #[arg(long)]
    pub no_legal_hold: bool,
}

#[derive(Subcommand, Debug)]
pub enum RequestCommand {
    /// Record a client's request; prints it with its due date from the policy in force.
    #[command(
        after_help = "Examples:\n  casevault request add --client 67e344e9 --kind access --received 2026-03-02\n  casevault request add --client 67e344e9 --kind amendment"
    )]
    Add {
        #[arg(long, value_name = "ID", help = client_help!("The client who asked"))]
        client: String,
        /// access, amendment, accounting, restriction or confidential-communication.
        #[arg(long, value_name = "KIND")]
        kind: String,
        /// The day it was received [default: today].
        #[arg(long, value_name = "DATE")]
        received: Option<Date>,
        /// For an amendment (required): the categories it concerns; a statement of
        /// disagreement goes with every later disclosure that releases all of them.
        #[arg(long, value_name = "CAT[,CAT]", value_delimiter = ',', value_parser = category_arg)]
        concerns: Vec<String>,
    },
    /// Keep the client's statement of disagreement with a denied amendment (read from
    /// a file, `-`: standard input); it goes with every later disclosure of what the
    /// amendment concerns.
    #[command(after_help = "Examples:\n  casevault request disagree 2b7d09e1 --file statement.txt")]
    Disagree {
        /// The request's id.
        id: String,
        /// The file holding the client's statement.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Keep the practice's rebuttal of the client's statement of disagreement.
    #[command(after_help = "Examples:\n  casevault request rebut 2b7d09e1 --file rebuttal.txt")]
    Rebut {
        /// The request's id.
        id: String,
        /// The file holding the rebuttal.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Grant an access request: write the client's copy (everything the right
    /// reaches, psychotherapy notes never) and close the request, naming the copy.
    ///
    /// With --withhold, a denial in part: the categories kept back, with the ground and
    /// what the client is told (--note); a reviewable ground is a clinician's to give,
    /// and the client may ask for its review (`request review`). A joint note goes only
    /// where its other participants have agreed. A disclosure the policy denies leaves
    /// the request open.
    #[command(
        after_help = "Examples:\n  casevault request grant-access 2b7d09e1 --out ada-copy.md.age --recipient age1…\n  casevault request grant-access 2b7d09e1 --out ada-copy.md.age --export-passphrase-file pass.txt --withhold risk --ground danger-to-life --note \"the risk section is kept back: see the letter\""
    )]
    GrantAccess {
        /// The request's id.
        id: String,
        /// The client's copy to create (never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        export: ExportArgs,
        /// Categories kept back (a denial in part), comma-separated.
        #[arg(
            long,
            value_name = "CAT[,CAT]",
            value_delimiter = ',',
            requires = "ground"
        )]
        withhold: Vec<String>,
        /// The ground of what is kept back: danger-to-life, harm-to-other,
        /// representative-harm (reviewable) or legal-proceeding.
        #[arg(long, value_name = "GROUND", requires = "withhold")]
        ground: Option<String>,
        /// What the client is told.
        #[arg(long, value_name = "TEXT", default_value = "")]
        note: String,
        /// The day it was answered [default: today].
        #[arg(long, value_name = "DATE")]
        on: Option<Date>,
    },
    /// Accept an amendment: append its text to the client's note as an addendum, close
    /// the request, and list whom to tell (those the client names, and those who
    /// received what it concerns).
    #[command(
        after_help = "Examples:\n  casevault request accept-amendment 2b7d09e1 --note-id 26959a94 --file addendum.md --notify \"Dr. Osei\""
    )]
    AcceptAmendment {
        /// The request's id.
        id: String,
        /// The signed note the addendum goes to.
        #[arg(long, value_name = "NOTE")]
        note_id: String,
        /// The addendum (Markdown, `## category` sections as in a note; `-`: standard
        /// input).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// A person the client asks to be told; repeatable.
        #[arg(long, value_name = "NAME")]
        notify: Vec<String>,
        /// The day it was answered [default: today].
        #[arg(long, value_name = "DATE")]
        on: Option<Date>,
    },
    /// Take the one extension the policy allows, with the written reason the client is given.
    #[command(
        after_help = "Examples:\n  casevault request extend 2b7d09e1 --reason \"the records are held off site\""
    )]
    Extend {
        /// The request's id.
        id: String,
        /// Why, told to the client.
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Answer a request, closing it.
    #[command(
        after_help = "Examples:\n  casevault request answer 2b7d09e1 --outcome granted --note \"copy sent by secure mail\"\n  casevault request answer 2b7d09e1 --outcome denied --note \"not created by this practice (164.526(a)(2)(i))\""
    )]
    Answer {
        /// The request's id.
        id: String,
        /// granted, partly, denied or withdrawn.
        #[arg(long, value_name = "OUTCOME")]
        outcome: String,
        /// What was done; for a denial, its reasons in words.
        #[arg(long, value_name = "TEXT", default_value = "")]
        note: String,
        /// For a denial of access or amendment, its ground: psychotherapy-notes,
        /// legal-proceeding, danger-to-life, harm-to-other, representative-harm (access;
        /// the last three reviewable); not-created-here, not-in-record,
        /// not-open-to-access, accurate-and-complete (amendment).
        #[arg(long, value_name = "GROUND")]
        ground: Option<String>,
        /// The day it was answered [default: today].
        #[arg(long, value_name = "DATE")]
        on: Option<Date>,
    },
    /// Record the review of a reviewable denial of access, as the reviewing clinician
    /// (another than the one who denied it).
    #[command(
        after_help = "Examples:\n  casevault request review 2b7d09e1 --upheld --note \"disclosure would endanger the client's partner\"\n  casevault request review 2b7d09e1 --reversed --note \"the risk has passed\"\n\nRun it as the reviewing clinician (--member NAME, or CASEVAULT_MEMBER)."
    )]
    Review {
        /// The request's id.
        id: String,
        /// The denial stands.
        #[arg(
            long,
            conflicts_with = "reversed",
            required_unless_present = "reversed"
        )]
        upheld: bool,
        /// The denial is reversed: the client is to be given access.
        #[arg(long)]
        reversed: bool,
        /// What the reviewer found.
        #[arg(long, value_name = "TEXT")]
        note: String,
        /// The day of the review [default: today].
        #[arg(long, value_name = "DATE")]
        on: Option<Date>,
    },
    /// Record a health oversight agency's or law enforcement official's request to
    /// suspend a client's accounting of disclosures to them (164.528(a)(2)).
    #[command(
        after_help = "Examples:\n  casevault request suspend-accounting --client 67e344e9 --agency \"State Medical Board\" --until 2027-03-01 --reason \"an accounting would impede the investigation\""
    )]
    SuspendAccounting {
        #[arg(long, value_name = "ID", help = client_help!("The client whose accounting it suspends"))]
        client: String,
        /// The agency or official, as disclosures to them name them.
        #[arg(long, value_name = "NAME")]
        agency: String,
        /// From this day [default: today].
        #[arg(long, value_name = "DATE")]
        from: Option<Date>,
        /// The last day it holds.
        #[arg(long, value_name = "DATE")]
        until: Date,
        /// The agency's reason.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// The request was oral (it holds 30 days at most).
        #[arg(long)]
        oral: bool,
    },
    /// List a client's requests.
    #[command(after_help = "Examples:\n  casevault request list --client 67e344e9")]
    List {
        #[arg(long, value_name = "ID", help = client_help!("The client"))]
        client: String,
    },
}

/// What the law attaches to a client's care, as `client add` and `client edit` take it.
#[derive(Args, Debug)]
pub struct CareArgs {
    /// The record is a 42 CFR Part 2 program's (substance-use disorder treatment):
    /// every disclosure carries the 2.32 notice; only a 2.64/2.65 court order takes it
    /// to a proceeding. Needs a policy with Part 2 rules (us-federal and the states on it).
    #[arg(long)]
    pub part2_program: bool,
    /// The client consented to their own care as a minor under the policy's rule (e.g.
    /// California, 12 and over): they, not a parent, sign for those records. Needs their
    /// date of birth.
    #[arg(long)]
    pub minor_consent: bool,
}

#[derive(Args, Debug)]
pub struct ClientAddArgs {
    /// The client's name, on the command line: visible to other local users (ps,
    /// /proc) and kept in shell history. Leave it out to be asked instead.
    #[arg(long)]
    pub name: Option<String>,
    /// Date of birth (YYYY-MM-DD), with --name; visible to other local users.
    #[arg(long, value_name = "DATE")]
    pub dob: Option<Date>,
    /// How to reach the client, with --name; visible to other local users.
    #[arg(long)]
    pub contact: Option<String>,
    /// A third party who appears in notes (partner, child, employer), with --name;
    /// repeatable; visible to other local users.
    #[arg(long = "third-party", value_name = "NAME")]
    pub third_parties: Vec<String>,
    #[command(flatten)]
    pub care: CareArgs,
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
    #[command(
        after_help = "Examples:\n  casevault note add --client 67e344e9 --date 2026-03-01 --file session.md\n  casevault note add --client 67e344e9 --date 2026-03-01 --edit\n  casevault note add --client 67e344e9 --client e33597dc --type couples --date 2026-03-10 < joint.md"
    )]
    Add(NoteAddArgs),
    /// Show a note (its current version unless --version).
    #[command(
        after_help = "Examples:\n  casevault note show 26959a94\n  casevault note show 26959a94 --version 1"
    )]
    Show {
        /// The note's id.
        id: String,
        /// An earlier version.
        #[arg(long, value_name = "N")]
        version: Option<u32>,
    },
    /// List a client's notes.
    #[command(after_help = "Examples:\n  casevault note list --client 67e344e9")]
    List {
        #[arg(long, value_name = "ID", help = client_help!("The client"))]
        client: String,
    },
    /// Replace a draft note's text (the earlier version is kept). On a terminal, with
    /// no --file, the current text opens in $VISUAL or $EDITOR.
    #[command(
        after_help = "Examples:\n  casevault note edit 26959a94\n  casevault note edit 26959a94 --file revised.md"
    )]
    Edit {
        /// The note's id.
        id: String,
        /// Read the new text from this file instead of standard input.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Write the text in $VISUAL or $EDITOR, in a private file in memory (/dev/shm).
        #[arg(long, conflicts_with = "file")]
        edit: bool,
    },
    /// Sign a note, closing it for edits.
    #[command(after_help = "Examples:\n  casevault note sign 26959a94")]
    Sign {
        /// The note's id.
        id: String,
    },
    /// Add an addendum to a signed note.
    #[command(
        after_help = "Examples:\n  casevault note amend 26959a94 --edit\n  casevault note amend 26959a94 --file addendum.md"
    )]
    Amend {
        /// The note's id.
        id: String,
        /// Read the addendum from this file instead of standard input.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Write the addendum in $VISUAL or $EDITOR, in a private file in memory (/dev/shm).
        #[arg(long, conflicts_with = "file")]
        edit: bool,
    },
    /// Import a directory of Markdown notes (one client's individual sessions); run it
    /// again after an interruption and it imports only what is missing.
    #[command(after_help = "Examples:\n  casevault note import --client 67e344e9 ~/old-notes/")]
    Import {
        #[arg(long, value_name = "ID", help = client_help!("The client the notes belong to"))]
        client: String,
        /// The directory of `.md` files (front matter `date:` or a dated file name).
        dir: PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct NoteAddArgs {
    #[arg(long = "client", value_name = "ID", required = true, help = client_help!("A client in the session (repeat for couples, family and group sessions)"))]
    pub clients: Vec<String>,
    /// The session date (YYYY-MM-DD; not after today unless --allow-future).
    #[arg(long, value_name = "DATE")]
    pub date: Date,
    /// Accept a session date after today.
    #[arg(long)]
    pub allow_future: bool,
    /// The kind of session [default: individual for one client].
    #[arg(long = "type", value_enum)]
    pub note_type: Option<TypeArg>,
    /// Read the note from this file instead of standard input.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Write the text in $VISUAL or $EDITOR, in a private file in memory (/dev/shm).
    #[arg(long, conflicts_with = "file")]
    pub edit: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RelationshipArg {
    #[value(name = "self")]
    Client,
    Guardian,
    Representative,
}

impl From<RelationshipArg> for Relationship {
    fn from(r: RelationshipArg) -> Self {
        match r {
            RelationshipArg::Client => Relationship::Client,
            RelationshipArg::Guardian => Relationship::Guardian,
            RelationshipArg::Representative => Relationship::Representative,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum ConsentCommand {
    /// Record a consent; prints its id.
    #[command(
        after_help = "Examples:\n  casevault consent add --client 67e344e9 --recipient \"Dr. Osei\" --purpose treatment,coordination-of-care --allow diagnosis,medication,risk --expires 2027-12-31"
    )]
    Add(Box<ConsentAddArgs>),
    /// List a client's consents.
    #[command(after_help = "Examples:\n  casevault consent list --client 67e344e9")]
    List {
        #[arg(long, value_name = "ID", help = client_help!("The client"))]
        client: String,
    },
    /// Show a consent.
    #[command(
        after_help = "Examples:\n  casevault consent show c5168db0\n  casevault consent show c5168db0 --fhir"
    )]
    Show {
        /// The consent's id.
        id: String,
        /// Print it as an HL7 FHIR R4 Consent resource (JSON; see docs/FHIR.md).
        #[arg(long)]
        fhir: bool,
    },
    /// Revoke a consent (it is kept, marked revoked).
    #[command(
        after_help = "Examples:\n  casevault consent revoke c5168db0\n  casevault consent revoke c5168db0 --on 2026-04-01"
    )]
    Revoke {
        /// The consent's id.
        id: String,
        /// The day the revocation takes effect [default: today].
        #[arg(long, value_name = "DATE")]
        on: Option<Date>,
        /// The client revoked in writing (a Part 2 consent is revoked only so).
        #[arg(long)]
        in_writing: bool,
    },
}

#[derive(Args, Debug)]
pub struct ConsentAddArgs {
    #[arg(long, value_name = "ID", help = client_help!("The client whose information it covers"))]
    pub client: String,
    /// Who may receive the information (as disclosure requests will name them).
    #[arg(long, value_name = "NAME")]
    pub recipient: String,
    /// The recipient's organization.
    #[arg(long, value_name = "NAME")]
    pub organization: Option<String>,
    /// The recipient's age (age1…) or SSH public key, for encrypted exports.
    #[arg(long, value_name = "KEY")]
    pub recipient_key: Option<String>,
    /// Purposes, comma-separated (with --tpo: treatment, payment and operations).
    #[arg(
        long = "purpose",
        value_name = "P[,P]",
        value_delimiter = ',',
    value_parser = category_arg,
        required_unless_present = "tpo"
    )]
    pub purposes: Vec<String>,
    /// Categories, comma-separated (`all` covers every category that needs no
    /// explicit naming).
    #[arg(
        long = "allow",
        value_name = "CAT[,CAT]",
        value_delimiter = ',',
    value_parser = category_arg,
        required = true
    )]
    pub categories: Vec<String>,
    /// Categories explicitly excluded, comma-separated.
    #[arg(long = "exclude", value_name = "CAT[,CAT]", value_delimiter = ',',
    value_parser = category_arg)]
    pub excluded: Vec<String>,
    /// First day it permits disclosure [default: today].
    #[arg(long, value_name = "DATE")]
    pub from: Option<Date>,
    /// Last day it permits disclosure; with --tpo, `none` (until revoked in writing)
    /// or `end-of-treatment`.
    #[arg(long, value_name = "DATE")]
    pub expires: ExpiryArg,
    /// A 42 CFR Part 2 single consent for all future treatment, payment and
    /// operations (2.33(b)), to recipients described by class (--recipient-kind); the
    /// client must be marked --part2-program.
    #[arg(long, requires = "recipient_kind")]
    pub tpo: bool,
    /// With --tpo: the class of recipient it covers (a recipient kind of the policy,
    /// e.g. medical, health-plan); --recipient then describes them in words.
    #[arg(long, value_name = "KIND", requires = "tpo")]
    pub recipient_kind: Option<String>,
    /// Who signed it [default: the client, when --relationship self].
    #[arg(long, value_name = "NAME")]
    pub signed_by: Option<String>,
    /// In what capacity the signer signed.
    #[arg(long, value_enum, default_value = "self")]
    pub relationship: RelationshipArg,
}

/// When a consent ends: a date, or for a Part 2 single consent, `none` or
/// `end-of-treatment`.
#[derive(Clone, Copy, Debug)]
pub enum ExpiryArg {
    On(Date),
    None,
    EndOfTreatment,
}

impl std::str::FromStr for ExpiryArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "none" => Ok(ExpiryArg::None),
            "end-of-treatment" => Ok(ExpiryArg::EndOfTreatment),
            other => other
                .parse()
                .map(ExpiryArg::On)
                .map_err(|e| format!("{e} (or, for a --tpo consent, none or end-of-treatment)")),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum RestrictionCommand {
    /// Record a restriction the client asked for (45 CFR 164.522(a)), or a lockbox
    /// (PHIPA); prints its id. It is honoured from the day requested until refused or
    /// ended.
    #[command(
        after_help = "Examples:\n  casevault restriction add --client 67e344e9 --categories diagnosis --recipient-kind health-plan --self-pay\n  casevault restriction add --client 67e344e9 --categories progress,risk --recipient \"Dr. Osei\"\n  casevault restriction add --client 67e344e9 --categories sexual-health --lockbox"
    )]
    Add(RestrictionAddArgs),
    /// List a client's restrictions.
    #[command(after_help = "Examples:\n  casevault restriction list --client 67e344e9")]
    List {
        #[arg(long, value_name = "ID", help = client_help!("The client"))]
        client: String,
    },
    /// Refuse a restriction, with the reason (never one the practice must agree to,
    /// nor a lockbox).
    #[command(
        after_help = "Examples:\n  casevault restriction refuse 4f0c2a91 --reason \"the practice cannot withhold this from the treating psychiatrist\""
    )]
    Refuse {
        /// The restriction's id.
        id: String,
        /// Why, told to the client.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// From this day [default: today].
        #[arg(long, value_name = "DATE")]
        on: Option<Date>,
    },
    /// End a restriction (the client withdrew it).
    #[command(after_help = "Examples:\n  casevault restriction end 4f0c2a91")]
    End {
        /// The restriction's id.
        id: String,
        /// From this day [default: today].
        #[arg(long, value_name = "DATE")]
        on: Option<Date>,
    },
}

#[derive(Args, Debug)]
pub struct RestrictionAddArgs {
    #[arg(long, value_name = "ID", help = client_help!("The client who asked"))]
    pub client: String,
    /// The categories it keeps back, comma-separated.
    #[arg(long, value_name = "CAT[,CAT]", value_delimiter = ',', value_parser = category_arg, required = true)]
    pub categories: Vec<String>,
    /// Only for these purposes, comma-separated [default: every purpose].
    #[arg(long = "purpose", value_name = "P[,P]", value_delimiter = ',', value_parser = category_arg)]
    pub purposes: Vec<String>,
    /// Only from this recipient, by name.
    #[arg(long, value_name = "NAME", conflicts_with = "recipient_kind")]
    pub recipient: Option<String>,
    /// Only from recipients of this kind (health-plan, law-enforcement, …).
    #[arg(long, value_name = "KIND")]
    pub recipient_kind: Option<String>,
    /// The client paid for the services in full out of pocket: kept from the health
    /// plan for payment and operations, and the practice must agree (164.522(a)(1)(vi)).
    #[arg(long)]
    pub self_pay: bool,
    /// A lockbox (PHIPA): withheld from every disclosure but one the policy lets
    /// override it; the recipient is told that something was withheld, not what.
    #[arg(long, conflicts_with = "self_pay")]
    pub lockbox: bool,
    /// The day the client asked [default: today].
    #[arg(long, value_name = "DATE")]
    pub requested_on: Option<Date>,
}

#[derive(Subcommand, Debug)]
pub enum MemberCommand {
    /// Add a member with a role; prints their recovery code once.
    ///
    /// Their passphrase comes from --new-passphrase-file, else CASEVAULT_NEW_PASSPHRASE,
    /// else a prompt (asked twice). Hand it and the recovery code to them in person;
    /// they can change the passphrase with `casevault --member NAME passwd`.
    #[command(
        after_help = "Examples:\n  casevault member add --name dr-osei --role clinician\n  casevault member add --name billing --role biller --new-passphrase-file billing-pass.txt"
    )]
    Add(MemberAddArgs),
    /// List the practice's members: name, role, when added (and removed).
    #[command(after_help = "Examples:\n  casevault member list\n  casevault member list --json")]
    List,
    /// Show a member: role, when added (and removed), and their public keys.
    #[command(
        after_help = "Examples:\n  casevault member show dr-osei\n  casevault member show dr-osei --json"
    )]
    Show {
        /// The member's name.
        name: String,
    },
    /// Remove a member: their passphrase and recovery code open nothing from now on,
    /// and every key they held is replaced for what is written next (`casevault rekey`
    /// seals older records again).
    #[command(after_help = "Examples:\n  casevault member remove dr-osei")]
    Remove {
        /// The member's name.
        name: String,
    },
    /// Give a member another role (a role of the policy).
    #[command(after_help = "Examples:\n  casevault member role dr-osei supervisor")]
    Role {
        /// The member's name.
        name: String,
        /// The new role (`casevault policy show` lists the policy's roles).
        role: String,
    },
}

#[derive(Args, Debug)]
pub struct MemberAddArgs {
    /// The new member's name: lowercase letters, digits, '.', '_' and '-' (never
    /// reused).
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Their role: owner, clinician, supervisor, biller, records, or another role of
    /// the policy.
    #[arg(long, value_name = "ROLE")]
    pub role: String,
    #[command(flatten)]
    pub new: NewPassphraseArgs,
    #[command(flatten)]
    pub kdf: KdfArgs,
}

#[derive(Subcommand, Debug)]
pub enum CaseloadCommand {
    /// Assign a client to a member's caseload (until a day, or until unassigned).
    ///
    /// MEMBER is whose caseload it is; the global --member (CASEVAULT_MEMBER) still
    /// says who you are.
    #[command(
        after_help = "Examples:\n  casevault caseload assign dr-osei --client 67e344e9\n  casevault caseload assign dr-osei --client 67e344e9 --until 2026-06-30"
    )]
    Assign {
        /// The member whose caseload it is.
        #[arg(value_name = "MEMBER")]
        target: String,
        #[arg(long, value_name = "ID", help = client_help!("The client"))]
        client: String,
        /// The last day of the assignment (YYYY-MM-DD) [default: until unassigned].
        #[arg(long, value_name = "DATE")]
        until: Option<Date>,
    },
    /// Take a client off a member's caseload: their keys to the client's record are
    /// taken back.
    #[command(after_help = "Examples:\n  casevault caseload unassign dr-osei --client 67e344e9")]
    Unassign {
        /// The member whose caseload it is.
        #[arg(value_name = "MEMBER")]
        target: String,
        #[arg(long, value_name = "ID", help = client_help!("The client"))]
        client: String,
    },
    /// List the caseloads, or one member's.
    #[command(
        after_help = "Examples:\n  casevault caseload list\n  casevault caseload list dr-osei\n  casevault caseload list --json"
    )]
    List {
        /// Only this member's caseload.
        #[arg(value_name = "MEMBER")]
        target: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AccessCommand {
    /// Ask for emergency access to a client's record, saying why; prints the request's
    /// id for an owner or a records member to approve.
    #[command(
        after_help = "Examples:\n  casevault access request --client 67e344e9 --justification-file why.txt\n  casevault access request --client 67e344e9 --justification-file - < why.txt"
    )]
    Request(AccessRequestArgs),
    /// Approve a request: the requester holds the client's keys for DAYS days.
    #[command(
        after_help = "Examples:\n  casevault access approve 5b1c20d7\n  casevault access approve 5b1c20d7 --days 3"
    )]
    Approve {
        /// The request's id (`casevault access list` shows them).
        request_id: String,
        /// How many days the access lasts, today included (1 to 30).
        #[arg(long, default_value_t = 1, value_name = "N",
            value_parser = clap::value_parser!(u32).range(1..=30))]
        days: u32,
    },
    /// List the emergency access requests: pending, approved, ended.
    #[command(after_help = "Examples:\n  casevault access list\n  casevault access list --json")]
    List,
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("justification_source").args(["justification", "justification_file"]).required(true)))]
pub struct AccessRequestArgs {
    #[arg(long, value_name = "ID", help = client_help!("The client"))]
    pub client: String,
    /// Read why you need access from this file (`-`: standard input).
    #[arg(long, value_name = "FILE")]
    pub justification_file: Option<PathBuf>,
    /// Why you need access, on the command line: visible to other local users (ps,
    /// /proc) and kept in shell history; prefer --justification-file.
    #[arg(long, value_name = "TEXT")]
    pub justification: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Print the policy in force (TOML); then, as comments, each rule and exception in
    /// force with the law it comes from (for a policy that cites any, or extends a pack).
    #[command(
        after_help = "Examples:\n  casevault policy show\n  casevault policy show > policy.toml"
    )]
    Show,
    /// Validate a policy file and make it the policy in force (earlier versions are kept).
    #[command(after_help = "Examples:\n  casevault policy set policy.toml")]
    Set {
        /// The policy file (TOML).
        file: PathBuf,
    },
    /// List the jurisdiction packs built in (docs/POLICIES.md says what each decides).
    #[command(after_help = "Examples:\n  casevault policy packs\n  casevault policy packs --json")]
    Packs,
    /// Make a jurisdiction pack the policy in force (a new policy version; earlier
    /// versions are kept). Review the pack with counsel first.
    #[command(after_help = "Examples:\n  casevault policy use us-ca\n  casevault policy use ca-on")]
    Use {
        /// The pack (`casevault policy packs` lists them).
        pack: String,
    },
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("justification_source").args(["justification", "justification_file"])))]
#[command(group(ArgGroup::new("reference_source").args(["reference", "reference_file"])))]
pub struct DiscloseArgs {
    #[arg(long, value_name = "ID", help = client_help!("The client whose information would leave"))]
    pub client: String,
    /// Who would receive it (`client` for the client's own request).
    #[arg(long = "to", value_name = "NAME")]
    pub to: String,
    /// Why.
    #[arg(long, value_name = "P")]
    pub purpose: String,
    /// What, comma-separated.
    #[arg(long, value_name = "CAT[,CAT]", value_delimiter = ',',
        value_parser = category_arg, required = true)]
    pub categories: Vec<String>,
    /// Under this consent only [default: any of the client's consents].
    #[arg(long, value_name = "ID", conflicts_with = "exception")]
    pub consent: Option<String>,
    /// The kind of recipient (law-enforcement, medical, child-protection, court,
    /// health-plan, …; `casevault policy show` lists the policy's): an exception goes
    /// only to the kinds the law names, and a consent by class or a restriction is
    /// checked against it.
    #[arg(long, value_name = "KIND")]
    pub recipient_kind: Option<String>,
    /// Under this legal exception instead of consent.
    #[arg(long, value_name = "KIND", requires = "justification_source")]
    pub exception: Option<String>,
    /// Read why the exception applies from this file (`-`: standard input).
    #[arg(long, value_name = "FILE", requires = "exception")]
    pub justification_file: Option<PathBuf>,
    /// Why the exception applies, on the command line: visible to other local users
    /// (ps, /proc) and kept in shell history; prefer --justification-file.
    #[arg(long, value_name = "TEXT", requires = "exception")]
    pub justification: Option<String>,
    /// Read the order's or report's reference (required for court-order) from this
    /// file (`-`: standard input).
    #[arg(long, value_name = "FILE", requires = "exception")]
    pub reference_file: Option<PathBuf>,
    /// The order's or report's reference, on the command line: visible to other local
    /// users (ps, /proc) and kept in shell history; prefer --reference-file.
    #[arg(long, value_name = "REF", requires = "exception")]
    pub reference: Option<String>,
    /// For an abuse report about someone in the client's record (a child named on the
    /// profile as a third party): read that person's name, as the profile lists it,
    /// from this file (`-`: standard input). The report may then release their name.
    #[arg(long, value_name = "FILE", requires = "exception")]
    pub about_file: Option<PathBuf>,
    /// For court-order: the categories the order names [default: --categories].
    #[arg(
        long,
        value_name = "CAT[,CAT]",
        value_delimiter = ',',
        value_parser = category_arg,
        requires = "exception"
    )]
    pub order_categories: Vec<String>,
    /// Notes from this date.
    #[arg(long, value_name = "DATE")]
    pub from: Option<Date>,
    /// Notes up to this date.
    #[arg(long, value_name = "DATE")]
    pub until: Option<Date>,
    #[command(flatten)]
    pub export: ExportArgs,
    /// The export to create (never overwritten).
    #[arg(long, value_name = "FILE", required_unless_present = "dry_run")]
    pub out: Option<PathBuf>,
    /// Only decide: print the decision, write nothing but the decision and its audit event.
    #[arg(long)]
    pub dry_run: bool,
}

/// How an export is encrypted, and its format.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Encrypt the export to this age (age1…) or SSH public key; repeatable.
    #[arg(long = "recipient", value_name = "KEY")]
    pub recipients: Vec<String>,
    /// Encrypt the export to the passphrase in this file (first line).
    #[arg(long, value_name = "FILE", conflicts_with = "recipients")]
    pub export_passphrase_file: Option<PathBuf>,
    /// Write the export unencrypted. Only for a recipient who receives it by other
    /// secure means; prints a warning.
    #[arg(long, conflicts_with_all = ["recipients", "export_passphrase_file"])]
    pub write_plaintext: bool,
    /// The export's format.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: FormatArg,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Markdown,
    Json,
}

/// `casevault index ...`
#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Build your search index again from the notes you can read.
    ///
    /// Every note you can read is read and indexed again, under the keys of its
    /// compartments you hold. Run it once after upgrading a vault made before the
    /// index (until then, searches read every note), or when `casevault audit verify`
    /// reports the index damaged or incomplete.
    #[command(
        after_help = "Examples:\n  casevault index rebuild\n  casevault index rebuild --json"
    )]
    Rebuild,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Print every event, oldest first.
    #[command(
        after_help = "Examples:\n  casevault audit log\n  casevault audit log --json\n  casevault audit log --fhir"
    )]
    Log {
        /// Print it as an HL7 FHIR R4 Bundle of AuditEvents, one per event (JSON; see
        /// docs/FHIR.md).
        #[arg(long)]
        fhir: bool,
    },
    /// Check the chain, its head, every record against its last audited write, and
    /// optionally an anchor kept outside the vault.
    #[command(
        after_help = "Examples:\n  casevault audit verify\n  casevault audit verify --anchor 1234-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    )]
    Verify {
        /// An anchor printed earlier by `casevault audit anchor`.
        #[arg(long, value_name = "DIGEST", value_parser = anchor_arg)]
        anchor: Option<String>,
    },
    /// Print a short digest of the chain's head to keep outside the vault.
    #[command(after_help = "Examples:\n  casevault audit anchor")]
    Anchor,
    /// Accept a server vault's trail as it stands now, replacing this machine's pin.
    ///
    /// Each machine keeps a pin of a server vault's trail (the last event it saw) in
    /// its data directory, and refuses a trail that does not extend it (exit 5). When
    /// the practice has restored the server from an older copy on purpose, and found
    /// out why the trail differs, each member accepts the trail as it now stands with
    /// `audit pin --reset --yes`; the reset is recorded in the trail.
    #[command(after_help = "Examples:\n  casevault audit pin --reset --yes")]
    Pin {
        /// Replace the pin by the trail as it stands.
        #[arg(long, required = true)]
        reset: bool,
        /// Confirm: the trail as it stands is the practice's.
        #[arg(long, required = true)]
        yes: bool,
    },
}

/// One category name in a comma-separated list: `--categories ","` is a typo, not a
/// request for nothing.
fn category_arg(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() {
        return Err("an empty category name; list categories like risk,diagnosis".into());
    }
    Ok(name.to_owned())
}

fn anchor_arg(text: &str) -> Result<String, String> {
    if casevault::is_anchor(text) {
        Ok(text.trim().to_owned())
    } else {
        Err("not an anchor; give it as `casevault audit anchor` printed it, e.g. 1234-0f1e2d3c4b5a69788796a5b4c3d2e1f0".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Splits an example line like a shell would, for the simple quoting the examples
    /// use, stopping at a redirection or a pipe.
    fn words(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word = String::new();
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                c if c.is_whitespace() && !quoted => {
                    if !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                }
                '<' | '>' | '|' if !quoted => break,
                c => word.push(c),
            }
        }
        if !word.is_empty() {
            words.push(word);
        }
        words
    }

    fn leaves(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(String, clap::Command)>) {
        if cmd.get_subcommands().next().is_none() {
            out.push((path.join(" "), cmd.clone()));
        }
        for sub in cmd.get_subcommands() {
            let mut p = path.clone();
            p.push(sub.get_name().to_owned());
            leaves(sub, p, out);
        }
    }

    #[test]
    fn every_command_has_examples_and_each_example_parses() {
        let mut all = Vec::new();
        leaves(&Cli::command(), vec!["casevault".into()], &mut all);
        let mut problems = Vec::new();
        for (path, cmd) in &all {
            if path == "casevault help" || path.starts_with("casevault help ") {
                continue;
            }
            let help = cmd
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            let examples: Vec<&str> = help
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("casevault "))
                .collect();
            if !help.starts_with("Examples:") || examples.is_empty() {
                problems.push(format!("{path}: no examples"));
            }
            for example in examples {
                let args = words(example);
                if !args.join(" ").starts_with(path.as_str()) {
                    problems.push(format!("{path}: example for another command: {example}"));
                }
                if let Err(e) = Cli::try_parse_from(&args) {
                    problems.push(format!("{path}: `{example}` does not parse: {e}"));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        assert!(all.len() > 25, "{} commands found", all.len());
    }
}
