//! Members: who holds the vault, and founding a practice.
//!
//! A vault is a practice: its roster lists its members, each with an age X25519
//! public key (to receive compartment keys) and an Ed25519 public key (to check what
//! they sign). The first member is made by `init` (named `owner` unless told
//! otherwise); a vault made before practices becomes a practice of one at its first
//! unlock, its root secret becoming that member's secret, so its passphrase and
//! recovery code open the member `owner`, and every record is sealed again into the
//! compartments of the keys.
//!
//! Invariant: the roster is a record like any other (in the practice compartment),
//! and each change to it is an audited write.

use super::keyring::{self, FORM_OWN, Founding, PRACTICE_RECORD, audit_identity_reference};
use super::{Access, Session};
use crate::audit::Action;
use crate::base::{RecordKind, RecordRef};
use crate::crypto::compartment;
use crate::crypto::record;
use crate::error::Error;
use crate::model::practice::{Compartment, Roster};
use crate::store::GrantRow;

type Result<T> = std::result::Result<T, Error>;

/// The member `init` makes when it is not told a name, and the one a vault made
/// before practices becomes.
pub const DEFAULT_MEMBER: &str = "owner";

/// The name of the first member's keyslots (`passphrase`, `recovery`), kept for
/// vaults made before practices; any other member's are `member/<name>/<kind>`.
pub(crate) fn slot_name(member: &str, first: &str, kind: &'static str) -> String {
    if member == first {
        kind.to_owned()
    } else {
        format!("member/{member}/{kind}")
    }
}

/// Writes what founding a practice made: the first member's private keys (under
/// their personal key), their grants of the practice and audit keys, the roster, and
/// the audit identity (sealed for the members who review the trail).
pub(crate) fn write_founding(a: &mut Access<'_, '_>, founding: &Founding) -> Result<()> {
    let ring = a.ring();
    let name = ring.member().to_owned();
    let reference = keyring::member_reference(&name);
    let sealed = record::seal(ring.personal(), &reference, &ring.member_keys().to_json());
    for (id, key) in &founding.grants {
        a.tx().set_grant(&GrantRow {
            member: name.clone(),
            compartment: id.clone(),
            form: FORM_OWN.into(),
            wrapped: compartment::wrap_own(a.ring().personal(), id, key),
        })?;
    }
    a.write_raw(reference, sealed)?;
    let roster = a.ring().roster.clone();
    a.write(
        RecordRef::new(RecordKind::Roster, PRACTICE_RECORD, 1),
        &roster,
    )?;
    a.write_in(
        &[Compartment::Audit],
        audit_identity_reference(),
        &*founding.audit_identity,
    )?;
    Ok(())
}

impl Session {
    /// The member this session acts as: every event it appends is signed with their key.
    pub fn member(&self) -> &str {
        self.ring.member()
    }

    /// The practice's roster: every member, with their role and public keys.
    pub fn roster(&mut self) -> Result<Roster> {
        self.access(Action::MemberList, |a| {
            a.read_latest(RecordKind::Roster, PRACTICE_RECORD)?
                .ok_or_else(|| Error::MalformedRecord {
                    record: format!("roster {PRACTICE_RECORD}"),
                })
        })
    }
}
