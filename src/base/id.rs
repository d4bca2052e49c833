//! Record identifiers, shared by every layer: one type per kind of record, so that a
//! note's identifier cannot be passed where a client's is meant.
//!
//! An identifier is the text it was given as (the vault makes eight random hexadecimal
//! digits, meaningless outside it); whether a record has it is the vault's to say.
//! Each reads as a `&str` (`Deref`, `AsRef`, `Borrow`, `as_str`), compares with
//! strings, and is written, in records and output alike, as a plain JSON string.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// True when `text` has the form of an identifier the vault makes: eight lowercase
/// hexadecimal digits. A caller that takes either an identifier or a name (the CLI's
/// `--client`) reads text of this form as an identifier, without looking it up.
pub fn is_vault_id(text: &str) -> bool {
    text.len() == 8
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The identifier's text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                $name(text)
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                $name(text.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // `pad`, as for a `str`: widths and alignment apply.
                f.pad(&self.0)
            }
        }

        /// As the text (`"8b3ac338"`), like the string it is written as.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

id_type! {
    /// A client's identifier.
    ClientId
}

id_type! {
    /// A note's identifier (the same for every version of the note).
    NoteId
}

id_type! {
    /// A consent's identifier (the same for the consent and its revocation).
    ConsentId
}

id_type! {
    /// An intake acknowledgement's identifier.
    IntakeId
}

id_type! {
    /// A disclosure decision's identifier.
    DecisionId
}

id_type! {
    /// An accounting entry's identifier.
    AccountingId
}

id_type! {
    /// A client's request under their rights (access, amendment, …).
    RequestId
}

id_type! {
    /// A client's restriction's identifier (the same for every version of it).
    RestrictionId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identifier_is_written_and_shown_as_its_text() {
        let id = ClientId::from("8b3ac338");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"8b3ac338\"");
        assert_eq!(
            serde_json::from_str::<ClientId>("\"8b3ac338\"").unwrap(),
            id
        );
        assert_eq!(
            serde_json::to_string(&vec![NoteId::from("0a0b0c0d")]).unwrap(),
            serde_json::to_string(&vec!["0a0b0c0d"]).unwrap()
        );
        assert_eq!(id.to_string(), "8b3ac338");
        assert_eq!(format!("{id:?}"), format!("{:?}", "8b3ac338"));
        assert_eq!(id, "8b3ac338");
        assert_eq!("8b3ac338", id);
        assert_eq!(id.len(), 8);
        let map: std::collections::HashMap<ClientId, u32> = [(id.clone(), 1)].into();
        assert_eq!(map.get("8b3ac338"), Some(&1));
    }

    #[test]
    fn the_form_of_a_vault_made_identifier() {
        for id in ["8b3ac338", "00000000", "ffffffff"] {
            assert!(is_vault_id(id), "{id}");
        }
        for text in [
            "8B3AC338",
            "8b3ac33",
            "8b3ac3388",
            "8b3ac33g",
            "Ada",
            "",
            "８b3ac338",
        ] {
            assert!(!is_vault_id(text), "{text}");
        }
    }
}
