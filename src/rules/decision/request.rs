//! What the decision engine is asked: the request and everything it is decided on.

use serde::{Deserialize, Serialize};

use crate::base::{ClientId, ConsentId, Date, NoteId};
use crate::model::consent::Consent;
use crate::model::policy::Policy;

/// The legal exception a request invokes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRequest {
    /// The exception's kind, e.g. `duty-to-protect`.
    pub kind: String,
    /// Why the law permits this disclosure.
    pub justification: String,
    /// The order's or report's reference.
    #[serde(default)]
    pub reference: Option<String>,
    /// For a court order: the categories it names (empty: the requested ones).
    #[serde(default)]
    pub order_categories: Vec<String>,
    /// For a report about someone other than the client (an abuse report about a
    /// child in the client's record): that person's name, as the client's profile
    /// lists them among its third parties. With `identity` released, their name
    /// leaves unredacted; no other third party's does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
}

/// A request to disclose one client's information.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosureRequest {
    /// The client whose information would leave.
    pub client: ClientId,
    /// Who would receive it (`client` for the client's own request).
    pub recipient: String,
    /// Why.
    pub purpose: String,
    /// What.
    pub categories: Vec<String>,
    /// Under this consent only (otherwise any of the client's consents).
    #[serde(default)]
    pub consent: Option<ConsentId>,
    /// Under this exception instead of consent.
    #[serde(default)]
    pub exception: Option<ExceptionRequest>,
    /// Notes from this date.
    #[serde(default)]
    pub from: Option<Date>,
    /// Notes up to this date.
    #[serde(default)]
    pub until: Option<Date>,
}

/// A note with several clients that a disclosure would draw from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointNote {
    /// The note.
    pub note: NoteId,
    /// Its session date.
    pub date: Date,
    /// Every client in it.
    pub participants: Vec<ClientId>,
}

/// Everything a decision depends on.
#[derive(Clone, Copy, Debug)]
pub struct DecisionInput<'a> {
    /// The request.
    pub request: &'a DisclosureRequest,
    /// The client's name, so a request to the client by name counts as their own.
    pub client_name: &'a str,
    /// The consents on file for the client and for every other participant of the
    /// joint notes.
    pub consents: &'a [Consent],
    /// The joint notes in the requested range.
    pub joint_notes: &'a [JointNote],
    /// The policy in force.
    pub policy: &'a Policy,
    /// The day of the decision.
    pub today: Date,
}
