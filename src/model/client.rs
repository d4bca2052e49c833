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
    /// When the profile was created.
    pub created_at: Timestamp,
}
