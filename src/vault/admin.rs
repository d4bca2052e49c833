//! Keeping the keys in step with the roster and caseloads: what an operation that
//! adds, removes or reassigns a member does to the grants, and the rotation to a new
//! key epoch that taking access away needs.
//!
//! Invariant: a member holds a compartment's key exactly when `practice::holders`
//! says so under the roster and caseloads being written, for the keys the acting
//! member can pass on (their own grants). Taking access away deletes grants and
//! starts a new epoch; it never re-encrypts old records (that is `rekey`).

use std::ops::RangeInclusive;
use std::sync::Arc;

use super::Access;
use super::keyring::{PRACTICE_RECORD, audit_identity_reference, practice_id};
use crate::base::{Date, RecordKind, RecordRef};
use crate::crypto::compartment::{self, DataKey};
use crate::error::Error;
use crate::model::policy::Policy;
use crate::model::practice::{self, Caseload, Compartment, Roster};
use crate::model::role::Permission;

type Result<T> = std::result::Result<T, Error>;

impl Access<'_, '_> {
    /// Refuses unless this member's role has `permission` (administration is a role
    /// check; what a member can read is decided by the keys they hold).
    pub(crate) fn require(&self, policy: &Policy, permission: Permission) -> Result<()> {
        let ring = self.ring();
        if practice::may(policy, &ring.roster, ring.member(), permission) {
            return Ok(());
        }
        let role = ring
            .roster
            .member(ring.member())
            .map_or_else(|| "none".to_owned(), |m| m.role.clone());
        let what = match permission {
            Permission::WriteNotes => "writing notes",
            Permission::Disclose => "disclosures",
            Permission::PaymentDisclosures => "payment disclosures",
            Permission::ClientRequests => "answering clients' requests",
            Permission::Accounting => "the accounting of disclosures",
            Permission::Members => "managing members and caseloads",
            Permission::Policy => "setting the policy",
            Permission::ApproveEmergency => "approving emergency access",
            Permission::AuditReview => "reviewing the audit trail",
            Permission::DestroyRecords => "destroying clients' records",
        };
        Err(Error::RoleDenied {
            role,
            what: what.to_owned(),
        })
    }

