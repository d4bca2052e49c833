//! The library's error type: what went wrong, and which class of failure it is.

use crate::audit::{ChainError, Failure, Outcome};
use crate::base::ClientId;
use crate::crypto::hygiene::HardeningError;
use crate::crypto::keyslot::KeyslotError;
use crate::crypto::record::IntegrityError;
use crate::model::note::NoteParseError;
use crate::model::policy::PolicyError;
use crate::rules::decision::DecisionRecord;
use crate::store::StoreError;

/// The class of a failure, which the CLI turns into its exit code.
///
/// Classes may be added (a new exit code); a `match` on it needs a `_` arm, best
/// treated as [`ErrorClass::Failure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorClass {
    /// Bad input, a missing record, or a failure of the system (exit 1).
    Failure,
    /// An argument names something the policy does not have (exit 2, a usage error).
    Usage,
    /// A wrong passphrase or recovery code (exit 3).
    WrongSecret,
    /// Denied by policy (exit 4).
    Denied,
    /// Tampering or corruption detected (exit 5).
    Integrity,
}

/// Why a vault operation failed. Messages name the record or line involved and never
/// contain secrets or record plaintext.
///
/// Variants are added as the library grows: a `match` on it needs a `_` arm, and
/// [`Error::class`] says how to treat any variant, known or not.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The vault file could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The passphrase does not open the vault.
    #[error("wrong passphrase for this vault")]
    WrongPassphrase,
    /// This member's keys do not open what the operation needs: their role, caseload
    /// or authorship does not grant it. Distinct from a policy's denial.
    #[error("your keys do not open {what}: your role and caseload do not grant it")]
    KeyDenied {
        /// What could not be opened (a record, or a client's compartment).
        what: String,
    },
    /// The member was removed from the practice: their passphrase opens nothing.
    #[error("member {0:?} was removed from the practice")]
    MemberRemoved(String),
    /// The member's role does not allow this operation.
    #[error("your role ({role}) does not allow {what}")]
    RoleDenied {
        /// The member's role.
        role: String,
        /// What was refused.
        what: String,
    },
    /// A client's record is kept: a legal hold, an unanswered request or its
    /// retention stands in the way of its destruction.
    #[error("the record of client {client} is kept: {why}")]
    RecordKept {
        /// The client.
        client: String,
        /// What keeps it, and what to do.
        why: String,
    },
    /// No active member of the practice has this name.
    #[error("the practice has no member named {0:?}")]
    NoSuchMember(String),
    /// The practice has several members and none was named.
    #[error("this practice has several members: say which one you are")]
    MemberNeeded,
    /// The recovery code does not open the vault.
    #[error("wrong recovery code for this vault")]
    WrongRecoveryCode,
    /// A keyslot is malformed or asks for out-of-range KDF parameters.
    #[error("the {slot} keyslot cannot be used: {source}")]
    Keyslot {
        /// Which keyslot (`passphrase`, `recovery`).
        slot: &'static str,
        /// What is wrong with it.
        source: KeyslotError,
    },
    /// A record failed to decrypt or verify.
    #[error(transparent)]
    Integrity(#[from] IntegrityError),
    /// The search index does not open, does not read, or misses a part of itself.
    #[error(
        "the search index is damaged ({what}): run `casevault index rebuild`, then `casevault audit verify` to see whether anything else was changed"
    )]
    SearchIndexDamaged {
        /// What failed (no text of any note).
        what: String,
    },
    /// A record decrypted but its content is not what this version of casevault wrote.
    #[error("{record} decrypted but its content is malformed")]
    MalformedRecord {
        /// The record.
        record: String,
    },
    /// A record read is older than a version the audit trail says was written.
    #[error(
        "{record} is at version {read}, but the audit trail shows version {written} was written: the vault was rolled back"
    )]
    RolledBack {
        /// The record.
        record: String,
        /// The version found.
        read: u32,
        /// The newest version written.
        written: u32,
    },
    /// The vault's audit trail does not extend what this machine last saw of it (its
    /// pin): a server rolled back, or showing this member a history of its own.
    #[error(
        "the vault's audit trail does not extend what this machine last saw of it (event {pinned}): {seen}"
    )]
    TrailNotExtended {
        /// The event this machine's pin names.
        pinned: u64,
        /// What the trail holds instead.
        seen: TrailSeen,
    },
    /// This machine's pin of the vault cannot be read or written.
    #[error("the pin file {} cannot be used: {why}", path.display())]
    PinUnreadable {
        /// The pin file.
        path: std::path::PathBuf,
        /// Why.
        why: String,
    },
    /// An event of the audit trail is missing, altered or unreadable, so what was
    /// written last cannot be known.
    #[error(
        "the audit trail is broken at event {seq} (an event removed, altered or unreadable), so the records read cannot be shown to be current"
    )]
    AuditTrailBroken {
        /// The first event found wrong.
        seq: u64,
    },
    /// The vault holds no policy, though its audit trail shows one was set: its
    /// policy was deleted from the file.
    #[error(
        "the vault's policy is missing, though the audit trail shows one was set: the vault is damaged; nothing was decided or written"
    )]
    PolicyMissing,
    /// A category, purpose or other name in a request is not one the policy has.
    #[error("{name:?} is not a {what} of the policy{}; use one of: {}", suggestion.as_ref().map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default(), known.join(", "))]
    UnknownName {
        /// What kind of name: `category`, `purpose`.
        what: &'static str,
        /// The name as given.
        name: String,
        /// The closest name the policy has, when one is close.
        suggestion: Option<String>,
        /// Every name of that kind the policy has.
        known: Vec<String>,
    },
    /// The audit trail's last event does not match its sealed head.
    #[error("the audit trail does not match its sealed head (events removed or the head altered)")]
    AuditHeadMismatch,
    /// No client has this identifier.
    #[error("no client {0}")]
    ClientNotFound(String),
    /// A client was looked up by name ([`crate::Session::find_client`]) and several
    /// match. The message names their identifiers only; their names are in `matches`,
    /// for the caller to show the user.
    #[error(
        "{query:?} matches {} clients ({}): give one client's id",
        matches.len(),
        matches.iter().map(|m| m.id.as_str()).collect::<Vec<_>>().join(", ")
    )]
    ClientAmbiguous {
        /// The words looked for, as given.
        query: String,
        /// The clients whose name holds every word, by name.
        matches: Vec<ClientMatch>,
    },
    /// No note has this identifier.
    #[error("no note {0}")]
    NoteNotFound(String),
    /// The note is signed and takes only addenda.
    #[error("note {0} is signed and closed for edits")]
    NoteSigned(String),
    /// The note is a draft; an addendum makes sense only after signing.
    #[error("note {0} is a draft, not signed")]
    NoteNotSigned(String),
    /// A note body cannot be split into sections.
    #[error("note body, {0}")]
    NoteBody(#[from] NoteParseError),
    /// No consent has this identifier.
    #[error("no consent {0}")]
    ConsentNotFound(String),
    /// A policy file cannot be used.
    #[error("policy file, {0}")]
    Policy(#[from] PolicyError),
    /// The policy denies part of a disclosure; nothing left the vault.
    #[error("denied by policy: {}", denied_categories(.0))]
    Denied(Box<DecisionRecord>),
    /// An argument is not acceptable; the message says which and why.
    #[error("{0}")]
    InvalidInput(String),
    /// A keyslot opened, but with the key of another vault: it was copied in from
    /// elsewhere.
    #[error(
        "the {slot} keyslot opens with another vault's key: it was copied into this vault from another one"
    )]
    ForeignKeyslot {
        /// Which keyslot (`passphrase`, `recovery`).
        slot: &'static str,
    },
    /// A note exists but not at this version.
    #[error("note {note} has no version {version}")]
    NoSuchVersion {
        /// The note.
        note: String,
        /// The version asked for.
        version: u32,
    },
    /// A file was to be created in a directory that does not exist.
    #[error("the directory {} does not exist", .0.display())]
    NoSuchDirectory(std::path::PathBuf),
    /// The process could not be made safe to hold secrets in (see [`crate::harden_process`]).
    #[error("cannot {what}, so secrets could reach a core dump: {source}")]
    Hardening {
        /// What failed.
        what: &'static str,
        /// The system's error.
        source: std::io::Error,
    },
}

