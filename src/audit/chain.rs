//! The chain as stored: appending events after the sealed head, walking every event
//! in order, and reading the head back. The one place that does each of these: the
//! session's gate appends through [`Chain::append`], `audit verify` and the rollback
//! check walk through [`Chain::verify_events`], and every check of the sealed head is
//! [`head_matches`](super::head_matches).

use rayon::prelude::*;
use serde::Serialize;
use zeroize::Zeroizing;

use super::EventKeys;
use super::verify::{CheckedEvents, Verifier, check_events};
use super::{
    Action, AuditEvent, Outcome, Target, chain_mac, genesis, head_matches, open_head, seal_head,
    stored_mac,
};
use crate::base::EventTime;
use crate::crypto::keys::VaultKeys;
use crate::crypto::record::{self, IntegrityError};
use crate::store::scan;
use crate::store::{AuditRow, StoreError, Transaction};

/// The name of the sealed head among the vault's named values.
pub(crate) const AUDIT_HEAD: &str = "audit_head";

/// Audit rows checked at a time by a walk: bounded, since one event can list a whole
/// vault's notes (a search's reads).
const CHUNK: usize = 1024;

/// Why the chain could not be appended to or read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ChainError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The last event does not match the sealed head: appending would hide a
    /// truncation.
    #[error("the audit trail's last event does not match its sealed head")]
    HeadMismatch,
    /// An event could not be serialized.
    #[error("cannot serialize: {0}")]
    Unserializable(serde_json::Error),
    /// An event's details failed to decrypt.
    #[error(transparent)]
    Integrity(#[from] IntegrityError),
    /// An event's details decrypted but are not an event.
    #[error("{record} is malformed")]
    Malformed {
        /// The event's record.
        record: String,
    },
}

type Result<T> = std::result::Result<T, ChainError>;

/// An event before it is sealed and chained.
pub(crate) struct EventDraft {
    pub(crate) at: EventTime,
    pub(crate) actor: String,
    pub(crate) action: Action,
    pub(crate) targets: Vec<Target>,
    pub(crate) outcome: Outcome,
    pub(crate) purpose: Option<String>,
}

/// An event sealed as the `seq`th of the chain, not yet chained.
struct SealedEvent {
    seq: u64,
    details: Vec<u8>,
}

/// One vault's chain, under its keys.
#[derive(Clone, Copy)]
pub(crate) struct Chain<'k> {
    #[allow(dead_code, reason = "the signed chain that reads it is not merged yet")]
    events: &'k dyn EventKeys,
    keys: &'k VaultKeys,
    vault_id: &'k [u8],
}

impl<'k> Chain<'k> {
    pub(crate) fn new(events: &'k dyn EventKeys, vault_id: &'k [u8]) -> Self {
        // Until events are signed, the chain is the pre-practice one.
        let keys = events.legacy().expect("a session holds the chain's keys");
        Chain {
            events,
            keys,
            vault_id,
        }
    }

    /// The sequence number and MAC the next event chains from, or `None` when the
    /// last event does not match the sealed head.
    fn tip(&self, tx: &dyn Transaction) -> Result<Option<(u64, [u8; 32])>> {
        Ok(match (tx.last_audit()?, tx.meta(AUDIT_HEAD)?) {
            (None, None) => Some((0, genesis(&self.keys.audit, self.vault_id))),
            (Some(last), Some(head)) => {
                head_matches(&self.keys.audit, Some(&head), last.seq, &last.mac)
                    .then(|| (last.seq, stored_mac(&last)))
            }
            _ => None,
        })
    }

    /// True when the chain's last event matches the sealed head, so an event may follow.
    pub(crate) fn accepts_events(&self, tx: &dyn Transaction) -> Result<bool> {
        Ok(self.tip(tx)?.is_some())
    }

    /// Seals `drafts` (on every core when there are several), chains them in order
    /// after the tip and seals the new head, all in `tx`. Refuses when the chain's last
    /// event does not match the sealed head.
    pub(crate) fn append(&self, tx: &dyn Transaction, drafts: &[EventDraft]) -> Result<()> {
        if drafts.is_empty() {
            return Ok(());
        }
        let (mut seq, mut prev) = self.tip(tx)?.ok_or(ChainError::HeadMismatch)?;
        let first = seq + 1;
        let sealed: Vec<SealedEvent> = drafts
            .par_iter()
            .enumerate()
            .map(|(i, draft)| self.seal(first + i as u64, draft))
            .collect::<Result<_>>()?;
        for event in sealed {
            debug_assert_eq!(event.seq, seq + 1, "events are sealed in chain order");
            let mac = chain_mac(&self.keys.audit, &prev, event.seq, &event.details);
            tx.append_audit(&AuditRow {
                seq: event.seq,
                mac: mac.to_vec(),
                details: event.details,
                signer: None,
                signature: None,
                writes: None,
            })?;
            (seq, prev) = (event.seq, mac);
        }
        tx.set_meta(AUDIT_HEAD, &seal_head(&self.keys.audit, seq, &prev))?;
        Ok(())
    }