    /// Every client's identifier (from the records' references: nothing decrypted).
    pub(crate) fn client_ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        let mut after = String::new();
        loop {
            let rows = self.tx().latest_records_page(
                RecordKind::Client,
                &after,
                Some(super::access::PAGE),
            )?;
            let Some(last) = rows.last() else {
                return Ok(ids);
            };
            after = last.reference.id.clone();
            ids.extend(rows.into_iter().map(|r| r.reference.id));
        }
    }

    /// Writes a new version of the roster, under the current practice key.
    pub(crate) fn write_roster(&mut self, roster: &Roster) -> Result<()> {
        let version = self.count_versions(RecordKind::Roster, PRACTICE_RECORD)? + 1;
        self.write(
            RecordRef::new(RecordKind::Roster, PRACTICE_RECORD, version),
            roster,
        )
    }

    /// Writes a new version of the caseloads, under the current practice key.
    pub(crate) fn write_caseload(&mut self, caseload: &Caseload) -> Result<()> {
        let version = self.count_versions(RecordKind::Caseload, PRACTICE_RECORD)? + 1;
        self.write(
            RecordRef::new(RecordKind::Caseload, PRACTICE_RECORD, version),
            caseload,
        )
    }

    /// Every compartment there is: the practice's, the audit trail's, and each
    /// client's (with `member`'s own psychotherapy notes of each).
    fn compartments_for(&self, policy: &Policy, member: &str) -> Result<Vec<Compartment>> {
        self.compartments_of(policy, member, None)
    }

    /// [`Access::compartments_for`], of one client only when `only` says which.
    fn compartments_of(
        &self,
        policy: &Policy,
        member: &str,
        only: Option<&str>,
    ) -> Result<Vec<Compartment>> {
        let (mut all, clients) = match only {
            Some(client) => (Vec::new(), vec![client.to_owned()]),
            None => (
                vec![Compartment::Practice, Compartment::Audit],
                self.client_ids()?,
            ),
        };
        for client in clients {
            all.extend(practice::compartments_of_client(
                policy,
                &client.as_str().into(),
            ));
            all.push(Compartment::PsychotherapyNotes {
                client: client.as_str().into(),
                author: member.to_owned(),
            });
        }
        Ok(all)
    }

    /// Wraps to `member` the key of every compartment they are entitled to under
    /// `roster` and `caseload`, in each epoch of `epochs`, that this member holds.
    pub(crate) fn grant_entitled(
        &mut self,
        policy: &Policy,
        roster: &Roster,
        caseload: &Caseload,
        member: &str,
        epochs: RangeInclusive<u32>,
    ) -> Result<()> {
        self.grant_entitled_of(policy, roster, caseload, member, epochs, None)
    }

    /// [`Access::grant_entitled`], for one client's compartments only when `only`
    /// says which (an assignment).
    pub(crate) fn grant_entitled_of(
        &mut self,
        policy: &Policy,
        roster: &Roster,
        caseload: &Caseload,
        member: &str,
        epochs: RangeInclusive<u32>,
        only: Option<&str>,
    ) -> Result<()> {
        let recipient = roster
            .member(member)
            .ok_or_else(|| Error::NoSuchMember(member.to_owned()))?
            .x25519
            .clone();
        let today = Date::today();
        for compartment in self.compartments_of(policy, member, only)? {
            if !practice::holders(policy, roster, caseload, &compartment, today)
                .iter()
                .any(|h| h == member)
            {
                continue;
            }
            for epoch in epochs.clone() {
                let id = self.ring().id_of(&compartment, epoch);
                if self.tx().grant(member, &id)?.is_some() {
                    continue;
                }
                if let Some(key) = self.ring().key(self.tx(), &id)? {
                    self.grant_key(member, &recipient, &id, &key)?;
                }
            }
        }
        Ok(())
    }

    /// Deletes `member`'s grants of every compartment they are not entitled to under
    /// `roster` and `caseload`; true when any was deleted (access was narrowed).
    pub(crate) fn take_unentitled(
        &mut self,
        policy: &Policy,
        roster: &Roster,
        caseload: &Caseload,
        member: &str,
    ) -> Result<bool> {
        let today = Date::today();
        let mut narrowed = false;
        for compartment in self.compartments_for(policy, member)? {
            if practice::holders(policy, roster, caseload, &compartment, today)
                .iter()
                .any(|h| h == member)
            {
                continue;
            }
            for epoch in 1..=roster.epoch {
                let id = self.ring().id_of(&compartment, epoch);
                narrowed |= self.tx().delete_grants(member, Some(&id))? > 0;
            }
        }
        Ok(narrowed)
    }

    fn grant_key(&self, member: &str, recipient: &str, id: &str, key: &Arc<DataKey>) -> Result<()> {
        if member == self.ring().member() {
            return self.ring().grant_own(self.tx(), id, key);
        }
        let grant = self.ring().wrap_grant(member, recipient, id, key)?;
        self.tx().set_grant(&grant)?;
        Ok(())
    }

    /// Starts a new key epoch: new keys for the practice, the audit trail (with a new
    /// audit identity) and every client compartment, each wrapped to its holders
    /// under `roster` and `caseload`; the roster (with the new epoch) and caseloads
    /// are written again under the new practice key. Psychotherapy notes' keys of the
    /// new epoch are made by their authors when they next write.
    pub(crate) fn rotate(
        &mut self,
        policy: &Policy,
        roster: &mut Roster,
        caseload: &Caseload,
    ) -> Result<()> {
        let epoch = roster.epoch + 1;
        roster.epoch = epoch;
        let identity = age::x25519::Identity::generate();
        roster.audit_recipient = identity.to_public().to_string();
        let today = Date::today();
        let mut compartments = vec![Compartment::Practice, Compartment::Audit];
        for client in self.client_ids()? {
            compartments.extend(practice::compartments_of_client(
                policy,
                &client.as_str().into(),
            ));
        }
        let mut practice_key = None;
        let mut audit_key = None;
        for compartment in compartments {
            let key = Arc::new(compartment::generate());
            let id = self.ring().id_of(&compartment, epoch);
            for holder in practice::holders(policy, roster, caseload, &compartment, today) {
                let recipient = roster
                    .member(&holder)
                    .map(|m| m.x25519.clone())
                    .unwrap_or_default();
                self.grant_key(&holder, &recipient, &id, &key)?;
            }
            // The new epoch's compartment holds no part yet: its index is complete.
            super::index::created(self.tx(), &id, &key)?;
            match compartment {
                Compartment::Practice => practice_key = Some((id, key)),
                Compartment::Audit => audit_key = Some((id, key)),
                _ => {}
            }
        }
        let (practice_id_now, practice_key) = practice_key.expect("the practice compartment");
        debug_assert_eq!(practice_id_now, practice_id(epoch));
        let (audit_id, audit_key) = audit_key.expect("the audit compartment");
        let secret = zeroize::Zeroizing::new(
            secrecy::ExposeSecret::expose_secret(&identity.to_string()).to_owned(),
        );
        let version = epoch;
        let plain = super::seal::to_json(&*secret)?;
        let sealed = crate::crypto::record::seal_to(
            &[(audit_id.as_str(), &audit_key)],
            &audit_identity_reference_at(version),
            &plain,
        );
        self.write_raw(audit_identity_reference_at(version), sealed)?;
        for (kind, value) in [
            (RecordKind::Roster, serde_json::to_value(&*roster)),
            (RecordKind::Caseload, serde_json::to_value(caseload)),
        ] {
            let value = value.map_err(|e| Error::InvalidInput(format!("cannot serialize: {e}")))?;
            let version = self.count_versions(kind, PRACTICE_RECORD)? + 1;
            let reference = RecordRef::new(kind, PRACTICE_RECORD, version);
            let plain = super::seal::to_json(&value)?;
            let sealed = crate::crypto::record::seal_to(
                &[(practice_id_now.as_str(), &practice_key)],
                &reference,
                &plain,
            );
            self.write_raw(reference, sealed)?;
        }
        Ok(())
    }
}