/// A client a name lookup matched: their identifier and name.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientMatch {
    /// The client's identifier.
    pub id: ClientId,
    /// The client's name.
    pub name: String,
}

/// The identifier only: an error's `Debug` form may reach a log, which is no place for
/// a client's name.
impl std::fmt::Debug for ClientMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientMatch")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// What a trail that does not extend a pin holds instead ([`Error::TrailNotExtended`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrailSeen {
    /// The trail ends before the pinned event.
    #[error(
        "the trail now ends at event {last}: it was rolled back (restored from an older copy) or its last events were removed"
    )]
    EndsEarlier {
        /// The trail's last event (0: none).
        last: u64,
    },
    /// Events up to the pinned one are missing.
    #[error("events up to it were removed")]
    RemovedBefore,
    /// Another event stands where the pinned one was.
    #[error("another event stands in its place: the trail was rewritten, or forked")]
    Replaced,
    /// The vault now has another identifier than the one pinned: the server serves
    /// this member's vault as another vault (which would shed every pin).
    #[error("the vault's identifier is not the one this machine pinned")]
    OtherVault,
    /// An event after the pinned one is missing, out of order, altered or unsigned.
    #[error(
        "event {seq} after it is missing, out of order, altered or not signed by the member it names"
    )]
    BrokenAfter {
        /// The first event found wrong.
        seq: u64,
    },
}

impl From<ChainError> for Error {
    fn from(e: ChainError) -> Self {
        match e {
            ChainError::Store(e) => Error::Store(e),
            ChainError::HeadMismatch => Error::AuditHeadMismatch,
            ChainError::Unserializable(e) => Error::InvalidInput(format!("cannot serialize: {e}")),
            ChainError::Integrity(e) => Error::Integrity(e),
            ChainError::Malformed { record } => Error::MalformedRecord { record },
        }
    }
}

