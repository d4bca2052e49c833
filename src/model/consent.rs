//! Consents (authorizations to disclose) and intake acknowledgements.
//!
//! A consent is never edited: a change is a new consent, and revoking one writes a new
//! version of the same record with the revocation filled in.

use serde::{Deserialize, Serialize};

use crate::base::{ClientId, ConsentId, Date, IntakeId, Timestamp};

/// In what capacity the signer signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relationship {
    /// The client.
    #[serde(rename = "self")]
    Client,
    /// A parent or guardian.
    Guardian,
    /// A legal representative.
    Representative,
}

impl Relationship {
    /// The word used on the command line and in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Client => "self",
            Relationship::Guardian => "guardian",
            Relationship::Representative => "representative",
        }
    }
}

/// Who a consent permits disclosure to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecipient {
    /// The recipient's name, as a disclosure request names it.
    pub name: String,
    /// Their organization.
    #[serde(default)]
    pub organization: Option<String>,
    /// Their age (`age1…`) or SSH public key, for encrypted exports.
    #[serde(default)]
    pub public_key: Option<String>,
}

/// A revocation: from `effective` on, the consent permits nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// The date the revocation takes effect.
    pub effective: Date,
    /// The client revoked in writing (a 42 CFR Part 2 consent is revoked only so).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_writing: bool,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: String,
}

/// A single consent for treatment, payment and operations (42 CFR 2.33(b)): its
/// recipients described by class, not by name, until it is revoked in writing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tpo {
    /// The class of recipient it covers: a recipient kind of the policy (e.g.
    /// `medical`); a request names the recipient's kind to rest on it.
    pub recipient_kind: String,
    /// It ends when the client's treatment ends (`--expires end-of-treatment`);
    /// otherwise it has no end date (`--expires none`). Either way the consent's
    /// `expires` is [`Date::LATEST`]: only a written revocation, or the end of
    /// treatment, ends it.
    pub until_end_of_treatment: bool,
}

/// What `consent add` takes.
#[derive(Clone, Debug)]
pub struct NewConsent {
    /// The client whose information it covers.
    pub client: ClientId,
    /// Who may receive it.
    pub recipient: ConsentRecipient,
    /// For which purposes.
    pub purposes: Vec<String>,
    /// Which categories (`all` covers every category that needs no explicit naming).
    pub categories: Vec<String>,
    /// Categories explicitly excluded.
    pub excluded: Vec<String>,
    /// First day it permits disclosure.
    pub effective: Date,
    /// Last day it permits disclosure.
    pub expires: Date,
    /// Who signed it.
    pub signed_by: String,
    /// In what capacity.
    pub relationship: Relationship,
    /// For a Part 2 single consent for treatment, payment and operations.
    pub tpo: Option<Tpo>,
}

/// A recorded consent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// The consent's identifier.
    pub id: ConsentId,
    /// The record version (2 once revoked).
    pub version: u32,
    /// The client whose information it covers.
    pub client: ClientId,
    /// Who may receive it.
    pub recipient: ConsentRecipient,
    /// For which purposes.
    pub purposes: Vec<String>,
    /// Which categories.
    pub categories: Vec<String>,
    /// Categories explicitly excluded.
    #[serde(default)]
    pub excluded: Vec<String>,
    /// First day it permits disclosure.
    pub effective: Date,
    /// Last day it permits disclosure.
    pub expires: Date,
    /// Who signed it.
    pub signed_by: String,
    /// In what capacity.
    pub relationship: Relationship,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: String,
    /// Its revocation, if revoked.
    #[serde(default)]
    pub revoked: Option<Revocation>,
    /// For a Part 2 single consent for treatment, payment and operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpo: Option<Tpo>,
}

impl Consent {
    /// True when the consent is revoked as of `date`.
    pub fn is_revoked_on(&self, date: Date) -> bool {
        self.revoked.as_ref().is_some_and(|r| r.effective <= date)
    }

    /// Its state on `date`, in words: `active`, `revoked`, `expired` or `not yet effective`.
    pub fn state_on(&self, date: Date) -> &'static str {
        if self.is_revoked_on(date) {
            "revoked"
        } else if date > self.expires {
            "expired"
        } else if date < self.effective {
            "not yet effective"
        } else {
            "active"
        }
    }
}

/// One exception of the policy as the client was told of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToldException {
    /// The exception's kind.
    pub kind: String,
    /// Its text, as the policy stated it that day.
    pub description: String,
}

/// The record that a client was told the limits of confidentiality.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeAcknowledgement {
    /// The record's identifier.
    pub id: IntakeId,
    /// The client.
    pub client: ClientId,
    /// The day the client acknowledged it.
    pub acknowledged_on: Date,
    /// The policy in force (its version in the vault and its name).
    pub policy_version: u32,
    /// The policy's name.
    pub policy_name: String,
    /// The exceptions the client was told of, as their text stood.
    pub exceptions: Vec<ToldException>,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: String,
}
