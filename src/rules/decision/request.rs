//! What the decision engine is asked: the request and everything it is decided on.

use serde::{Deserialize, Serialize};

use crate::base::{ClientId, ConsentId, Date, NoteId};
use crate::model::client::Care;
use crate::model::consent::Consent;
use crate::model::policy::Policy;
use crate::model::restriction::Restriction;

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
    /// The kind of recipient (`court`, `law-enforcement`, …, the policy's
    /// `recipient-kinds`): what an exception's recipients, a consent by class and a
    /// restriction are checked against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_kind: Option<String>,
}

/// What the decision needs to know of a client beyond their consents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientFacts {
    /// The client.
    pub client: ClientId,
    /// Their date of birth, when known (who signs for a minor).
    pub date_of_birth: Option<Date>,
    /// What the law attaches to their care.
    pub care: Care,
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
    /// The facts of the client and of every other participant of the joint notes
    /// (a client missing here has nothing marked and no known date of birth).
    pub clients: &'a [ClientFacts],
    /// The restrictions on file for the client and every other participant.
    pub restrictions: &'a [Restriction],
    /// The policy in force.
    pub policy: &'a Policy,
    /// The day of the decision.
    pub today: Date,
}