impl From<HardeningError> for Error {
    fn from(e: HardeningError) -> Self {
        Error::Hardening {
            what: e.what,
            source: e.source,
        }
    }
}

impl Error {
    /// The class of this failure.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::WrongPassphrase | Error::WrongRecoveryCode => ErrorClass::WrongSecret,
            Error::Denied(_)
            | Error::KeyDenied { .. }
            | Error::RoleDenied { .. }
            | Error::RecordKept { .. } => ErrorClass::Denied,
            Error::MemberRemoved(_) => ErrorClass::WrongSecret,
            Error::UnknownName { .. } | Error::ClientAmbiguous { .. } => ErrorClass::Usage,
            Error::Keyslot {
                source: KeyslotError::WrongSecret,
                ..
            } => ErrorClass::WrongSecret,
            Error::Keyslot { .. }
            | Error::Integrity(_)
            | Error::MalformedRecord { .. }
            | Error::SearchIndexDamaged { .. }
            | Error::RolledBack { .. }
            | Error::TrailNotExtended { .. }
            | Error::AuditHeadMismatch
            | Error::PolicyMissing
            | Error::ForeignKeyslot { .. }
            | Error::AuditTrailBroken { .. }
            | Error::Store(StoreError::Corrupt(_)) => ErrorClass::Integrity,
            // Listed rather than caught by `_`, so a new variant has to pick its class.
            Error::Store(_)
            | Error::ClientNotFound(_)
            | Error::NoteNotFound(_)
            | Error::NoteSigned(_)
            | Error::NoteNotSigned(_)
            | Error::NoteBody(_)
            | Error::ConsentNotFound(_)
            | Error::Policy(_)
            | Error::InvalidInput(_)
            | Error::NoSuchVersion { .. }
            | Error::NoSuchDirectory(_)
            | Error::NoSuchMember(_)
            | Error::MemberNeeded
            | Error::PinUnreadable { .. }
            | Error::Hardening { .. } => ErrorClass::Failure,
        }
    }

    /// The kind of failure the audit trail records (never the message, which may name
    /// a record). One arm per variant and no catch-all, so a new variant cannot go
    /// unclassified: its kind, and through it its FHIR severity, is decided here.
    pub(crate) fn failure(&self) -> Failure {
        match self {
            Error::Store(_) | Error::PinUnreadable { .. } => Failure::Storage,
            Error::WrongPassphrase => Failure::WrongPassphrase,
            Error::WrongRecoveryCode => Failure::WrongRecoveryCode,
            Error::Keyslot { .. } => Failure::KeyslotUnusable,
            Error::Integrity(_)
            | Error::MalformedRecord { .. }
            | Error::SearchIndexDamaged { .. } => Failure::Integrity,
            Error::AuditHeadMismatch => Failure::AuditHeadMismatch,
            Error::PolicyMissing => Failure::PolicyMissing,
            Error::UnknownName { .. } => Failure::UnknownName,
            Error::AuditTrailBroken { .. } => Failure::AuditTrailBroken,
            Error::RolledBack { .. } | Error::TrailNotExtended { .. } => Failure::RolledBack,
            Error::ClientNotFound(_) => Failure::NoSuchClient,
            Error::NoteNotFound(_) => Failure::NoSuchNote,
            Error::NoteSigned(_) => Failure::NoteSigned,
            Error::NoteNotSigned(_) => Failure::NoteNotSigned,
            Error::NoteBody(_) => Failure::MalformedNoteBody,
            Error::ConsentNotFound(_) => Failure::NoSuchConsent,
            Error::Policy(_) => Failure::MalformedPolicy,
            Error::Denied(_) => Failure::DeniedByPolicy,
            Error::InvalidInput(_)
            | Error::NoSuchMember(_)
            | Error::MemberNeeded
            | Error::ClientAmbiguous { .. } => Failure::InvalidInput,
            Error::KeyDenied { .. } => Failure::KeyDenied,
            Error::RoleDenied { .. } => Failure::RoleDenied,
            Error::RecordKept { .. } => Failure::RecordKept,
            Error::MemberRemoved(_) => Failure::WrongPassphrase,
            Error::Hardening { .. } => Failure::Hardening,
            Error::NoSuchVersion { .. } => Failure::NoSuchVersion,
            Error::ForeignKeyslot { .. } => Failure::ForeignKeyslot,
            Error::NoSuchDirectory(_) => Failure::NoSuchDirectory,
        }
    }

    /// The outcome the audit trail records for this failure.
    pub(crate) fn audit_outcome(&self) -> Outcome {
        Outcome::Failed(self.failure())
    }
}

fn denied_categories(record: &DecisionRecord) -> String {
    record
        .decision
        .verdicts
        .iter()
        .filter(|v| !v.permitted)
        .map(|v| v.category.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
