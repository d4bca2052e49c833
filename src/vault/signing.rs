//! The keys an unlocked session signs and seals its audit events with.

use std::collections::HashMap;

use ed25519_dalek::{SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::audit::EventKeys;
use crate::base::RecordRef;
use crate::crypto::keys::VaultKeys;
use crate::crypto::member::{MemberKeys, parse_verifying};
use crate::crypto::record::{self, IntegrityError};
use crate::model::practice::Roster;

/// The keys an unlocked session works with: the vault's keys (every record is still
/// sealed under them), and the member's signing key with the roster's public keys.
pub(crate) struct SessionKeys {
    pub(crate) vault: VaultKeys,
    member: String,
    #[allow(dead_code, reason = "the signed chain that reads it is not merged yet")]
    signing: SigningKey,
    verifying: HashMap<String, VerifyingKey>,
}

impl SessionKeys {
    pub(crate) fn new(vault: VaultKeys, member: &str, keys: &MemberKeys, roster: &Roster) -> Self {
        let mut session = SessionKeys {
            vault,
            member: member.to_owned(),
            signing: keys.signing.clone(),
            verifying: HashMap::new(),
        };
        session.refresh(roster);
        session
    }

    /// Takes the roster's public keys in again, after a change to it.
    pub(crate) fn refresh(&mut self, roster: &Roster) {
        self.verifying = roster
            .members
            .iter()
            .filter_map(|m| Some((m.name.clone(), parse_verifying(&m.ed25519)?)))
            .collect();
    }

    /// The member this session acts as.
    pub(crate) fn member(&self) -> &str {
        &self.member
    }
}

impl EventKeys for SessionKeys {
    fn signer(&self) -> (&str, &SigningKey) {
        (&self.member, &self.signing)
    }

    fn verifying_key(&self, member: &str) -> Option<VerifyingKey> {
        self.verifying.get(member).copied()
    }

    fn seal_details(&self, reference: &RecordRef, plain: &[u8]) -> Vec<u8> {
        record::seal(&self.vault.records, reference, plain)
    }

    fn open_details(
        &self,
        reference: &RecordRef,
        sealed: &[u8],
    ) -> std::result::Result<Option<Zeroizing<Vec<u8>>>, IntegrityError> {
        record::open(&self.vault.records, reference, sealed).map(Some)
    }

    fn seal_writes(&self, reference: &RecordRef, plain: &[u8]) -> Vec<u8> {
        record::seal(&self.vault.records, reference, plain)
    }

    fn open_writes(
        &self,
        reference: &RecordRef,
        sealed: &[u8],
    ) -> std::result::Result<Zeroizing<Vec<u8>>, IntegrityError> {
        record::open(&self.vault.records, reference, sealed)
    }

    fn legacy(&self) -> Option<&VaultKeys> {
        // Events appended before the vault had members are MAC-chained under the
        // vault's own audit key, which every session holds.
        Some(&self.vault)
    }
}