    fn seal(&self, seq: u64, draft: &EventDraft) -> Result<SealedEvent> {
        /// An [`AuditEvent`] as it is written, borrowing the draft: an event can list a
        /// whole vault's notes, and this way they are not copied to be written.
        #[derive(Serialize)]
        struct EventView<'a> {
            seq: u64,
            at: EventTime,
            actor: &'a str,
            action: &'a Action,
            targets: &'a [Target],
            outcome: &'a Outcome,
            #[serde(skip_serializing_if = "Option::is_none")]
            purpose: Option<&'a str>,
        }
        let plain: Zeroizing<Vec<u8>> = record::to_json(&EventView {
            seq,
            at: draft.at,
            actor: &draft.actor,
            action: &draft.action,
            targets: &draft.targets,
            outcome: &draft.outcome,
            purpose: draft.purpose.as_deref(),
        })
        .map_err(ChainError::Unserializable)?;
        let details = record::seal(&self.keys.records, &AuditEvent::reference(seq), &plain);
        Ok(SealedEvent { seq, details })
    }

    /// Every event in order, a chunk at a time, each checked on its own (its MAC
    /// chains from the one stored before it, its write targets read) on every core
    /// while the next chunk is read; `visit` takes the chunks in order. Memory is
    /// bounded by a chunk, not the trail.
    fn walk<E: From<StoreError>>(
        &self,
        tx: &dyn Transaction,
        mut visit: impl FnMut(CheckedEvents) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let keys = self.keys;
        let mut prev = genesis(&keys.audit, self.vault_id);
        scan::overlapped(
            |next| {
                tx.audit_rows_chunked(CHUNK, |rows| {
                    let chunk_prev = prev;
                    prev = rows.last().map_or(prev, stored_mac);
                    next((chunk_prev, rows))
                })
            },
            |(prev, rows)| check_events(&keys.audit, prev, rows, |row| self.open_writes(row)),
            &mut visit,
        )
    }

    /// Walks the whole chain through a [`Verifier`] and checks the sealed head: what
    /// `audit verify` does first, and what the rollback check relies on.
    pub(crate) fn verify_events<E: From<StoreError>>(
        &self,
        tx: &dyn Transaction,
        verifier: &mut Verifier<'_>,
    ) -> std::result::Result<(), E> {
        self.walk(tx, |checked| -> std::result::Result<(), E> {
            verifier.events(checked);
            Ok(())
        })?;
        verifier.head(tx.meta(AUDIT_HEAD)?.as_deref());
        Ok(())
    }

    /// Every event, oldest first, decrypted.
    pub(crate) fn events(&self, tx: &dyn Transaction) -> Result<Vec<AuditEvent>> {
        let mut events = Vec::new();
        tx.audit_rows_chunked(CHUNK, |rows| -> Result<()> {
            let opened: Vec<AuditEvent> = rows
                .par_iter()
                .map(|row| self.open(row))
                .collect::<Result<_>>()?;
            events.extend(opened);
            Ok(())
        })?;
        Ok(events)
    }

    /// The anchor of the chain as it stands: its sealed head, shortened.
    pub(crate) fn anchor(&self, tx: &dyn Transaction) -> Result<String> {
        let head = tx.meta(AUDIT_HEAD)?.ok_or(ChainError::HeadMismatch)?;
        let (seq, mac) = open_head(&self.keys.audit, &head).ok_or(ChainError::HeadMismatch)?;
        Ok(super::anchor(seq, &mac))
    }

    /// Decrypts one event's details.
    fn open(&self, row: &AuditRow) -> Result<AuditEvent> {
        let reference = AuditEvent::reference(row.seq);
        let plain = record::open(&self.keys.records, &reference, &row.details)?;
        serde_json::from_slice(&plain).map_err(|_| ChainError::Malformed {
            record: reference.to_string(),
        })
    }

    /// Decrypts one event's details and reads only its write targets.
    fn open_writes(&self, row: &AuditRow) -> Option<Vec<Target>> {
        let plain = record::open(
            &self.keys.records,
            &AuditEvent::reference(row.seq),
            &row.details,
        )
        .ok()?;
        super::write_targets(&plain)
    }
}
