//! Members: who holds the vault, with the keys each signs their audit events with.
//!
//! A vault is a practice: its roster lists its members, each with an age X25519
//! public key (to receive compartment keys) and an Ed25519 public key (to check what
//! they sign). The first member is made by `init` (named `owner` unless told
//! otherwise); a vault made before practices becomes a practice of one at its first
//! unlock, its root secret becoming that member's secret, so its passphrase and
//! recovery code open the member `owner`.
//!
//! Invariant: every audit event appended by a session is signed with its member's
//! key ([`SessionKeys`] is the session's [`EventKeys`]); the roster is a record like
//! any other, and each change to it is an audited write.

use super::signing::SessionKeys;
use super::{Access, Session};
use crate::audit::Action;
use crate::base::{RecordKind, RecordRef, Timestamp};
use crate::crypto::keys::{RootSecret, VaultKeys};
use crate::crypto::member::{self, MemberKeys};
use crate::crypto::record;
use crate::error::Error;
use crate::model::practice::{Member, Roster, valid_member_name};
use crate::store::Transaction;

type Result<T> = std::result::Result<T, Error>;

/// The member `init` makes when it is not told a name, and the one a vault made
/// before practices becomes.
pub const DEFAULT_MEMBER: &str = "owner";

/// The roster's record identifier (there is one roster).
const ROSTER_ID: &str = "practice";

/// The reference of a member's private keys.
fn member_reference(name: &str) -> RecordRef {
    RecordRef::new(RecordKind::Member, name, 1)
}

/// The roster, as stored: the newest version of its record.
fn read_roster(tx: &dyn Transaction, vault: &VaultKeys) -> Result<Option<(u32, Roster)>> {
    match tx.latest_record(RecordKind::Roster, ROSTER_ID)? {
        Some(row) => {
            let roster: Roster = super::seal::open_sealed(vault, &row.reference, &row.ciphertext)?;
            Ok(Some((row.reference.version, roster)))
        }
        None => Ok(None),
    }
}

/// The first member of a new practice, or of a vault made before practices: their key
/// pairs (sealed under the personal key their secret derives) and the roster that
/// lists them. Written through `a`, so both writes are in the operation's event.
pub(crate) fn found_practice(
    a: &mut Access<'_, '_>,
    root: &RootSecret,
    keys: &MemberKeys,
    roster: &Roster,
) -> Result<()> {
    let name = &roster.members[0].name;
    let personal = member::personal_key(root);
    let reference = member_reference(name);
    let sealed = record::seal(&personal, &reference, &keys.to_json());
    a.write_raw(reference, sealed)?;
    a.write(RecordRef::new(RecordKind::Roster, ROSTER_ID, 1), roster)?;
    Ok(())
}

/// The roster of a new practice whose first member is `name`, with `keys`.
pub(crate) fn first_roster(name: &str, keys: &MemberKeys) -> Result<Roster> {
    valid_member_name(name).map_err(Error::InvalidInput)?;
    Ok(Roster {
        epoch: 1,
        naming_key: String::new(),
        members: vec![Member {
            name: name.to_owned(),
            role: DEFAULT_MEMBER.to_owned(),
            x25519: keys.recipient(),
            ed25519: data_encoding::HEXLOWER.encode(keys.verifying().as_bytes()),
            added: Timestamp::now(),
            removed: None,
        }],
    })
}

/// What unlocking found of the member: their keys and the roster, or that the vault
/// has no roster yet (made before practices).
pub(crate) enum Found {
    Member(Box<SessionKeys>),
    NoRoster(VaultKeys),
}

/// Opens `name`'s keys with the member secret `root` (a keyslot opened it).
pub(crate) fn open_member(
    tx: &dyn Transaction,
    vault: VaultKeys,
    root: &RootSecret,
    name: Option<&str>,
) -> Result<Found> {
    let Some((_, roster)) = read_roster(tx, &vault)? else {
        if let Some(name) = name
            && name != DEFAULT_MEMBER
        {
            return Err(Error::NoSuchMember(name.to_owned()));
        }
        return Ok(Found::NoRoster(vault));
    };
    let active: Vec<&Member> = roster
        .members
        .iter()
        .filter(|m| m.removed.is_none())
        .collect();
    let member = match name {
        Some(name) => active
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| Error::NoSuchMember(name.to_owned()))?,
        None => match active.as_slice() {
            [only] => only,
            _ => return Err(Error::MemberNeeded),
        },
    };
    let reference = member_reference(&member.name);
    let row = tx
        .record(&reference)?
        .ok_or_else(|| Error::MalformedRecord {
            record: reference.to_string(),
        })?;
    let personal = member::personal_key(root);
    let plain = record::open(&personal, &reference, &row.ciphertext)?;
    let keys = MemberKeys::from_json(&plain).ok_or_else(|| Error::MalformedRecord {
        record: reference.to_string(),
    })?;
    let session = SessionKeys::new(vault, &member.name, &keys, &roster);
    Ok(Found::Member(Box::new(session)))
}

/// The session's keys for the first member of `roster`, being made now.
pub(crate) fn keys_for(vault: VaultKeys, keys: &MemberKeys, roster: &Roster) -> SessionKeys {
    let name = roster.members[0].name.clone();
    SessionKeys::new(vault, &name, keys, roster)
}

impl Session {
    /// The member this session acts as: every event it appends is signed with their key.
    pub fn member(&self) -> &str {
        self.keys.member()
    }

    /// The practice's roster: every member, with their role and public keys.
    pub fn roster(&mut self) -> Result<Roster> {
        self.access(Action::MemberList, |a| {
            a.read_latest(RecordKind::Roster, ROSTER_ID)?
                .ok_or_else(|| Error::MalformedRecord {
                    record: format!("roster {ROSTER_ID}"),
                })
        })
    }
}
