//! The accounting of disclosures: what left, to whom, why, on what basis (HIPAA
//! 45 CFR 164.528). One entry per disclosure per client whose information left.

use serde::{Deserialize, Serialize};

use crate::base::{AccountingId, ClientId, Date, DecisionId, Timestamp};

/// One disclosure, as the client may ask to see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountingEntry {
    /// The entry's identifier.
    pub id: AccountingId,
    /// Its place among all accounting entries of the vault, from 1 (orders entries
    /// made on the same day).
    pub sequence: u64,
    /// The client whose information was disclosed.
    pub client: ClientId,
    /// The day it was disclosed.
    pub disclosed_on: Date,
    /// Who received it.
    pub recipient: String,
    /// What was disclosed, in words.
    pub description: String,
    /// Why.
    pub purpose: String,
    /// On what basis (consent, exception with its reference, the client's own request).
    pub basis: String,
    /// True for the client's own request (exempt under HIPAA; listed here all the same).
    pub client_request: bool,
    /// The decision that permitted it.
    pub decision: DecisionId,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who disclosed it.
    pub recorded_by: String,
}
