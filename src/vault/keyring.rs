//! The keyring: what one member's passphrase opens. Their personal key and key pairs,
//! the practice's roster and caseloads, and the compartment keys granted to them,
//! unwrapped lazily (only those an operation reads) and cached for the session.
//!
//! Invariant: a record opens only with a compartment key this member was granted (a
//! row of the grants table wrapped to them); nothing here checks a role with an `if`.
//! A member without the key gets [`Error::KeyDenied`], whatever their role says.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use ed25519_dalek::{SigningKey, VerifyingKey};
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use crate::audit::EventKeys;
use crate::base::{Date, RecordKind, RecordRef};
use crate::crypto::compartment::{self, DataKey};
use crate::crypto::keys::VaultKeys;
use crate::crypto::member::{MemberKeys, parse_verifying};
use crate::crypto::record::{self, IntegrityError};
use crate::error::Error;
use crate::model::policy::Policy;
use crate::model::practice::{self, Caseload, Compartment, Roster};
use crate::store::{GrantRow, RecordRow, StoreError, Transaction};

type Result<T> = std::result::Result<T, Error>;

/// The grants table's wrapping forms.
pub(crate) const FORM_X25519: &str = "x25519";
pub(crate) const FORM_OWN: &str = "own";

/// The identifier of the practice compartment of `epoch` (not blinded: every member
/// holds it, and it must be found before the naming key, which it seals, is read).
pub(crate) fn practice_id(epoch: u32) -> String {
    format!("practice-{epoch}")
}

/// The identifier of a member's own compartment: their personal key, for their copy of
/// the events they append.
fn own_id(member: &str) -> String {
    format!("member-{member}")
}

/// The reference of a member's private keys.
pub(crate) fn member_reference(name: &str) -> RecordRef {
    RecordRef::new(RecordKind::Member, name, 1)
}

/// The one roster and caseload record's identifier.
pub(crate) const PRACTICE_RECORD: &str = "practice";

/// What founding a practice must write besides the roster: the first member's grants
/// of the practice and audit keys, and the audit identity (sealed for the reviewers).
pub(crate) struct Founding {
    pub(crate) grants: Vec<(String, Arc<DataKey>)>,
    pub(crate) audit_identity: Zeroizing<String>,
}

/// What one member's passphrase opened.
pub(crate) struct Keyring {
    member: String,
    personal: DataKey,
    keys: MemberKeys,
    naming: DataKey,
    pub(crate) roster: Roster,
    pub(crate) caseload: Caseload,
    /// The vault's keys from before it became a practice, for its earlier events;
    /// only the member whose secret was the vault's root holds them.
    legacy: Option<VaultKeys>,
    /// Compartment keys by identifier; `None` for a compartment not granted to this
    /// member (so a scan asks the store once).
    cache: RwLock<HashMap<String, Option<Arc<DataKey>>>>,
    /// Keys the audit trail is sealed under that this member holds, by identifier.
    event_keys: Vec<(String, Arc<DataKey>)>,
    verifying: HashMap<String, VerifyingKey>,
    /// The reviewers' audit identities, one per key epoch, when this member reviews
    /// the trail: events appended by members who do not are sealed to the one of
    /// their epoch.
    audit_identities: Vec<age::x25519::Identity>,
    /// The policy last read, with the ciphertext it was read from.
    policy: RwLock<Option<(RecordRow, Policy)>>,
}

/// The reference of the practice's audit identity (the private half of the roster's
/// `audit_recipient`), sealed under the audit compartment's key.
pub(crate) fn audit_identity_reference() -> RecordRef {
    RecordRef::new(RecordKind::Member, "audit", 1)
}

