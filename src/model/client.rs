//! Client profiles.

use serde::{Deserialize, Serialize};

use crate::base::{ClientId, Date, Timestamp};

/// What `client add` takes.
#[derive(Clone, Debug, Default)]
pub struct NewClient {
    /// The client's name.
    pub name: String,
    /// Date of birth.
    pub date_of_birth: Option<Date>,
    /// How to reach the client (phone, e-mail, address).
    pub contact: Option<String>,
    /// Names of third parties who appear in notes (partner, children, employer).
    pub third_parties: Vec<String>,
    /// What the law attaches to the client's care.
    pub care: Care,
}

/// What the law attaches to a client's care, beyond their consents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Care {
    /// The record is a 42 CFR Part 2 program's (substance-use disorder treatment):
    /// every disclosure carries the 2.32 notice, and only a 2.64/2.65 court order
    /// takes it to proceedings.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub part2_program: bool,
    /// The client consented to their own care as a minor under the policy's rule
    /// (`[minors] self-consent-age`): they, not a parent, control those records.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub minor_consent: bool,
    /// The day treatment ended: a consent "until the end of treatment" ends then, and
    /// the retention period runs from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treatment_ended: Option<Date>,
    /// A legal hold: the record is kept whatever its retention says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_hold: Option<LegalHold>,
}

/// Why a record must be kept past its retention (litigation, an investigation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalHold {
    /// Why, in one line.
    pub reason: String,
    /// The day it was placed.
    pub since: Date,
}

impl Care {
    /// True when nothing is marked.
    pub fn is_plain(&self) -> bool {
        *self == Care::default()
    }
}

/// A client profile, as stored (encrypted) and shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// The client's identifier.
    pub id: ClientId,
    /// The client's name.
    pub name: String,
    /// Date of birth.
    #[serde(default)]
    pub date_of_birth: Option<Date>,
    /// How to reach the client.
    #[serde(default)]
    pub contact: Option<String>,
    /// Names of third parties who appear in notes.
    #[serde(default)]
    pub third_parties: Vec<String>,
    /// What the law attaches to the client's care.
    #[serde(default, skip_serializing_if = "Care::is_plain")]
    pub care: Care,
    /// When the profile was created.
    pub created_at: Timestamp,
}