/// The audit identity's record in epoch `epoch` (a version per epoch).
fn audit_identity_reference_at(epoch: u32) -> RecordRef {
    let mut reference = audit_identity_reference();
    reference.version = epoch;
    reference
}

impl Access<'_, '_> {
    /// The newest version of a record and its version number.
    pub(crate) fn read_latest_versioned<T: serde::de::DeserializeOwned>(
        &mut self,
        kind: RecordKind,
        id: &str,
    ) -> Result<Option<(u32, T)>> {
        match self.tx().latest_record(kind, id)? {
            Some(row) => {
                let version = row.reference.version;
                Ok(Some((version, self.decrypt(&row)?)))
            }
            None => Ok(None),
        }
    }

    /// Wraps to `member` the keys of `client`'s compartments (every epoch) that this
    /// member holds: emergency access. Never psychotherapy notes (they are per author
    /// and not among a client's compartments).
    pub(crate) fn grant_client(
        &mut self,
        policy: &Policy,
        member: &str,
        recipient: &str,
        client: &str,
    ) -> Result<()> {
        self.client(client)?;
        let epoch = self.ring().roster.epoch;
        for compartment in practice::compartments_of_client(policy, &client.into()) {
            for e in 1..=epoch {
                let id = self.ring().id_of(&compartment, e);
                if let Some(key) = self.ring().key(self.tx(), &id)? {
                    self.grant_key(member, recipient, &id, &key)?;
                }
            }
        }
        Ok(())
    }

