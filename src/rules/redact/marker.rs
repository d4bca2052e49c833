//! What a redaction leaves behind: the marker that replaced an identifier (whose it
//! was), what kind of identifier it was, and the record of one marker put into the
//! text, which never holds the text it replaced.

use std::fmt;

use serde::Serialize;

/// Which marker replaced an identifier: whose it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RedactionKind {
    /// The client's own identifier; kept when `identity` is permitted.
    Identity,
    /// Someone else's; kept when `third-party` is permitted.
    ThirdParty,
}

impl RedactionKind {
    /// The category whose permission keeps it: `identity` or `third-party`.
    pub fn as_str(self) -> &'static str {
        match self {
            RedactionKind::Identity => "identity",
            RedactionKind::ThirdParty => "third-party",
        }
    }

    /// The text that replaces it: `[redacted: identity]` or `[redacted: third-party]`.
    pub fn marker(self) -> &'static str {
        match self {
            RedactionKind::Identity => "[redacted: identity]",
            RedactionKind::ThirdParty => "[redacted: third-party]",
        }
    }
}

impl fmt::Display for RedactionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What was recognised where a marker now stands. Classes are added as redaction
/// learns new shapes of identifier; [`IdentifierClass::as_str`] names any of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum IdentifierClass {
    /// A name from the profile, whole or in part.
    Name,
    /// A phone number.
    Phone,
    /// An e-mail address.
    Email,
    /// A number shaped like a US social security (or Canadian social insurance) number.
    Ssn,
    /// A street address, or a piece of the client's contact that is not a phone
    /// number or e-mail address.
    Address,
    /// A date of birth.
    DateOfBirth,
}

impl IdentifierClass {
    /// The class's name: `name`, `phone`, `email`, `ssn`, `address`, `date-of-birth`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierClass::Name => "name",
            IdentifierClass::Phone => "phone",
            IdentifierClass::Email => "email",
            IdentifierClass::Ssn => "ssn",
            IdentifierClass::Address => "address",
            IdentifierClass::DateOfBirth => "date-of-birth",
        }
    }
}

impl fmt::Display for IdentifierClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One marker put into the text: which marker, and what it replaced. It never holds
/// the replaced text, so a list of them can go on a cover sheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Redaction {
    /// The marker applied.
    pub kind: RedactionKind,
    /// What was recognised there (for overlapping identifiers, the longest).
    pub class: IdentifierClass,
}
