//! Which record a row holds: its kind, identifier and version. Plain data: the store
//! keys rows by it and the record format binds each ciphertext to it.

use std::fmt;

/// What a record holds. Stored in clear beside the ciphertext (record counts by kind
/// are visible to whoever holds the file; nothing else is).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    /// A client profile.
    Client,
    /// One version of a session note.
    Note,
    /// The encrypted details of one audit event.
    AuditEvent,
    /// A consent (revoking it writes a new version).
    Consent,
    /// An intake acknowledgement.
    Intake,
    /// A version of the policy.
    Policy,
    /// A disclosure decision.
    Decision,
    /// An entry in a client's accounting of disclosures.
    Accounting,
    /// A member's own private keys, sealed under their personal key.
    Member,
    /// The practice's roster: members, roles' keys, the key epoch.
    Roster,
    /// The practice's caseloads: which clients each member is assigned.
    Caseload,
    /// A compartment's data key wrapped under a member's personal key (never stored
    /// as a record row: the reference its wrapping is bound to).
    Grant,
    /// A request for emergency access to a client's record, and its approval.
    AccessRequest,
    /// A client's restriction or lockbox (refusing or ending it writes a new version).
    Restriction,
    /// A client's request under their rights (extending or answering it writes a new
    /// version).
    RightsRequest,
    /// A suspension of a client's accounting at an agency's request.
    AccountingSuspension,
}

impl RecordKind {
    /// True for the kinds of a client's record, which `client destroy` may delete (the
    /// practice's own records, members' keys and the audit trail are never deleted).
    pub fn destroyable(self) -> bool {
        matches!(
            self,
            RecordKind::Client
                | RecordKind::Note
                | RecordKind::Consent
                | RecordKind::Intake
                | RecordKind::Decision
                | RecordKind::Accounting
                | RecordKind::AccessRequest
                | RecordKind::Restriction
                | RecordKind::RightsRequest
                | RecordKind::AccountingSuspension
        )
    }

    /// The kind's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Client => "client",
            RecordKind::Note => "note",
            RecordKind::AuditEvent => "audit-event",
            RecordKind::Consent => "consent",
            RecordKind::Intake => "intake",
            RecordKind::Policy => "policy",
            RecordKind::Decision => "decision",
            RecordKind::Accounting => "accounting",
            RecordKind::Member => "member",
            RecordKind::Roster => "roster",
            RecordKind::Caseload => "caseload",
            RecordKind::Grant => "grant",
            RecordKind::AccessRequest => "access-request",
            RecordKind::Restriction => "restriction",
            RecordKind::RightsRequest => "rights-request",
            RecordKind::AccountingSuspension => "accounting-suspension",
        }
    }

    /// Reads a stored kind name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "client" => Some(RecordKind::Client),
            "note" => Some(RecordKind::Note),
            "audit-event" => Some(RecordKind::AuditEvent),
            "consent" => Some(RecordKind::Consent),
            "intake" => Some(RecordKind::Intake),
            "policy" => Some(RecordKind::Policy),
            "decision" => Some(RecordKind::Decision),
            "accounting" => Some(RecordKind::Accounting),
            "member" => Some(RecordKind::Member),
            "roster" => Some(RecordKind::Roster),
            "caseload" => Some(RecordKind::Caseload),
            "grant" => Some(RecordKind::Grant),
            "access-request" => Some(RecordKind::AccessRequest),
            "restriction" => Some(RecordKind::Restriction),
            "rights-request" => Some(RecordKind::RightsRequest),
            "accounting-suspension" => Some(RecordKind::AccountingSuspension),
            _ => None,
        }
    }
}

/// The reference a record's ciphertext is bound to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordRef {
    /// What the record holds.
    pub kind: RecordKind,
    /// The record's identifier.
    pub id: String,
    /// The version (1 for records that are never rewritten).
    pub version: u32,
}

impl RecordRef {
    /// Builds a reference.
    pub fn new(kind: RecordKind, id: impl Into<String>, version: u32) -> Self {
        RecordRef {
            kind,
            id: id.into(),
            version,
        }
    }
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} version {}",
            self.kind.as_str(),
            self.id,
            self.version
        )
    }
}
