//! How an audited operation ended: an [`Outcome`], and for a failure its [`Failure`].

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares [`Failure`] from one table of variants and the text each is written as.
macro_rules! failures {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// Why an audited operation failed: one kind for each kind of
        /// [`Error`](crate::Error) (every variant maps to one, with no catch-all),
        /// written after `failed: ` as a short phrase that never names a record or
        /// carries a message.
        ///
        /// Non-exhaustive: new errors bring new kinds.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Failure {
            $($(#[$doc])* $variant,)*
        }

        impl Failure {
            /// Every kind of failure, in the order declared.
            pub const ALL: &[Failure] = &[$(Failure::$variant,)*];

            /// The phrase written after `failed: `, e.g. `no such client`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Failure::$variant => $text,)*
                }
            }

            fn parse(text: &str) -> Option<Failure> {
                match text {
                    $($text => Some(Failure::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

failures! {
    /// The vault file could not be read or written (`storage error`).
    Storage = "storage error",
    /// A wrong passphrase (`wrong passphrase`).
    WrongPassphrase = "wrong passphrase",
    /// A wrong recovery code (`wrong recovery code`).
    WrongRecoveryCode = "wrong recovery code",
    /// A keyslot is malformed or asks for out-of-range KDF parameters
    /// (`keyslot unusable`).
    KeyslotUnusable = "keyslot unusable",
    /// A record failed to decrypt or verify, or decrypted to something malformed
    /// (`integrity failure`).
    Integrity = "integrity failure",
    /// The audit trail does not match its sealed head (`audit head mismatch`).
    AuditHeadMismatch = "audit head mismatch",
    /// The policy was deleted from the file (`policy missing`).
    PolicyMissing = "policy missing",
    /// A request names a category or purpose the policy does not have
    /// (`unknown name`).
    UnknownName = "unknown name",
    /// An audit event is missing, altered or unreadable (`audit trail broken`).
    AuditTrailBroken = "audit trail broken",
    /// A record read is older than the audit trail says was written (`rolled back`).
    RolledBack = "rolled back",
    /// No such client (`no such client`).
    NoSuchClient = "no such client",
    /// No such note (`no such note`).
    NoSuchNote = "no such note",
    /// The note is signed and closed for edits (`note is signed`).
    NoteSigned = "note is signed",
    /// The note is a draft, not signed (`note is not signed`).
    NoteNotSigned = "note is not signed",
    /// A note body cannot be split into sections (`malformed note body`).
    MalformedNoteBody = "malformed note body",
    /// No such consent (`no such consent`).
    NoSuchConsent = "no such consent",
    /// A policy file cannot be used (`malformed policy`).
    MalformedPolicy = "malformed policy",
    /// The policy denies part of a disclosure; nothing left (`denied by policy`).
    DeniedByPolicy = "denied by policy",
    /// An argument is not acceptable (`invalid input`).
    InvalidInput = "invalid input",
    /// The process could not be made safe to hold secrets in
    /// (`process hardening failed`).
    Hardening = "process hardening failed",
    /// A note has no such version (`no such version`).
    NoSuchVersion = "no such version",
    /// A keyslot opens with another vault's key (`keyslot of another vault`).
    ForeignKeyslot = "keyslot of another vault",
    /// A file was to be created in a directory that does not exist
    /// (`no such directory`).
    NoSuchDirectory = "no such directory",
    /// The member's keys do not open what was needed (`not granted by keys`).
    KeyDenied = "not granted by keys",
    /// The member's role does not allow the operation (`not allowed by role`).
    RoleDenied = "not allowed by role",
    /// A record's destruction was refused: a legal hold, an unanswered request or its
    /// retention keeps it (`record kept`).
    RecordKept = "record kept",
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// How an audited operation ended. Written in the audit trail (and printed by
/// `audit log`) as text: `ok`; `permitted` or `denied`, for a decision, followed by
/// ` (<n> joint note(s) withheld)` when it withheld any; `failed: <failure>`.
///
/// Reading never fails: text this version does not recognise (an event written by a
/// newer casevault, or by a development build before the texts settled) is kept, as
/// written, in [`Outcome::Unrecognized`], so `audit log` still shows every event.
/// Non-exhaustive: operations may come to end in new ways.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// The operation succeeded (`ok`).
    Ok,
    /// A disclosure request was decided and every requested category is permitted
    /// (`permitted`); a disclosure that was made.
    Permitted {
        /// The joint notes withheld because another participant does not permit them.
        withheld_joint_notes: usize,
    },
    /// A disclosure request was decided and some category is denied (`denied`): the
    /// decision is stored (a dry run), nothing left.
    Denied {
        /// The joint notes withheld because another participant does not permit them.
        withheld_joint_notes: usize,
    },
    /// The operation failed and changed nothing (`failed: <failure>`).
    Failed(Failure),
    /// Text this version of casevault does not recognise, kept as written. The vault
    /// never records it itself.
    Unrecognized(String),
}

/// What a decision's outcome says after `permitted`/`denied` about withheld notes.
const WITHHELD: (&str, &str) = (" (", " joint note(s) withheld)");

impl Outcome {
    /// The outcome of a decision: `permitted` when every requested category is.
    pub(crate) fn decided(all_permitted: bool, withheld_joint_notes: usize) -> Outcome {
        if all_permitted {
            Outcome::Permitted {
                withheld_joint_notes,
            }
        } else {
            Outcome::Denied {
                withheld_joint_notes,
            }
        }
    }

    /// The text the outcome is written as.
    pub fn text(&self) -> Cow<'_, str> {
        let decided = |verdict: &'static str, withheld: usize| match withheld {
            0 => Cow::Borrowed(verdict),
            n => Cow::Owned(format!("{verdict}{}{n}{}", WITHHELD.0, WITHHELD.1)),
        };
        match self {
            Outcome::Ok => Cow::Borrowed("ok"),
            Outcome::Permitted {
                withheld_joint_notes,
            } => decided("permitted", *withheld_joint_notes),
            Outcome::Denied {
                withheld_joint_notes,
            } => decided("denied", *withheld_joint_notes),
            Outcome::Failed(failure) => Cow::Owned(format!("failed: {failure}")),
            Outcome::Unrecognized(text) => Cow::Borrowed(text),
        }
    }

    /// The outcome written as `text`; never fails. Only text that the outcome it
    /// parses to writes back byte for byte is recognised (no `permitted (0 …)`, no
    /// `01`), so every event reads as it was written.
    pub(crate) fn parse(text: &str) -> Outcome {
        let decided = |verdict: &str, make: fn(usize) -> Outcome| {
            let rest = text.strip_prefix(verdict)?;
            if rest.is_empty() {
                return Some(make(0));
            }
            let digits = rest.strip_prefix(WITHHELD.0)?.strip_suffix(WITHHELD.1)?;
            let n: usize = digits.parse().ok()?;
            (n != 0 && n.to_string() == digits).then(|| make(n))
        };
        let known = match text {
            "ok" => Some(Outcome::Ok),
            _ => decided("permitted", |withheld_joint_notes| Outcome::Permitted {
                withheld_joint_notes,
            })
            .or_else(|| {
                decided("denied", |withheld_joint_notes| Outcome::Denied {
                    withheld_joint_notes,
                })
            })
            .or_else(|| {
                text.strip_prefix("failed: ")
                    .and_then(Failure::parse)
                    .map(Outcome::Failed)
            }),
        };
        known.unwrap_or_else(|| Outcome::Unrecognized(text.to_owned()))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.text())
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|text| Outcome::parse(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_is_written_as_today_and_read_back() {
        let cases = [
            (Outcome::Ok, "ok"),
            (Outcome::decided(true, 0), "permitted"),
            (Outcome::decided(false, 0), "denied"),
            (
                Outcome::decided(true, 1),
                "permitted (1 joint note(s) withheld)",
            ),
            (
                Outcome::decided(false, 12),
                "denied (12 joint note(s) withheld)",
            ),
            (
                Outcome::Failed(Failure::WrongPassphrase),
                "failed: wrong passphrase",
            ),
        ];
        for (outcome, text) in cases {
            assert_eq!(outcome.to_string(), text);
            assert_eq!(Outcome::parse(text), outcome);
            assert_eq!(
                serde_json::to_string(&outcome).unwrap(),
                serde_json::to_string(text).unwrap()
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for failure in Failure::ALL {
            assert!(seen.insert(failure.as_str()), "{failure} twice");
            let outcome = Outcome::Failed(*failure);
            assert_eq!(Outcome::parse(&outcome.to_string()), outcome);
        }
    }

    #[test]
    fn unrecognised_text_is_kept_as_written() {
        for text in [
            "",
            "OK",
            "ok ",
            "failed",
            "failed: ",
            "failed: wrong recovery",
            "failed:  wrong passphrase",
            "permitted (0 joint note(s) withheld)",
            "permitted (01 joint note(s) withheld)",
            "permitted (+1 joint note(s) withheld)",
            "permitted (1 joint note(s) withheld",
            "permitted (99999999999999999999999 joint note(s) withheld)",
            "permittedx",
            "denied by policy",
            "restricted (2 notes)",
        ] {
            let outcome: Outcome = serde_json::from_str(&serde_json::to_string(text).unwrap())
                .expect("any text reads");
            assert_eq!(outcome, Outcome::Unrecognized(text.into()), "{text:?}");
            assert_eq!(outcome.to_string(), text);
        }
    }

    #[test]
    fn display_pads_like_a_string() {
        assert_eq!(format!("{:<8}|", Outcome::Ok), "ok      |");
    }
}
