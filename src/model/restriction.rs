//! Restrictions a client asks for (HIPAA 45 CFR 164.522(a)), and the lockbox (PHIPA).
//!
//! A restriction keeps some of the client's categories from some disclosures: for a
//! purpose, to a recipient or a kind of recipient. It is honoured from the day it is
//! requested until the practice refuses it (which the law lets it do, except in the
//! must-agree case) or it ends. A lockbox is the client's instruction to withhold
//! those categories from other providers: it is never refused, only ended, and a
//! disclosure that withholds locked information tells the recipient that something
//! was withheld, not what.
//!
//! Like a consent, a restriction is never edited: refusing or ending it writes a new
//! version of the same record.

use serde::{Deserialize, Serialize};

use crate::base::{ClientId, Date, RestrictionId, Timestamp};

/// What `restriction add` takes.
#[derive(Clone, Debug)]
pub struct NewRestriction {
    /// The client who asked.
    pub client: ClientId,
    /// The categories it keeps back.
    pub categories: Vec<String>,
    /// The purposes it covers (empty: every purpose).
    pub purposes: Vec<String>,
    /// The one recipient it keeps them from, by name (`None`: any).
    pub recipient: Option<String>,
    /// The kind of recipient it keeps them from (`None`: any).
    pub recipient_kind: Option<String>,
    /// The client paid in full out of pocket: the restriction keeps the services from
    /// the health plan for payment and operations, and the practice must agree.
    pub self_pay: bool,
    /// A lockbox (PHIPA): withheld from every disclosure but one the policy lets
    /// override it, and the recipient is told something was withheld.
    pub lockbox: bool,
    /// The day the client asked.
    pub requested_on: Date,
}

/// The practice's answer to a restriction, or its end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// From this day on the restriction no longer applies.
    pub on: Date,
    /// Why (for a refusal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: String,
}

/// A recorded restriction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restriction {
    /// Its identifier.
    pub id: RestrictionId,
    /// The record version (2 once refused or ended).
    pub version: u32,
    /// The client who asked.
    pub client: ClientId,
    /// The categories it keeps back.
    pub categories: Vec<String>,
    /// The purposes it covers (empty: every purpose).
    #[serde(default)]
    pub purposes: Vec<String>,
    /// The one recipient it keeps them from (`None`: any).
    #[serde(default)]
    pub recipient: Option<String>,
    /// The kind of recipient it keeps them from (`None`: any).
    #[serde(default)]
    pub recipient_kind: Option<String>,
    /// Services paid in full out of pocket (the must-agree case).
    #[serde(default)]
    pub self_pay: bool,
    /// A lockbox.
    #[serde(default)]
    pub lockbox: bool,
    /// The day the client asked; honoured from then.
    pub requested_on: Date,
    /// The practice's refusal, if it refused.
    #[serde(default)]
    pub refused: Option<Answer>,
    /// Its end, if it ended.
    #[serde(default)]
    pub ended: Option<Answer>,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: String,
}

impl Restriction {
    /// True when it keeps information back on `date`.
    pub fn in_force_on(&self, date: Date) -> bool {
        self.requested_on <= date
            && self.refused.as_ref().is_none_or(|a| a.on > date)
            && self.ended.as_ref().is_none_or(|a| a.on > date)
    }

    /// Its state on `date`, in words.
    pub fn state_on(&self, date: Date) -> &'static str {
        if self.refused.as_ref().is_some_and(|a| a.on <= date) {
            "refused"
        } else if self.ended.as_ref().is_some_and(|a| a.on <= date) {
            "ended"
        } else if date < self.requested_on {
            "not yet requested"
        } else {
            "in force"
        }
    }

    /// What it keeps back, from whom, in words ("progress, diagnosis from
    /// health-plan recipients for payment, operations").
    pub fn scope(&self) -> String {
        let mut text = self.categories.join(", ");
        match (&self.recipient, &self.recipient_kind) {
            (Some(name), _) => text.push_str(&format!(" from {name}")),
            (None, Some(kind)) => text.push_str(&format!(" from {kind} recipients")),
            (None, None) => text.push_str(" from every recipient"),
        }
        if !self.purposes.is_empty() {
            text.push_str(&format!(" for {}", self.purposes.join(", ")));
        }
        text
    }
}