    /// One batch of `rekey`: the records after `after`, each sealed again under the
    /// current epoch's keys unless it already is; returns the last record looked at,
    /// or `None` when there were none left.
    pub(crate) fn rekey_batch(
        &mut self,
        after: Option<&RecordRef>,
        report: &mut super::RekeyReport,
    ) -> Result<Option<RecordRef>> {
        let rows = self
            .tx()
            .records_after(after, 256, crate::store::CHUNK_BYTES)?;
        let Some(last) = rows.last().map(|r| r.reference.clone()) else {
            return Ok(None);
        };
        for row in rows {
            // A member's own keys, the audit identity of each epoch, and emergency access
            // requests (sealed to their readers' public keys) stay as sealed.
            if matches!(
                row.reference.kind,
                RecordKind::Member | RecordKind::AccessRequest
            ) {
                continue;
            }
            // What this member's role may not write, they do not seal again either
            // (`audit verify` would refuse the write): its writers run `rekey`.
            let member = self.ring().member().to_owned();
            if !self.ring().role_may_write(
                &member,
                row.reference.kind.as_str(),
                &row.reference.id,
                u64::MAX,
            ) {
                report.not_held += 1;
                continue;
            }
            let old_ids: Vec<String> = crate::crypto::record::compartments_of(&row.ciphertext)
                .into_iter()
                .map(str::to_owned)
                .collect();
            let outer = match self.ring().open(self.tx(), &row) {
                Err(Error::KeyDenied { .. }) => {
                    report.not_held += 1;
                    continue;
                }
                other => other?,
            };
            let (sealed, current_parts) = if row.reference.kind == RecordKind::Note {
                let (sealed, current, stale_unheld) = self.rekey_note(&row.reference, &outer)?;
                if stale_unheld {
                    // Another author's psychotherapy notes: only they can seal those.
                    report.not_held += 1;
                }
                (sealed, current)
            } else {
                let value: serde_json::Value =
                    serde_json::from_slice(&outer).map_err(|_| Error::MalformedRecord {
                        record: row.reference.to_string(),
                    })?;
                let compartment = super::migrate::compartment_for(&row.reference, &value)?;
                (
                    self.seal_in(&[compartment], row.reference.clone(), &outer)?,
                    true,
                )
            };
            let new_ids: Vec<&str> = crate::crypto::record::compartments_of(&sealed.ciphertext);
            if current_parts && new_ids == old_ids {
                report.current += 1;
                continue;
            }
            // Checked before it replaces the old: the new ciphertext opens, to the same.
            let check = crate::store::RecordRow {
                reference: sealed.reference.clone(),
                ciphertext: sealed.ciphertext.clone(),
            };
            self.ring().open(self.tx(), &check)?;
            self.replace_sealed(sealed)?;
            report.resealed += 1;
        }
        Ok(Some(last))
    }