impl Keyring {
    /// Opens a member's keyring: their private keys (under the personal key their
    /// secret derives), every practice key granted to them, the roster and caseloads.
    /// Takes in any grant still wrapped to their public key (rewrapping it under their
    /// personal key, so that holding it costs an AEAD from then on).
    pub(crate) fn unlock(
        tx: &dyn Transaction,
        member: &str,
        personal: DataKey,
        legacy: Option<VaultKeys>,
    ) -> Result<Keyring> {
        let reference = member_reference(member);
        let row = tx
            .record(&reference)?
            .ok_or_else(|| StoreError::Corrupt(format!("member {member}'s keys are missing")))?;
        let plain = record::open(&personal, &reference, &row.ciphertext)?;
        let keys = MemberKeys::from_json(&plain).ok_or_else(|| Error::MalformedRecord {
            record: reference.to_string(),
        })?;
        let mut ring = Keyring {
            member: member.to_owned(),
            personal,
            keys,
            naming: compartment::generate(),
            roster: Roster::default(),
            caseload: Caseload::default(),
            legacy,
            cache: RwLock::new(HashMap::new()),
            event_keys: Vec::new(),
            verifying: HashMap::new(),
            audit_identities: Vec::new(),
            policy: RwLock::new(None),
        };
        // The roster first (its key may still be wrapped to this member's public key,
        // unchecked until the roster says who signed it), then every grant checked.
        ring.reload(tx)?;
        ring.take_in(tx)?;
        Ok(ring)
    }

    /// The keyring of a new practice's first member `name`: their key pairs, the
    /// practice's naming key, the first epoch's practice and audit keys and the audit
    /// identity, and the roster listing them. What must be written is in the
    /// returned [`Founding`] ([`Keyring::write_founding`]).
    pub(crate) fn found(
        name: &str,
        personal: DataKey,
        legacy: Option<VaultKeys>,
    ) -> Result<(Keyring, Founding)> {
        crate::model::practice::valid_member_name(name).map_err(Error::InvalidInput)?;
        let keys = MemberKeys::generate();
        let naming = compartment::generate();
        let audit_identity = age::x25519::Identity::generate();
        let roster = Roster {
            epoch: 1,
            naming_key: data_encoding::HEXLOWER.encode(naming.expose_secret()),
            members: vec![crate::model::practice::Member {
                name: name.to_owned(),
                role: "owner".to_owned(),
                x25519: keys.recipient(),
                ed25519: data_encoding::HEXLOWER.encode(keys.verifying().as_bytes()),
                added: crate::base::Timestamp::now(),
                removed: None,
                removed_at_seq: None,
                previous_roles: Vec::new(),
            }],
            audit_recipient: audit_identity.to_public().to_string(),
        };
        let mut ring = Keyring {
            member: name.to_owned(),
            personal,
            keys,
            naming,
            roster,
            caseload: Caseload::default(),
            legacy,
            cache: RwLock::new(HashMap::new()),
            event_keys: Vec::new(),
            verifying: HashMap::new(),
            audit_identities: Vec::new(),
            policy: RwLock::new(None),
        };
        let practice = Arc::new(compartment::generate());
        let audit = Arc::new(compartment::generate());
        let practice_id = practice_id(1);
        let audit_id = ring.id_of(&Compartment::Audit, 1);
        ring.remember(&practice_id, practice.clone());
        ring.remember(&audit_id, audit.clone());
        ring.event_keys = vec![
            (audit_id.clone(), audit.clone()),
            (practice_id.clone(), practice.clone()),
        ];
        ring.refresh_verifying();
        let founding = Founding {
            grants: vec![(practice_id, practice), (audit_id, audit)],
            audit_identity: Zeroizing::new(
                secrecy::ExposeSecret::expose_secret(&audit_identity.to_string()).to_owned(),
            ),
        };
        ring.audit_identities = vec![audit_identity];
        Ok((ring, founding))
    }

