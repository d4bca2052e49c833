//! What the decision engine answers: a verdict per category, with its basis and the
//! obligations a disclosure under it carries, and the stored record of a decision.

use serde::{Deserialize, Serialize};

use crate::base::{ClientId, ConsentId, Date, DecisionId, NoteId, Timestamp};

use super::DisclosureRequest;

/// What a decision rests on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Basis {
    /// The client's consent(s).
    Consent {
        /// The consents that permit something, in order.
        consents: Vec<ConsentId>,
    },
    /// A legal exception.
    Exception {
        /// Its kind.
        exception: String,
        /// The justification given.
        justification: String,
        /// The reference given.
        reference: Option<String>,
    },
    /// The client's own access request.
    ClientRequest,
}

/// One category's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The category.
    pub category: String,
    /// Permitted or not.
    pub permitted: bool,
    /// Why, in words.
    pub reason: String,
    /// The consent that permits it, when one does.
    #[serde(default)]
    pub consent: Option<ConsentId>,
    /// Not permitted, yet not blocking: withheld by the client's lockbox, and the
    /// disclosure goes ahead without it, telling the recipient that something was
    /// withheld (never what).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
}

/// A joint note's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointVerdict {
    /// The note.
    pub note: NoteId,
    /// Its session date.
    pub date: Date,
    /// Released, or withheld whole.
    pub permitted: bool,
    /// The participants whose permission is missing.
    pub missing: Vec<ClientId>,
    /// For a released note: the consents by which each other participant permits it.
    #[serde(default)]
    pub participants: Vec<ParticipantConsent>,
    /// Why, in words.
    pub reason: String,
}

/// The consents by which another participant of a joint note permits its release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantConsent {
    /// The participant.
    pub client: ClientId,
    /// Their consents relied on.
    pub consents: Vec<ConsentId>,
}

/// What a permitted disclosure obliges the practice to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "obligation", rename_all = "kebab-case")]
pub enum Obligation {
    /// Enter the disclosure in the client's accounting of disclosures.
    AccountingEntry,
    /// List it in the accounting marked as the client's own request (HIPAA exempts it).
    AccountingClientRequest,
    /// Attach the redisclosure notice.
    RedisclosureNotice {
        /// The notice's text.
        text: String,
    },
    /// Tell the client of the disclosure, unless that is unsafe.
    TellClient,
    /// Redact third parties' names and identifiers.
    RedactThirdParties,
    /// Tell the recipient that some information was withheld at the client's
    /// instruction (a lockbox), without saying what.
    LockboxNotice {
        /// What the recipient is told.
        text: String,
    },
}

/// The answer to a disclosure request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The request, as made.
    pub request: DisclosureRequest,
    /// The day of the decision.
    pub decided_on: Date,
    /// The policy's name.
    pub policy: String,
    /// What it rests on.
    pub basis: Basis,
    /// One verdict per requested category, in the request's order.
    pub verdicts: Vec<Verdict>,
    /// One verdict per joint note in range.
    pub joint_notes: Vec<JointVerdict>,
    /// What a disclosure under this decision obliges.
    pub obligations: Vec<Obligation>,
    /// True when the law requires this disclosure (an exception of force
    /// `required` permits it), not only permits it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
}

impl Decision {
    /// True when the disclosure may go ahead: every requested category is permitted,
    /// or withheld by the client's lockbox (which leaves without it), and at least
    /// one is permitted.
    pub fn all_permitted(&self) -> bool {
        // Deny by default: a request for nothing permits nothing.
        self.verdicts.iter().any(|v| v.permitted)
            && self.verdicts.iter().all(|v| v.permitted || v.withheld)
    }

    /// The categories permitted.
    pub fn permitted(&self) -> Vec<&str> {
        self.verdicts
            .iter()
            .filter(|v| v.permitted)
            .map(|v| v.category.as_str())
            .collect()
    }
}

/// A stored decision: the decision and the policy version it was made under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// The record's identifier.
    pub id: DecisionId,
    /// The policy version in force (0: the built-in default of a vault that had none).
    pub policy_version: u32,
    /// True for a dry run (nothing left the vault).
    pub dry_run: bool,
    /// The decision.
    pub decision: Decision,
    /// When it was made.
    pub made_at: Timestamp,
    /// Who asked.
    pub made_by: String,
}