    /// A note sealed again: every part this member holds that is not under its
    /// compartment's current key is sealed again under it; parts they do not hold (another
    /// author's psychotherapy notes) are kept as they are (still bound to the same note
    /// version and place); the record is sealed for its clients' current attendance
    /// keys. Returns the sealed record, whether every part was current already, and
    /// whether a part under an old key was left for its holder.
    fn rekey_note(
        &mut self,
        reference: &RecordRef,
        outer: &[u8],
    ) -> Result<(super::seal::Sealed, bool, bool)> {
        let malformed = || Error::MalformedRecord {
            record: reference.to_string(),
        };
        let mut value: serde_json::Value =
            serde_json::from_slice(outer).map_err(|_| malformed())?;
        let clients: Vec<String> = value
            .get("clients")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(malformed)?
            .iter()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        let (_, policy) = self.policy()?;
        let epoch = self.ring().roster.epoch;
        // A participant whose record was destroyed: their parts are left as they are
        // (no key opens them any more) and the note is no longer sealed for them.
        let gone = self.compartments_of_destroyed(&clients)?;
        let mut live = Vec::with_capacity(clients.len());
        for client in clients {
            if !self.destroyed(&client)? {
                live.push(client);
            }
        }
        let clients = live;
        // Which compartment each identifier a part may name stands for.
        let mut named = std::collections::HashMap::new();
        for client in &clients {
            let mut compartments: Vec<Compartment> = policy
                .categories
                .iter()
                .map(|category| Compartment::Client {
                    client: client.as_str().into(),
                    name: category.clone(),
                })
                .collect();
            compartments.extend(self.ring().roster.members.iter().map(|m| {
                Compartment::PsychotherapyNotes {
                    client: client.as_str().into(),
                    author: m.name.clone(),
                }
            }));
            for compartment in compartments {
                for e in 1..=epoch {
                    named.insert(self.ring().id_of(&compartment, e), compartment.clone());
                }
            }
        }
        let mut current = true;
        let mut stale_unheld = false;
        let ring = self.ring();
        let tx = self.tx();
        for (place, parts) in super::parts::part_lists(&mut value) {
            let Some(parts) = parts.as_array_mut() else {
                return Err(malformed());
            };
            for part in parts.iter_mut() {
                let (id, sealed) = super::parts::part_bytes(part).ok_or_else(malformed)?;
                if gone.contains(&id) {
                    continue;
                }
                let found;
                let compartment = match named.get(&id) {
                    Some(compartment) => compartment,
                    // A category the policy no longer has: the part's own label says
                    // which, if this member holds its key.
                    None => match label_compartment(
                        ring, tx, reference, &place, &id, &sealed, &clients,
                    )? {
                        Some(compartment) => {
                            found = compartment;
                            &found
                        }
                        None => {
                            stale_unheld = true;
                            continue;
                        }
                    },
                };
                let now = ring.id_of(compartment, epoch);
                if now == id {
                    continue;
                }
                let (Some(old), Ok((new_id, new))) = (
                    ring.key(tx, &id)?,
                    ring.current_or_own(tx, &policy, compartment),
                ) else {
                    stale_unheld = true;
                    continue;
                };
                let resealed = super::parts::reseal_part(
                    reference,
                    &place,
                    (&id, &old),
                    (&new_id, &new),
                    &sealed,
                )
                .ok_or_else(|| {
                    Error::from(crate::crypto::record::IntegrityError {
                        reference: reference.clone(),
                    })
                })?;
                *part = super::parts::part_value(&new_id, &resealed);
                current = false;
            }
        }
        let attendance: Vec<Compartment> = clients
            .iter()
            .map(|client| Compartment::Client {
                client: client.as_str().into(),
                name: "attendance".into(),
            })
            .collect();
        let plain = super::seal::to_json(&value)?;
        let sealed = self.seal_in(&attendance, reference.clone(), &plain)?;
        Ok((sealed, current, stale_unheld))
    }
}

impl Access<'_, '_> {
    /// Refuses a disclosure this member may not make: their role must allow
    /// disclosures (or, for the purpose `payment`, payment disclosures), and their
    /// keys must open every category asked for, for the client (what a member cannot
    /// read they cannot release). A refusal from the keys is [`Error::KeyDenied`],
    /// from the role [`Error::RoleDenied`]; both differ from the policy's denial.
    pub(crate) fn check_may_disclose(
        &mut self,
        policy: &Policy,
        request: &crate::rules::decision::DisclosureRequest,
    ) -> Result<()> {
        let ring = self.ring();
        let may = |p| practice::may(policy, &ring.roster, ring.member(), p);
        let payment = request.purpose == "payment" && may(Permission::PaymentDisclosures);
        if !(may(Permission::Disclose) || payment) {
            let what = if may(Permission::PaymentDisclosures) {
                "disclosures other than for payment".to_owned()
            } else {
                "disclosures".to_owned()
            };
            return self
                .require(policy, Permission::Disclose)
                .map_err(|e| match e {
                    Error::RoleDenied { role, .. } => Error::RoleDenied { role, what },
                    other => other,
                });
        }
        let member = ring.member().to_owned();
        for category in &request.categories {
            let compartment = if category == crate::model::role::PSYCHOTHERAPY_NOTES {
                Compartment::PsychotherapyNotes {
                    client: request.client.clone(),
                    author: member.clone(),
                }
            } else {
                Compartment::Client {
                    client: request.client.clone(),
                    name: category.clone(),
                }
            };
            let held = (1..=self.ring().roster.epoch).any(|epoch| {
                let id = self.ring().id_of(&compartment, epoch);
                matches!(self.ring().key(self.tx(), &id), Ok(Some(_)))
            });
            // A psychotherapy-notes compartment is made on its author's first note:
            // without one, this member wrote none for the client, and there is
            // nothing of theirs to release (the decision says so).
            if !held && !matches!(compartment, Compartment::PsychotherapyNotes { .. }) {
                return Err(Error::KeyDenied {
                    what: format!("client {}'s {category}", request.client),
                });
            }
        }
        Ok(())
    }
}