    /// Rewraps every grant still wrapped to this member's public key, and signed by a
    /// member of the practice, under their personal key. A grant no member signed (a
    /// key planted by whoever can write the rows: a server) is left aside, never
    /// used; if this unlock already used it to open the roster, the unlock is refused.
    fn take_in(&self, tx: &dyn Transaction) -> Result<()> {
        for grant in tx.grants_of(&self.member, FORM_X25519)? {
            let Some(key) = self.unwrap_granted(&grant)? else {
                let used = self
                    .cache
                    .read()
                    .expect("cache lock")
                    .get(&grant.compartment)
                    .is_some_and(Option::is_some);
                if used {
                    return Err(Error::Integrity(IntegrityError {
                        reference: RecordRef::new(RecordKind::Grant, &grant.compartment, 1),
                    }));
                }
                continue;
            };
            tx.set_grant(&GrantRow {
                member: self.member.clone(),
                wrapped: compartment::wrap_own(&self.personal, &grant.compartment, &key),
                form: FORM_OWN.into(),
                compartment: grant.compartment,
            })?;
        }
        Ok(())
    }

    /// Reads the roster and caseloads again (after a change to either).
    pub(crate) fn reload(&mut self, tx: &dyn Transaction) -> Result<()> {
        let row = tx
            .latest_record(RecordKind::Roster, PRACTICE_RECORD)?
            .ok_or_else(|| StoreError::Corrupt("the practice's roster is missing".into()))?;
        let roster: Roster = self.open_json(tx, &row)?;
        let naming = data_encoding::HEXLOWER
            .decode(roster.naming_key.as_bytes())
            .ok()
            .and_then(|bytes| compartment::from_bytes(&bytes))
            .ok_or_else(|| Error::MalformedRecord {
                record: row.reference.to_string(),
            })?;
        self.naming = naming;
        self.roster = roster;
        self.caseload = match tx.latest_record(RecordKind::Caseload, PRACTICE_RECORD)? {
            Some(row) => self.open_json(tx, &row)?,
            None => Caseload::default(),
        };
        self.refresh_verifying();
        self.load_event_keys(tx)?;
        // The roles `audit verify` checks each signed write against. A policy that
        // does not open is not this unlock's to refuse: every command that needs it
        // fails on it, and `audit verify` names it (without it, the write check has no
        // roles to check against, and the report is not intact anyway).
        if let Some(row) = tx.latest_record(RecordKind::Policy, "policy")?
            && let Ok(plain) = self.open(tx, &row)
            && let Ok(source) = serde_json::from_slice::<serde_json::Value>(&plain)
            && let Some(source) = source.get("source").and_then(serde_json::Value::as_str)
            && let Ok(policy) = Policy::parse(source)
        {
            self.cache_policy(&row, &policy);
        }
        Ok(())
    }

    fn refresh_verifying(&mut self) {
        self.verifying = self
            .roster
            .members
            .iter()
            .filter_map(|m| Some((m.name.clone(), parse_verifying(&m.ed25519)?)))
            .collect();
    }

