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

/// A request for emergency access to a client's record ("break the glass"), and
/// its approval.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessRequest {
    /// The request's identifier.
    pub id: String,
    /// Who asked.
    pub member: String,
    /// For which client.
    pub client: crate::base::ClientId,
    /// Why, in the requester's words.
    pub justification: String,
    /// When.
    pub requested_at: crate::base::Timestamp,
    /// Who approved it, when, and until which day (inclusive).
    #[serde(default)]
    pub approved: Option<Approval>,
    /// When the keys it granted were taken back (at its end).
    #[serde(default)]
    pub ended_at: Option<crate::base::Timestamp>,
}

/// The approval of an emergency access request.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Approval {
    /// The member who approved it (an owner or a `records` member).
    pub by: String,
    /// When.
    pub at: crate::base::Timestamp,
    /// The last day the access lasts.
    pub until: crate::base::Date,
}

/// What `rekey` did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RekeyReport {
    /// Records sealed again under the current keys (and checked to open to the same
    /// text).
    pub resealed: u64,
    /// Records already under the current keys.
    pub current: u64,
    /// Records this member's keys do not open (another author's psychotherapy notes):
    /// their holders must run `rekey` too.
    pub not_held: u64,
}

impl Session {
    /// Adds a member with `role` (a role of the policy): their keyslots (sealed under
    /// `passphrase` and a new recovery code, which is returned to be shown once),
    /// their key pairs, their place on the roster, and the keys their role and
    /// caseload entitle them to, wrapped to them (those this member holds). Needs the
    /// `members` permission.
    pub fn add_member(
        &mut self,
        name: &str,
        role: &str,
        passphrase: &secrecy::SecretString,
        params: crate::crypto::keyslot::KdfParams,
    ) -> Result<crate::crypto::keys::RecoveryCode> {
        crate::model::practice::valid_member_name(name).map_err(Error::InvalidInput)?;
        params
            .check()
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let root = crate::crypto::keys::RootSecret::generate();
        let code = crate::crypto::keys::RecoveryCode::generate();
        let seal = |secret: &secrecy::SecretString, slot: &'static str| {
            crate::crypto::keyslot::seal(secret, params, &root)
                .map_err(|source| Error::Keyslot { slot, source })
        };
        let passphrase_slot = seal(passphrase, "passphrase")?;
        let recovery_slot = seal(code.as_secret(), "recovery")?;
        let keys = crate::crypto::member::MemberKeys::generate();
        let personal = crate::crypto::member::personal_key(&root);
        self.access(Action::MemberAdd, |a| {
            let (_, policy) = a.policy()?;
            a.require(&policy, crate::model::role::Permission::Members)?;
            if policy.role(role).is_none() {
                return Err(Error::InvalidInput(format!(
                    "the policy has no role {role:?}; its roles: {}",
                    policy
                        .roles
                        .iter()
                        .map(|r| r.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            let mut roster = a.ring().roster.clone();
            if roster.ever(name).is_some() {
                return Err(Error::InvalidInput(format!(
                    "the practice already has or had a member named {name:?}; names are never reused"
                )));
            }
            roster.members.push(crate::model::practice::Member {
                name: name.to_owned(),
                role: role.to_owned(),
                x25519: keys.recipient(),
                ed25519: data_encoding::HEXLOWER.encode(keys.verifying().as_bytes()),
                added: crate::base::Timestamp::now(),
                removed: None,
                removed_at_seq: None,
                previous_roles: Vec::new(),
            });
            let reference = keyring::member_reference(name);
            let sealed = record::seal(&personal, &reference, &keys.to_json());
            a.write_raw(reference, sealed)?;
            a.write_keyslot(&format!("member/{name}/passphrase"), &passphrase_slot)?;
            a.write_keyslot(&format!("member/{name}/recovery"), &recovery_slot)?;
            a.write_roster(&roster)?;
            let caseload = a.ring().caseload.clone();
            a.grant_entitled(&policy, &roster, &caseload, name, 1..=roster.epoch)?;
            Ok(())
        })?;
        self.reload_ring()?;
        Ok(code)
    }

    /// Removes a member: their keyslots and grants are deleted, and every compartment
    /// starts a new key epoch, so that what is written from now on does not open with
    /// any key they held (`rekey` seals older records again). What they read or
    /// copied before cannot be taken back. Needs the `members` permission.
    pub fn remove_member(&mut self, name: &str) -> Result<()> {
        self.access(Action::MemberRemove, |a| {
            let (_, policy) = a.policy()?;
            a.require(&policy, crate::model::role::Permission::Members)?;
            let mut roster = a.ring().roster.clone();
            if name == a.ring().member() {
                return Err(Error::InvalidInput(
                    "you cannot remove yourself; another member with the members permission can"
                        .into(),
                ));
            }
            let member = roster
                .members
                .iter_mut()
                .find(|m| m.name == name && m.removed.is_none())
                .ok_or_else(|| Error::NoSuchMember(name.to_owned()))?;
            member.removed = Some(crate::base::Timestamp::now());
            // This operation's own event is the next one: from it on, their key
            // verifies nothing.
            member.removed_at_seq = Some(a.tx().last_audit()?.map_or(1, |last| last.seq + 1));
            a.tx().delete_grants(name, None)?;
            let first = a
                .tx()
                .meta(super::FIRST_MEMBER)?
                .is_some_and(|first| first == name.as_bytes());
            // Emptied rather than deleted: the event records the change like any
            // keyslot write, and `audit verify` checks the keyslot against it.
            for kind in ["passphrase", "recovery"] {
                let slot = if first {
                    kind.to_owned()
                } else {
                    format!("member/{name}/{kind}")
                };
                a.write_keyslot(&slot, &[])?;
            }
            let mut removed = a.tx().meta(super::REMOVED_MEMBERS)?.unwrap_or_default();
            if !removed.is_empty() {
                removed.push(b'\n');
            }
            removed.extend_from_slice(name.as_bytes());
            a.set_meta(super::REMOVED_MEMBERS, &removed)?;
            let caseload = a.ring().caseload.clone();
            a.rotate(&policy, &mut roster, &caseload)?;
            Ok(())
        })?;
        self.reload_ring()
    }

    /// Gives a member another role. Compartments the new role does not grant are
    /// taken away (and every compartment starts a new key epoch, as for a removal);
    /// those it grants are wrapped to them. Needs the `members` permission.
    pub fn set_member_role(&mut self, name: &str, role: &str) -> Result<()> {
        self.access(Action::MemberRole, |a| {
            let (_, policy) = a.policy()?;
            a.require(&policy, crate::model::role::Permission::Members)?;
            if policy.role(role).is_none() {
                return Err(Error::InvalidInput(format!(
                    "the policy has no role {role:?}"
                )));
            }
            let before = a.ring().roster.clone();
            let mut roster = before.clone();
            let member = roster
                .members
                .iter_mut()
                .find(|m| m.name == name && m.removed.is_none())
                .ok_or_else(|| Error::NoSuchMember(name.to_owned()))?;
            let next = a.tx().last_audit()?.map_or(1, |last| last.seq + 1);
            let before_role = std::mem::replace(&mut member.role, role.to_owned());
            member.previous_roles.push((next, before_role));
            let caseload = a.ring().caseload.clone();
            let narrowed = a.take_unentitled(&policy, &roster, &caseload, name)?;
            a.write_roster(&roster)?;
            a.grant_entitled(&policy, &roster, &caseload, name, 1..=roster.epoch)?;
            if narrowed {
                a.rotate(&policy, &mut roster, &caseload)?;
            }
            Ok(())
        })?;
        self.reload_ring()
    }

    /// Assigns `client` to `member`'s caseload (until `until`, inclusive, or for
    /// good), wrapping to them the keys of the client's compartments their role
    /// reads. Needs the `members` permission.
    pub fn assign_client(
        &mut self,
        member: &str,
        client: &str,
        until: Option<crate::base::Date>,
    ) -> Result<()> {
        self.access(Action::CaseloadAssign, |a| {
            let (_, policy) = a.policy()?;
            a.require(&policy, crate::model::role::Permission::Members)?;
            a.client(client)?;
            let roster = a.ring().roster.clone();
            if roster.member(member).is_none() {
                return Err(Error::NoSuchMember(member.to_owned()));
            }
            let mut caseload = a.ring().caseload.clone();
            caseload
                .assignments
                .retain(|x| !(x.member == member && x.client.as_str() == client));
            caseload
                .assignments
                .push(crate::model::practice::Assignment {
                    member: member.to_owned(),
                    client: client.into(),
                    until,
                });
            a.write_caseload(&caseload)?;
            a.grant_entitled_of(
                &policy,
                &roster,
                &caseload,
                member,
                1..=roster.epoch,
                Some(client),
            )?;
            // An assignment that ends before today takes access away, as unassigning.
            if until.is_some_and(|until| until < crate::base::Date::today())
                && a.take_unentitled(&policy, &roster, &caseload, member)?
            {
                let mut roster = roster;
                a.rotate(&policy, &mut roster, &caseload)?;
            }
            Ok(())
        })?;
        self.reload_ring()
    }

    /// Ends every caseload assignment whose last day has passed: it leaves the
    /// caseloads, the member's keys of that client are deleted, and the practice starts
    /// a new key epoch. Run at unlock by members who manage the practice (the period
    /// is enforced from then on; a copy of the file made before keeps its keys).
    pub fn end_expired_assignments(&mut self) -> Result<usize> {
        let today = crate::base::Date::today();
        if !self
            .ring
            .caseload
            .assignments
            .iter()
            .any(|x| !x.stands_on(today))
        {
            return Ok(0);
        }
        let ended = self.access(Action::CaseloadUnassign, |a| {
            let (_, policy) = a.policy()?;
            a.require(&policy, crate::model::role::Permission::Members)?;
            let mut roster = a.ring().roster.clone();
            let mut caseload = a.ring().caseload.clone();
            let (ended, kept): (Vec<_>, Vec<_>) = caseload
                .assignments
                .into_iter()
                .partition(|x| !x.stands_on(today));
            caseload.assignments = kept;
            a.write_caseload(&caseload)?;
            let mut members: Vec<&str> = ended.iter().map(|x| x.member.as_str()).collect();
            members.sort_unstable();
            members.dedup();
            for member in members {
                a.take_unentitled(&policy, &roster, &caseload, member)?;
            }
            a.rotate(&policy, &mut roster, &caseload)?;
            Ok(ended.len())
        })?;
        self.reload_ring()?;
        Ok(ended)
    }

    /// Takes `client` off `member`'s caseload: their keys of the client's
    /// compartments are deleted and every compartment starts a new key epoch. Needs
    /// the `members` permission.
    pub fn unassign_client(&mut self, member: &str, client: &str) -> Result<()> {
        self.access(Action::CaseloadUnassign, |a| {
            let (_, policy) = a.policy()?;
            a.require(&policy, crate::model::role::Permission::Members)?;
            let mut roster = a.ring().roster.clone();
            let mut caseload = a.ring().caseload.clone();
            let before = caseload.assignments.len();
            caseload
                .assignments
                .retain(|x| !(x.member == member && x.client.as_str() == client));
            if caseload.assignments.len() == before {
                return Err(Error::InvalidInput(format!(
                    "client {client} is not on {member}'s caseload"
                )));
            }
            a.write_caseload(&caseload)?;
            a.take_unentitled(&policy, &roster, &caseload, member)?;
            a.rotate(&policy, &mut roster, &caseload)?;
            Ok(())
        })?;
        self.reload_ring()
    }

    /// The practice's caseloads.
    pub fn caseloads(&mut self) -> Result<crate::model::practice::Caseload> {
        self.access(Action::CaseloadList, |a| Ok(a.ring().caseload.clone()))
    }

    /// Reads the roster and caseloads again after a change.
    pub(super) fn reload_ring(&mut self) -> Result<()> {
        let ring = &mut self.ring;
        self.store.transaction(|tx| ring.reload(tx))
    }
}

impl Session {
    /// Asks for emergency access to `client`'s record ("break the glass"), with a
    /// justification; an owner or a `records` member approves it.
    pub fn request_access(&mut self, client: &str, justification: &str) -> Result<String> {
        if crate::base::fold::is_blank(justification) {
            return Err(Error::InvalidInput(
                "an emergency access request needs a justification".into(),
            ));
        }
        super::check_lines([("justification", justification)])?;
        self.access(Action::AccessRequest, |a| {
            // The justification is the request record's (sealed to its readers, and
            // destroyed with the client's record), never the audit event's: the trail
            // outlives the record, and a justification speaks of the client.
            let id = a.new_id(RecordKind::AccessRequest)?;
            let request = AccessRequest {
                id: id.clone(),
                member: a.ring().member().to_owned(),
                client: client.into(),
                justification: justification.to_owned(),
                requested_at: crate::base::Timestamp::now(),
                approved: None,
                ended_at: None,
            };
            a.write_request(&request, 1)?;
            Ok(id)
        })
    }

    /// Approves an emergency access request for `days` days (today included): the
    /// keys of the client's compartments this member holds (never psychotherapy
    /// notes) are wrapped to the requester. At the end of the period, the next unlock
    /// by a member who approves such requests takes them back (deleting the grants
    /// and starting a new key epoch); until then, and for any copy of the vault made
    /// before, the keys stay usable. Needs the `approve-emergency` permission.
    pub fn approve_access(&mut self, request: &str, days: u32) -> Result<AccessRequest> {
        if !(1..=30).contains(&days) {
            return Err(Error::InvalidInput(format!(
                "emergency access lasts 1 to 30 days, not {days}"
            )));
        }
        let approved = self.access(Action::AccessApprove, |a| {
            let (_, policy) = a.policy()?;
            a.require(&policy, crate::model::role::Permission::ApproveEmergency)?;
            let (version, mut found): (u32, AccessRequest) = a
                .read_latest_versioned(RecordKind::AccessRequest, request)?
                .ok_or_else(|| {
                    Error::InvalidInput(format!("there is no access request {request}"))
                })?;
            if found.approved.is_some() {
                return Err(Error::InvalidInput(format!(
                    "access request {request} is already approved"
                )));
            }
            let roster = a.ring().roster.clone();
            let recipient = roster
                .member(&found.member)
                .ok_or_else(|| Error::NoSuchMember(found.member.clone()))?
                .x25519
                .clone();
            let until = crate::base::Date(
                crate::base::Date::today()
                    .0
                    .checked_add(time::Duration::days(i64::from(days) - 1))
                    .ok_or_else(|| Error::InvalidInput("the period ends too late".into()))?,
            );
            a.grant_client(&policy, &found.member, &recipient, found.client.as_str())?;
            found.approved = Some(Approval {
                by: a.ring().member().to_owned(),
                at: crate::base::Timestamp::now(),
                until,
            });
            a.write_request(&found, version + 1)?;
            Ok(found)
        })?;
        Ok(approved)
    }

    /// Emergency access requests waiting for approval, or approved and not yet over,
    /// as they stood at unlock: shown to the members who manage the practice or
    /// approve such requests.
    pub fn access_notices(&self) -> &[AccessRequest] {
        &self.access_notices
    }

    /// At unlock, for a member who manages the practice or approves emergency
    /// access: ends the emergency accesses whose period is over, and keeps those
    /// pending or running for [`Session::access_notices`]. Best effort: a failure
    /// here (a read-only vault) does not stop the unlock.
    pub(super) fn emergency_access_at_unlock(&mut self) {
        use crate::model::role::Permission;
        let today = crate::base::Date::today();
        let expired_assignment = self
            .ring
            .caseload
            .assignments
            .iter()
            .any(|x| !x.stands_on(today));
        let any = expired_assignment
            || self
                .store
                .transaction(|tx| -> Result<bool> {
                    Ok(tx.count_records(RecordKind::AccessRequest)? > 0)
                })
                .unwrap_or(false);
        if !any {
            return;
        }
        let Ok((_, policy)) = self.policy() else {
            return;
        };
        let ring = &self.ring;
        let may = |p| crate::model::practice::may(&policy, &ring.roster, ring.member(), p);
        let (approves, manages) = (may(Permission::ApproveEmergency), may(Permission::Members));
        if !(approves || manages) {
            return;
        }
        if approves {
            let _ = self.end_expired_access();
        }
        if manages && expired_assignment {
            let _ = self.end_expired_assignments();
        }
        if let Ok(requests) = self.access_requests()
            && !requests.is_empty()
        {
            self.access_notices = requests
                .into_iter()
                .filter(|r| r.ended_at.is_none())
                .collect();
        }
    }

    /// Every emergency access request, oldest first.
    pub fn access_requests(&mut self) -> Result<Vec<AccessRequest>> {
        let mut all: Vec<AccessRequest> = self.access(Action::AccessList, |a| {
            a.read_all(RecordKind::AccessRequest)
        })?;
        all.sort_by(|a, b| a.requested_at.cmp(&b.requested_at).then(a.id.cmp(&b.id)));
        Ok(all)
    }

    /// Ends every approved emergency access whose period is over: the requester's
    /// grants that their role and caseload do not give them are deleted, and the
    /// practice starts a new key epoch. Run at unlock by members who approve such
    /// requests; returns the requests it ended.
    pub fn end_expired_access(&mut self) -> Result<Vec<AccessRequest>> {
        let today = crate::base::Date::today();
        let requests = self.access_requests()?;
        let expired: Vec<AccessRequest> = requests
            .into_iter()
            .filter(|r| {
                r.ended_at.is_none() && r.approved.as_ref().is_some_and(|a| a.until < today)
            })
            .collect();
        if expired.is_empty() {
            return Ok(expired);
        }
        let ended = self.access(Action::AccessEnd, |a| {
            let (_, policy) = a.policy()?;
            a.require(&policy, crate::model::role::Permission::ApproveEmergency)?;
            let mut roster = a.ring().roster.clone();
            let caseload = a.ring().caseload.clone();
            let mut ended = Vec::new();
            for mut request in expired {
                let (version, _): (u32, AccessRequest) = a
                    .read_latest_versioned(RecordKind::AccessRequest, &request.id)?
                    .ok_or_else(|| {
                        Error::InvalidInput(format!("access request {} is gone", request.id))
                    })?;
                a.take_unentitled(&policy, &roster, &caseload, &request.member)?;
                request.ended_at = Some(crate::base::Timestamp::now());
                a.write_request(&request, version + 1)?;
                ended.push(request);
            }
            a.rotate(&policy, &mut roster, &caseload)?;
            Ok(ended)
        })?;
        self.reload_ring()?;
        Ok(ended)
    }

    /// Seals every record this member's keys open again under the current epoch's
    /// keys, a batch per transaction (so an interruption loses at most a batch, and a
    /// second run goes on where the first stopped: records already current are left
    /// alone), checking each new ciphertext opens to the same text. Records only
    /// others hold (another author's psychotherapy notes) are counted in
    /// [`RekeyReport::not_held`]: their holders run `rekey` too.
    pub fn rekey(&mut self, progress: &mut dyn FnMut(u64, u64)) -> Result<RekeyReport> {
        let mut report = RekeyReport::default();
        let mut after: Option<RecordRef> = None;
        loop {
            let (next, batch) = self.access(Action::VaultRekey, |a| {
                let mut batch = RekeyReport::default();
                let next = a.rekey_batch(after.as_ref(), &mut batch)?;
                Ok((next, batch))
            })?;
            report.resealed += batch.resealed;
            report.current += batch.current;
            report.not_held += batch.not_held;
            progress(
                report.resealed,
                report.resealed + report.current + report.not_held,
            );
            match next {
                Some(last) => after = Some(last),
                None => return Ok(report),
            }
        }
    }
}
