//! The session's gate: [`Session::access`](super::Session) runs an operation and appends
//! its audit event in one transaction; a failure is rolled back and audited on its own.

use secrecy::SecretString;

use super::access::Access;
use super::pin;
use super::{FailedUnlock, PASSPHRASE_SLOT, Session};
use crate::audit::{Action, Chain, EventDraft, Outcome, Target, TargetAccess};
use crate::base::Timestamp;
use crate::crypto::keyslot::{self, KdfParams, KeyslotError};
use crate::error::Error;
use crate::store::StoreError;

type Result<T> = std::result::Result<T, Error>;

impl Session {
    /// Failed unlocks recorded since the previous successful unlock, oldest first.
    /// They have been entered in the audit trail by this unlock.
    pub fn failed_unlocks(&self) -> &[FailedUnlock] {
        &self.failed_unlocks
    }

    /// The actor named in this session's audit events.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The vault's identifier (random, hex).
    pub fn vault_id(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.vault_id)
    }

    /// The one gate every operation passes: runs `op` in a transaction and appends
    /// the audit event in the same transaction. On failure the operation's writes
    /// are rolled back and the failure is audited in a transaction of its own.
    ///
    /// Access control for group practices (roles, per-role keys) belongs here.
    pub(crate) fn access<T>(
        &mut self,
        action: Action,
        op: impl FnOnce(&mut Access<'_, '_>) -> Result<T>,
    ) -> Result<T> {
        let keys = &self.ring;
        let vault_id = &self.vault_id;
        let actor = &self.actor;
        let pins = self.pins.as_ref();
        let mut attempted = Vec::new();
        let mut purpose = None;
        let mut head = None;
        let result = self.store.transaction(|tx| {
            let chain = Chain::new(keys, vault_id);
            Session::check_pin(pins, &chain, tx, vault_id)?;
            let mut access = Access::new(tx, keys);
            let value = op(&mut access).and_then(|value| {
                // The notes written go into the search index, in this transaction.
                super::index::flush(tx, std::mem::take(&mut access.index))?;
                Ok(value)
            });
            attempted = access.targets;
            purpose = access.purpose;
            let value = value?;
            let draft = EventDraft {
                at: Timestamp::now().into(),
                actor: actor.clone(),
                action: action.clone(),
                targets: std::mem::take(&mut attempted),
                outcome: access.outcome.unwrap_or(Outcome::Ok),
                purpose: purpose.clone(),
            };
            let appended = chain.append(tx, std::slice::from_ref(&draft));
            // Kept for the failure's own event, should appending fail.
            attempted = draft.targets;
            appended?;
            head = pin::head_after(pins, &chain, tx)?;
            Ok(value)
        });
        if result.is_ok() {
            self.move_pin(head);
        }
        if let Err(error) = &result {
            // The writes were rolled back: keep only what was read.
            attempted.retain(|t| t.access == TargetAccess::Read);
            self.audit_failure(action, attempted, purpose, error);
        }
        result
    }

    /// [`Session::access`] for many items in one transaction: each item is its own
    /// operation with its own audit event. An item that fails with bad input is
    /// audited as failed and skipped; a storage failure rolls the whole batch back.
    /// `op` must write only as its last step, so a failed item writes nothing. The
    /// events, one per item in the items' order, are sealed on every core once every
    /// item has run, then chained, all in the same transaction.
    ///
    /// `prepare` runs first, in the same transaction, over all the items (an import
    /// fetches its keys there and seals the batch on every core); it may change the
    /// items but writes nothing. Whatever it reads is noted as read in every item's
    /// event, since every item's operation may rest on it.
    pub(crate) fn access_each<I, T>(
        &mut self,
        action: Action,
        mut items: Vec<I>,
        prepare: impl FnOnce(&mut Access<'_, '_>, &mut [I]) -> Result<()>,
        mut op: impl FnMut(&mut Access<'_, '_>, &mut I) -> Result<T>,
    ) -> Result<Vec<(I, Result<T>)>> {
        let keys = &self.ring;
        let vault_id = &self.vault_id;
        let actor = &self.actor;
        let pins = self.pins.as_ref();
        let mut head = None;
        let done = self.store.transaction(|tx| {
            let chain = Chain::new(keys, vault_id);
            Session::check_pin(pins, &chain, tx, vault_id)?;
            let mut prepared = Access::new(tx, keys);
            prepare(&mut prepared, &mut items)?;
            debug_assert!(
                prepared
                    .targets
                    .iter()
                    .all(|t| t.access == TargetAccess::Read),
                "prepare writes nothing"
            );
            let shared = prepared.targets;
            let mut done = Vec::with_capacity(items.len());
            let mut drafts = Vec::with_capacity(items.len());
            let mut indexed = Vec::new();
            for mut item in items {
                let mut access = Access::new(tx, keys);
                access.targets.extend(shared.iter().cloned());
                let value = op(&mut access, &mut item);
                let outcome = match &value {
                    Ok(_) => {
                        indexed.append(&mut access.index);
                        access.outcome.take().unwrap_or(Outcome::Ok)
                    }
                    Err(Error::Store(_)) => return Err(value.err().expect("an error")),
                    Err(e) => {
                        access.targets.retain(|t| t.access == TargetAccess::Read);
                        e.audit_outcome()
                    }
                };
                drafts.push(EventDraft {
                    at: Timestamp::now().into(),
                    actor: actor.clone(),
                    action: action.clone(),
                    targets: access.targets,
                    outcome,
                    purpose: access.purpose,
                });
                done.push((item, value));
            }
            // The notes the items wrote go into the search index, once for the batch.
            super::index::flush(tx, indexed)?;
            chain.append(tx, &drafts)?;
            head = pin::head_after(pins, &chain, tx)?;
            Ok(done)
        })?;
        self.move_pin(head);
        Ok(done)
    }

    pub(super) fn audit_failure(
        &mut self,
        action: Action,
        targets: Vec<Target>,
        purpose: Option<String>,
        error: &Error,
    ) {
        if matches!(error, Error::Store(StoreError::Busy)) {
            // The lock it waited for is still held: a second wait would only double
            // the user's; the command changed nothing.
            return;
        }
        if matches!(error, Error::TrailNotExtended { .. }) {
            // Not this member's trail: nothing is appended to it (which would also
            // turn a rollback into a fork for every other member).
            return;
        }
        let draft = EventDraft {
            at: Timestamp::now().into(),
            actor: self.actor.clone(),
            action,
            targets,
            outcome: error.audit_outcome(),
            purpose,
        };
        let (keys, vault_id) = (&self.ring, &self.vault_id);
        // If even this fails (a broken chain), the original error is what matters.
        let _ = self.store.transaction(|tx| -> Result<()> {
            Ok(Chain::new(keys, vault_id).append(tx, &[draft])?)
        });
    }

    /// Sets a new passphrase: rewraps the root secret, nothing else changes. Keeps the
    /// keyslot's KDF parameters unless `params` is given. Both passphrases are taken in
    /// their [`crate::crypto::keyslot::normalize_passphrase`] form (the current one as given too, for a
    /// keyslot sealed before passphrases were normalized).
    pub fn change_passphrase(
        &mut self,
        current: &SecretString,
        new: &SecretString,
        params: Option<KdfParams>,
    ) -> Result<()> {
        let slot_name = self.passphrase_slot.clone();
        let slot = self.store.keyslot(&slot_name)?;
        let params = match params {
            Some(p) => p,
            None => keyslot::params_of(&slot).unwrap_or_default(),
        };
        // Reopen rather than keep the root secret around for the whole session.
        let (root, _) = keyslot::open(current, &slot).map_err(|source| match source {
            KeyslotError::WrongSecret => Error::WrongPassphrase,
            source => Error::Keyslot {
                slot: PASSPHRASE_SLOT,
                source,
            },
        })?;
        let sealed = keyslot::seal(new, params, &root).map_err(|source| Error::Keyslot {
            slot: PASSPHRASE_SLOT,
            source,
        })?;
        self.access(Action::VaultPasswd, |a| {
            a.write_keyslot(&slot_name, &sealed)
        })
    }
}