impl Access<'_, '_> {
    /// Keeps every member's grants in step with a new policy: what a narrowed role no
    /// longer reads is taken away (and a new key epoch starts), what a widened role
    /// now reads is wrapped to its members (those keys this member holds). Refuses a
    /// policy that drops a role a member has.
    pub(crate) fn regrant_all(&mut self, policy: &Policy) -> Result<()> {
        let mut roster = self.ring().roster.clone();
        let caseload = self.ring().caseload.clone();
        let members: Vec<(String, String)> = roster
            .active()
            .map(|m| (m.name.clone(), m.role.clone()))
            .collect();
        for (name, role) in &members {
            if policy.role(role).is_none() {
                return Err(Error::InvalidInput(format!(
                    "member {name} has the role {role:?}, which this policy does not declare; give them another role first (`casevault member role`)"
                )));
            }
        }
        // A category the policy adds gets its compartment for every client.
        let today = Date::today();
        for client in self.client_ids()? {
            for compartment in practice::compartments_of_client(policy, &client.as_str().into()) {
                let id = self.ring().id_of(&compartment, roster.epoch);
                if self.tx().grant_exists(&id)? {
                    continue;
                }
                let key = Arc::new(compartment::generate());
                for holder in practice::holders(policy, &roster, &caseload, &compartment, today) {
                    let recipient = roster
                        .member(&holder)
                        .map(|m| m.x25519.clone())
                        .unwrap_or_default();
                    self.grant_key(&holder, &recipient, &id, &key)?;
                }
                super::index::created(self.tx(), &id, &key)?;
            }
        }
        let mut narrowed = false;
        for (name, _) in &members {
            narrowed |= self.take_unentitled(policy, &roster, &caseload, name)?;
        }
        for (name, _) in &members {
            self.grant_entitled(policy, &roster, &caseload, name, 1..=roster.epoch)?;
        }
        if narrowed {
            self.rotate(policy, &mut roster, &caseload)?;
        }
        Ok(())
    }
}

/// The compartment of a part whose identifier is not among the current policy's: from
/// the category its label names, for one of the note's clients, in some epoch. `None`
/// when this member does not hold its key.
fn label_compartment(
    ring: &super::keyring::Keyring,
    tx: &dyn crate::store::Transaction,
    reference: &RecordRef,
    place: &str,
    id: &str,
    sealed: &[u8],
    clients: &[String],
) -> Result<Option<Compartment>> {
    let Some(key) = ring.key(tx, id)? else {
        return Ok(None);
    };
    let Some((label, _)) = super::parts::open_one(&key, reference, place, id, sealed) else {
        return Err(crate::crypto::record::IntegrityError {
            reference: reference.clone(),
        }
        .into());
    };
    for client in clients {
        let compartment = Compartment::Client {
            client: client.as_str().into(),
            name: label.clone(),
        };
        for epoch in 1..=ring.roster.epoch {
            if ring.id_of(&compartment, epoch) == id {
                return Ok(Some(compartment));
            }
        }
    }
    Ok(None)
}

impl Access<'_, '_> {
    /// Writes a version of an emergency access request, sealed to the public keys of
    /// the members who review the trail (the approvers, by default) and of the member
    /// who asked: its justification is theirs alone.
    pub(crate) fn write_request(
        &mut self,
        request: &super::AccessRequest,
        version: u32,
    ) -> Result<()> {
        let roster = &self.ring().roster;
        let recipients: Vec<age::x25519::Recipient> = [
            roster.audit_recipient.as_str(),
            roster
                .member(&request.member)
                .map_or("", |m| m.x25519.as_str()),
        ]
        .into_iter()
        .filter_map(|r| r.parse().ok())
        .collect();
        let reference = RecordRef::new(RecordKind::AccessRequest, &request.id, version);
        let plain = super::seal::to_json(request)?;
        let sealed = crate::crypto::record::seal_to_with(&[], &recipients, &reference, &plain);
        self.write_raw(reference, sealed)
    }
}