    /// The keys events are sealed under that this member holds: the audit
    /// compartment's, every epoch (when their role reviews the trail), and their own.
    fn load_event_keys(&mut self, tx: &dyn Transaction) -> Result<()> {
        let mut keys = Vec::new();
        for epoch in 1..=self.roster.epoch {
            let id = self.id_of(&Compartment::Audit, epoch);
            if let Some(key) = self.key(tx, &id)? {
                keys.push((id, key));
            }
            let practice = practice_id(epoch);
            if let Some(key) = self.key(tx, &practice)? {
                keys.push((practice, key));
            }
        }
        self.event_keys = keys;
        self.audit_identities = Vec::new();
        let Some(latest) = tx.latest_record(RecordKind::Member, "audit")? else {
            return Ok(());
        };
        for version in 1..=latest.reference.version {
            let mut reference = audit_identity_reference();
            reference.version = version;
            let Some(row) = tx.record(&reference)? else {
                continue;
            };
            // Only the reviewers hold its key; for anyone else it stays sealed. A
            // record that fails to open with the key is altered: fail closed.
            match self.open(tx, &row) {
                Ok(plain) => {
                    let malformed = || Error::MalformedRecord {
                        record: row.reference.to_string(),
                    };
                    let text = serde_json::from_slice::<String>(&plain)
                        .map(Zeroizing::new)
                        .map_err(|_| malformed())?;
                    self.audit_identities
                        .push(text.parse().map_err(|_| malformed())?);
                }
                Err(Error::KeyDenied { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The member this keyring is for.
    pub(crate) fn member(&self) -> &str {
        &self.member
    }

    pub(crate) fn personal(&self) -> &DataKey {
        &self.personal
    }

    pub(crate) fn member_keys(&self) -> &MemberKeys {
        &self.keys
    }

    pub(crate) fn legacy_keys(&self) -> Option<&VaultKeys> {
        self.legacy.as_ref()
    }

    /// The identifier of `compartment` in key epoch `epoch`.
    pub(crate) fn id_of(&self, compartment: &Compartment, epoch: u32) -> String {
        match compartment {
            Compartment::Practice => practice_id(epoch),
            other => compartment::identifier(&self.naming, &other.label(), epoch),
        }
    }

    /// The key of the compartment `id`, if it is granted to this member.
    pub(crate) fn key(&self, tx: &dyn Transaction, id: &str) -> Result<Option<Arc<DataKey>>> {
        if let Some(cached) = self.cache.read().expect("cache lock").get(id) {
            return Ok(cached.clone());
        }
        let key = match tx.grant(&self.member, id)? {
            Some(grant) if grant.form == FORM_OWN => Some(Arc::new(compartment::unwrap_own(
                &self.personal,
                id,
                &grant.wrapped,
            )?)),
            // While the roster is not read yet (an unlock's first steps), a grant
            // cannot be checked: `take_in` checks it once the roster is read.
            Some(grant) if self.verifying.is_empty() => {
                let signed = compartment::SignedGrant::read(&grant.wrapped);
                let wrapped = signed.map_or(grant.wrapped.as_slice(), |s| s.wrapped);
                Some(Arc::new(compartment::unwrap_from(
                    &self.keys.identity,
                    id,
                    wrapped,
                )?))
            }
            Some(grant) => self.unwrap_granted(&grant)?.map(Arc::new),
            None => None,
        };
        self.cache
            .write()
            .expect("cache lock")
            .insert(id.to_owned(), key.clone());
        Ok(key)
    }

    /// The key of the compartment `id` if this operation has already fetched it
    /// ([`Keyring::key`]): what the parallel opening of a page uses.
    pub(crate) fn cached(&self, id: &str) -> Option<Arc<DataKey>> {
        self.cache
            .read()
            .expect("cache lock")
            .get(id)
            .cloned()
            .flatten()
    }

    /// The current key of `compartment`; for psychotherapy notes of this member's own,
    /// made on first use (their author is the only holder).
    /// [`Error::KeyDenied`] when this member does not hold it.
    pub(crate) fn current_or_own(
        &self,
        tx: &dyn Transaction,
        policy: &Policy,
        compartment: &Compartment,
    ) -> Result<(String, Arc<DataKey>)> {
        match self.current(tx, compartment) {
            Err(Error::KeyDenied { .. })
                if matches!(compartment, Compartment::PsychotherapyNotes { author, .. } if *author == self.member)
                    && self.holders(policy, compartment) == [self.member.clone()] =>
            {
                let key = Arc::new(compartment::generate());
                let id = self.id_of(compartment, self.roster.epoch);
                self.grant_own(tx, &id, &key)?;
                Ok((id, key))
            }
            other => other,
        }
    }

    /// Grants a key to this member, under their personal key.
    pub(crate) fn grant_own(
        &self,
        tx: &dyn Transaction,
        id: &str,
        key: &Arc<DataKey>,
    ) -> Result<()> {
        tx.set_grant(&GrantRow {
            member: self.member.clone(),
            compartment: id.to_owned(),
            form: FORM_OWN.into(),
            wrapped: compartment::wrap_own(&self.personal, id, key),
        })?;
        self.remember(id, key.clone());
        Ok(())
    }

    /// A key granted to this member by another, wrapped to their public key: `None`
    /// when no member of the roster signed it.
    fn unwrap_granted(&self, grant: &GrantRow) -> Result<Option<DataKey>> {
        let Some(signed) = compartment::SignedGrant::read(&grant.wrapped) else {
            return Ok(None);
        };
        // A member of the practice now: a removed member's key signs nothing more.
        let current = self
            .roster
            .members
            .iter()
            .any(|m| m.name == signed.granter && m.removed.is_none());
        let signed_by_a_member = current
            && self
                .verifying
                .get(signed.granter)
                .is_some_and(|key| signed.verifies(key, &self.member, &grant.compartment));
        if !signed_by_a_member {
            return Ok(None);
        }
        Ok(Some(compartment::unwrap_from(
            &self.keys.identity,
            &grant.compartment,
            signed.wrapped,
        )?))
    }

    /// The grant of `key` to `member` (whose age recipient is `recipient`): wrapped to
    /// them and signed by this member.
    pub(crate) fn wrap_grant(
        &self,
        member: &str,
        recipient: &str,
        id: &str,
        key: &DataKey,
    ) -> Result<GrantRow> {
        let wrapped =
            compartment::wrap_to(recipient, key).ok_or_else(|| Error::MalformedRecord {
                record: format!("member {member}'s public key"),
            })?;
        Ok(GrantRow {
            member: member.to_owned(),
            compartment: id.to_owned(),
            form: FORM_X25519.into(),
            wrapped: compartment::sign_grant(
                &self.keys.signing,
                &self.member,
                member,
                id,
                &wrapped,
            ),
        })
    }

    /// Grants a key to `member` (another member: wrapped to their public key, taken in
    /// at their next unlock; this member: under their personal key).
    pub(crate) fn grant_to(
        &self,
        tx: &dyn Transaction,
        member: &str,
        id: &str,
        key: &Arc<DataKey>,
    ) -> Result<()> {
        if member == self.member {
            return self.grant_own(tx, id, key);
        }
        let recipient = self
            .roster
            .members
            .iter()
            .find(|m| m.name == member)
            .map(|m| m.x25519.as_str())
            .ok_or_else(|| Error::NoSuchMember(member.to_owned()))?;
        tx.set_grant(&self.wrap_grant(member, recipient, id, key)?)?;
        Ok(())
    }

    /// Whether `member`'s role at audit event `seq` may write a record of `kind` (or
    /// the keyslot `id`), under the policy last read (the roles as they stand).
    pub(crate) fn role_may_write(&self, member: &str, kind: &str, id: &str, seq: u64) -> bool {
        use crate::model::role::{CONSENTS, DISCLOSURES, Permission};
        let Some(m) = self.roster.members.iter().find(|m| m.name == member) else {
            return false;
        };
        let cached = self.policy.read().expect("policy lock");
        let Some((_, policy)) = cached.as_ref() else {
            // No policy read yet: nothing to check against.
            return true;
        };
        let Some(role) = policy.role(m.role_at(seq)) else {
            return false;
        };
        let keeps_keys = role.may(Permission::Members)
            || role.may(Permission::ApproveEmergency)
            || role.may(Permission::Policy);
        match kind {
            "client" => role.can_write("identity"),
            "note" => role.may(Permission::WriteNotes),
            "consent" | "intake" | "restriction" => role.can_write(CONSENTS),
            "decision" | "accounting" | "rights-request" | "accounting-suspension" => {
                role.can_write(DISCLOSURES)
            }
            "policy" => role.may(Permission::Policy),
            // The roster, members' keys and the audit identity change with members,
            // and with every new key epoch (emergency access ending, a policy change).
            "roster" | "member" => keeps_keys,
            // A clinician adding a client takes it on their own caseload.
            "caseload" => keeps_keys || role.may(Permission::WriteNotes),
            "access-request" => true,
            "keyslot" => {
                role.may(Permission::Members)
                    || id.strip_prefix("member/").map_or(
                        // The first member's keyslots carry no name.
                        matches!(id, "passphrase" | "recovery")
                            && self
                                .roster
                                .members
                                .first()
                                .is_some_and(|f| f.name == member),
                        |rest| rest.split('/').next() == Some(member),
                    )
            }
            _ => false,
        }
    }

    /// The policy parsed from `row`, if it is the ciphertext last read.
    pub(crate) fn cached_policy(&self, row: &RecordRow) -> Option<Policy> {
        let cached = self.policy.read().expect("policy lock");
        cached.as_ref().and_then(|(read, policy)| {
            (read.reference == row.reference && read.ciphertext == row.ciphertext)
                .then(|| policy.clone())
        })
    }

    /// Keeps the policy parsed from `row` for the next read of the same ciphertext.
    pub(crate) fn cache_policy(&self, row: &RecordRow, policy: &Policy) {
        *self.policy.write().expect("policy lock") = Some((
            RecordRow {
                reference: row.reference.clone(),
                ciphertext: row.ciphertext.clone(),
            },
            policy.clone(),
        ));
    }

    /// Forgets a key whose compartment was destroyed.
    pub(crate) fn forget(&self, id: &str) {
        self.cache
            .write()
            .expect("cache lock")
            .insert(id.to_owned(), None);
    }

    /// Remembers a key this member just made or was just granted.
    pub(crate) fn remember(&self, id: &str, key: Arc<DataKey>) {
        self.cache
            .write()
            .expect("cache lock")
            .insert(id.to_owned(), Some(key));
    }

    /// The current key of `compartment`, or [`Error::KeyDenied`].
    pub(crate) fn current(
        &self,
        tx: &dyn Transaction,
        compartment: &Compartment,
    ) -> Result<(String, Arc<DataKey>)> {
        let id = self.id_of(compartment, self.roster.epoch);
        match self.key(tx, &id)? {
            Some(key) => Ok((id, key)),
            None => Err(Error::KeyDenied {
                what: format!("compartment {compartment}"),
            }),
        }
    }

    /// Makes sure the keys that open each of `rows` are in the cache, so that
    /// [`Keyring::open_cached`] can open them on any thread.
    pub(crate) fn prefetch(&self, tx: &dyn Transaction, rows: &[RecordRow]) -> Result<()> {
        for row in rows {
            for id in record::compartments_of(&row.ciphertext) {
                if self.key(tx, id)?.is_some() {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Decrypts a record with the first of its compartments' keys this member holds
    /// (after [`Keyring::prefetch`]); [`Error::KeyDenied`] when they hold none.
    pub(crate) fn open_cached(&self, row: &RecordRow) -> Result<Zeroizing<Vec<u8>>> {
        let compartments = record::compartments_of(&row.ciphertext);
        if compartments.is_empty() && has_x25519(&row.ciphertext) {
            // Sealed to members' public keys (an emergency access request: for the
            // reviewers and the member who asked).
            let identities =
                std::iter::once(&self.keys.identity).chain(self.audit_identities.iter());
            for identity in identities {
                if let Ok(plain) = record::open_x25519(identity, &row.reference, &row.ciphertext) {
                    return Ok(plain);
                }
            }
            return Err(Error::KeyDenied {
                what: row.reference.to_string(),
            });
        }
        if compartments.is_empty() {
            // Sealed before the vault became a practice (only a migration reads these).
            return match &self.legacy {
                Some(legacy) => Ok(record::open(
                    &legacy.records,
                    &row.reference,
                    &row.ciphertext,
                )?),
                None => Err(IntegrityError {
                    reference: row.reference.clone(),
                }
                .into()),
            };
        }
        let cache = self.cache.read().expect("cache lock");
        for id in compartments {
            if let Some(Some(key)) = cache.get(id) {
                return Ok(record::open_in(id, key, &row.reference, &row.ciphertext)?);
            }
        }
        Err(Error::KeyDenied {
            what: row.reference.to_string(),
        })
    }

    /// Decrypts one record ([`Keyring::prefetch`] then [`Keyring::open_cached`]).
    pub(crate) fn open(&self, tx: &dyn Transaction, row: &RecordRow) -> Result<Zeroizing<Vec<u8>>> {
        self.prefetch(tx, std::slice::from_ref(row))?;
        match self.open_cached(row) {
            Err(Error::KeyDenied { .. }) => Err(denied_or_altered(tx, row)?),
            other => other,
        }
    }

    pub(crate) fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        tx: &dyn Transaction,
        row: &RecordRow,
    ) -> Result<T> {
        let plain = self.open(tx, row)?;
        serde_json::from_slice(&plain).map_err(|_| Error::MalformedRecord {
            record: row.reference.to_string(),
        })
    }

    /// Seals `plain` as `reference`, readable through each of `compartments`' current
    /// keys; [`Error::KeyDenied`] when this member does not hold one of them.
    pub(crate) fn seal(
        &self,
        tx: &dyn Transaction,
        compartments: &[Compartment],
        reference: &RecordRef,
        plain: &[u8],
    ) -> Result<Vec<u8>> {
        let keys = compartments
            .iter()
            .map(|c| self.current(tx, c))
            .collect::<Result<Vec<_>>>()?;
        let stanzas: Vec<(&str, &DataKey)> = keys
            .iter()
            .map(|(id, key)| (id.as_str(), key.as_ref()))
            .collect();
        Ok(record::seal_to(&stanzas, reference, plain))
    }

    /// Who holds `compartment` under the policy, roster and caseloads as they stand.
    pub(crate) fn holders(&self, policy: &Policy, compartment: &Compartment) -> Vec<String> {
        practice::holders(
            policy,
            &self.roster,
            &self.caseload,
            compartment,
            Date::today(),
        )
    }
}

/// True when the record's age header has an X25519 stanza (sealed to a public key).
fn has_x25519(ciphertext: &[u8]) -> bool {
    let end = ciphertext
        .windows(4)
        .position(|w| w == b"\n---")
        .unwrap_or(0);
    ciphertext[..end].windows(10).any(|w| w == b"\n-> X25519")
}

/// Why a record this member holds no key for did not open: not theirs to open
/// ([`Error::KeyDenied`]) when it is sealed for a compartment some member holds;
/// otherwise its stanzas were altered (an integrity failure).
pub(crate) fn denied_or_altered(tx: &dyn Transaction, row: &RecordRow) -> Result<Error> {
    if record::compartments_of(&row.ciphertext).is_empty() && has_x25519(&row.ciphertext) {
        return Ok(Error::KeyDenied {
            what: row.reference.to_string(),
        });
    }
    for id in record::compartments_of(&row.ciphertext) {
        if tx.grant_exists(id)? {
            return Ok(Error::KeyDenied {
                what: row.reference.to_string(),
            });
        }
    }
    Ok(IntegrityError {
        reference: row.reference.clone(),
    }
    .into())
}

impl EventKeys for Keyring {
    fn signer(&self) -> (&str, &SigningKey) {
        (&self.member, &self.keys.signing)
    }

    fn may_write(&self, member: &str, kind: &str, id: &str, seq: u64) -> bool {
        self.role_may_write(member, kind, id, seq)
    }

    fn may_destroy(&self, member: &str, seq: u64) -> bool {
        use crate::model::role::Permission;
        let Some(m) = self.roster.members.iter().find(|m| m.name == member) else {
            return false;
        };
        let cached = self.policy.read().expect("policy lock");
        let Some((_, policy)) = cached.as_ref() else {
            // No policy read yet: nothing to check against.
            return true;
        };
        policy
            .role(m.role_at(seq))
            .is_some_and(|role| role.may(Permission::DestroyRecords))
    }

    fn verifying_key(&self, member: &str, seq: u64) -> Option<VerifyingKey> {
        // A removed member's key verifies only what they signed before their removal.
        let m = self.roster.members.iter().find(|m| m.name == member)?;
        if m.removed_at_seq.is_some_and(|removed| seq >= removed) {
            return None;
        }
        self.verifying.get(member).copied()
    }

    fn seal_details(&self, reference: &RecordRef, plain: &[u8]) -> Vec<u8> {
        let own = own_id(&self.member);
        let mut stanzas: Vec<(&str, &DataKey)> = vec![(own.as_str(), &self.personal)];
        let audit = self.id_of(&Compartment::Audit, self.roster.epoch);
        let mut recipients = Vec::new();
        match self.event_keys.iter().find(|(id, _)| *id == audit) {
            Some((id, key)) => stanzas.push((id.as_str(), key.as_ref())),
            // A member who does not review the trail holds no audit key: their events
            // are sealed to the reviewers' public audit key instead.
            None => recipients.extend(
                self.roster
                    .audit_recipient
                    .parse::<age::x25519::Recipient>()
                    .ok(),
            ),
        }
        record::seal_to_with(&stanzas, &recipients, reference, plain)
    }

    fn open_details(
        &self,
        reference: &RecordRef,
        sealed: &[u8],
    ) -> std::result::Result<Option<Zeroizing<Vec<u8>>>, IntegrityError> {
        let compartments = record::compartments_of(sealed);
        if compartments.is_empty() {
            return match &self.legacy {
                Some(legacy) => record::open(&legacy.records, reference, sealed).map(Some),
                None => Ok(None),
            };
        }
        let own = own_id(&self.member);
        for id in &compartments {
            if *id == own {
                return record::open_in(id, &self.personal, reference, sealed).map(Some);
            }
            if let Some((id, key)) = self.event_keys.iter().find(|(k, _)| k == id) {
                return record::open_in(id, key, reference, sealed).map(Some);
            }
        }
        // Sealed to the reviewers' public key of its epoch (the appender did not
        // review the trail).
        if has_x25519(sealed) {
            for identity in &self.audit_identities {
                if let Ok(plain) = record::open_x25519(identity, reference, sealed) {
                    return Ok(Some(plain));
                }
            }
            if !self.audit_identities.is_empty() {
                return Err(IntegrityError {
                    reference: reference.clone(),
                });
            }
        }
        Ok(None)
    }

    fn seal_writes(&self, reference: &RecordRef, plain: &[u8]) -> Vec<u8> {
        let id = practice_id(self.roster.epoch);
        match self.event_keys.iter().find(|(k, _)| *k == id) {
            Some((id, key)) => record::seal_to(&[(id.as_str(), key.as_ref())], reference, plain),
            // Every member holds the practice key of the current epoch; a keyring
            // without it was refused at unlock.
            None => record::seal(&self.personal, reference, plain),
        }
    }

    fn open_writes(
        &self,
        reference: &RecordRef,
        sealed: &[u8],
    ) -> std::result::Result<Zeroizing<Vec<u8>>, IntegrityError> {
        for id in record::compartments_of(sealed) {
            if let Some((id, key)) = self.event_keys.iter().find(|(k, _)| k == id) {
                return record::open_in(id, key, reference, sealed);
            }
        }
        Err(IntegrityError {
            reference: reference.clone(),
        })
    }

    fn legacy(&self) -> Option<&VaultKeys> {
        self.legacy.as_ref()
    }
}
