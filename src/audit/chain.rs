//! The chain as stored: appending events after the sealed head, walking every event
//! in order, and reading the head back. The one place that does each of these: the
//! session's gate appends through [`Chain::append`], `audit verify` and the rollback
//! check walk through [`Chain::verify_events`], and every check of the sealed head is
//! [`head_matches`].

use ed25519_dalek::Signer;
use rayon::prelude::*;
use serde::Serialize;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::verify::{CheckedEvents, Verifier, check_events};
use super::{
    Action, AuditEvent, EventKeys, Outcome, Target, head_matches, open_head, seal_signed_head,
    signed_chain_value, signed_genesis, stored_mac, writes_reference,
};
use crate::base::EventTime;
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

/// How the stored chain stands to a pinned event ([`Chain::extends`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Extension {
    /// It holds the pinned event and extends it properly up to `head`.
    Extends {
        /// The last event's sequence number.
        head: u64,
    },
    /// It ends before the pinned event, at `last` (0: no event at all).
    Shorter {
        /// The last event's sequence number.
        last: u64,
    },
    /// The pinned event's place holds another event.
    Differs,
    /// Events up to the pinned one were removed.
    Thinned,
    /// After the pinned event, this one is missing, out of order, altered or not
    /// signed by the member it names.
    BrokenAt(u64),
}

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
    writes: Vec<u8>,
}

/// The events a member may read, oldest first, and how many others there are.
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    /// The events whose details this member can read.
    pub(crate) events: Vec<AuditEvent>,
    /// Events not shown: their details are sealed for the members whose role reviews
    /// the trail (or, for events written before the vault was a practice, under keys
    /// this member does not hold).
    pub(crate) hidden: u64,
}

/// One vault's chain, under a member's keys.
#[derive(Clone, Copy)]
pub(crate) struct Chain<'k> {
    keys: &'k dyn EventKeys,
    vault_id: &'k [u8],
}

impl<'k> Chain<'k> {
    pub(crate) fn new(keys: &'k dyn EventKeys, vault_id: &'k [u8]) -> Self {
        Chain { keys, vault_id }
    }

    /// The sequence number and chain value the next event chains from, or `None` when
    /// the last event does not match the head.
    fn tip(&self, tx: &dyn Transaction) -> Result<Option<(u64, [u8; 32])>> {
        Ok(match (tx.last_audit()?, tx.meta(AUDIT_HEAD)?) {
            (None, None) => Some((0, signed_genesis(self.vault_id))),
            (Some(last), Some(head)) => head_matches(
                self.keys,
                Some(&head),
                last.seq,
                &last.mac,
                last.signer.as_deref(),
            )
            .then(|| (last.seq, stored_mac(&last))),
            _ => None,
        })
    }

    /// True when the chain's last event matches the head, so an event may follow.
    pub(crate) fn accepts_events(&self, tx: &dyn Transaction) -> Result<bool> {
        Ok(self.tip(tx)?.is_some())
    }

    /// Seals `drafts` (on every core when there are several), chains them in order
    /// after the tip, signs them (on every core) and signs the new head, all in `tx`.
    /// Refuses when the chain's last event does not match the head.
    pub(crate) fn append(&self, tx: &dyn Transaction, drafts: &[EventDraft]) -> Result<()> {
        if drafts.is_empty() {
            return Ok(());
        }
        let (signer, key) = self.keys.signer();
        let (mut seq, mut prev) = self.tip(tx)?.ok_or(ChainError::HeadMismatch)?;
        let first = seq + 1;
        let sealed: Vec<SealedEvent> = drafts
            .par_iter()
            .enumerate()
            .map(|(i, draft)| self.seal(first + i as u64, signer, draft))
            .collect::<Result<_>>()?;
        let mut values = Vec::with_capacity(sealed.len());
        for event in &sealed {
            debug_assert_eq!(event.seq, seq + 1, "events are sealed in chain order");
            let value = signed_chain_value(&prev, event.seq, signer, &event.details, &event.writes);
            values.push(value);
            (seq, prev) = (event.seq, value);
        }
        let signatures: Vec<ed25519_dalek::Signature> =
            values.par_iter().map(|value| key.sign(value)).collect();
        for ((event, value), signature) in sealed.into_iter().zip(&values).zip(signatures) {
            tx.append_audit(&AuditRow {
                seq: event.seq,
                mac: value.to_vec(),
                details: event.details,
                signer: Some(signer.to_owned()),
                signature: Some(signature.to_bytes().to_vec()),
                writes: Some(event.writes),
            })?;
        }
        tx.set_meta(AUDIT_HEAD, &seal_signed_head(seq, &prev, signer, key))?;
        Ok(())
    }

    fn seal(&self, seq: u64, signer: &str, draft: &EventDraft) -> Result<SealedEvent> {
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
            member: &'a str,
        }
        let plain: Zeroizing<Vec<u8>> = record::to_json(&EventView {
            seq,
            at: draft.at,
            actor: &draft.actor,
            action: &draft.action,
            targets: &draft.targets,
            outcome: &draft.outcome,
            purpose: draft.purpose.as_deref(),
            member: signer,
        })
        .map_err(ChainError::Unserializable)?;
        let details = self.keys.seal_details(&AuditEvent::reference(seq), &plain);
        let writes: Vec<&Target> = draft
            .targets
            .iter()
            .filter(|t| t.access.changes())
            .collect();
        // The member is named here too, where every member can read it: a re-signed
        // event is caught by all, not only by those who read its details.
        let writes = record::to_json(&super::WriteList {
            member: signer,
            writes,
        })
        .map_err(ChainError::Unserializable)?;
        let writes = self.keys.seal_writes(&writes_reference(seq), &writes);
        Ok(SealedEvent {
            seq,
            details,
            writes,
        })
    }

    /// Every event in order, a chunk at a time, each checked on its own (its chain
    /// value follows from the one stored before it, its signature, its write targets
    /// read) on every core while the next chunk is read; `visit` takes the chunks in
    /// order. Memory is bounded by a chunk, not the trail.
    fn walk<E: From<StoreError>>(
        &self,
        tx: &dyn Transaction,
        mut visit: impl FnMut(CheckedEvents) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let (keys, vault_id) = (self.keys, self.vault_id);
        // The chain value stored before the next chunk; `None` at the chain's start.
        let mut prev: Option<[u8; 32]> = None;
        scan::overlapped(
            |next| {
                tx.audit_rows_chunked(CHUNK, |rows| {
                    let chunk_prev = prev;
                    prev = rows.last().map(stored_mac).or(prev);
                    next((chunk_prev, rows))
                })
            },
            |(prev, rows)| check_events(keys, vault_id, prev, rows),
            &mut visit,
        )
    }

    /// Whether the stored chain extends the event `seq` whose chain value was `value`
    /// (a pin): the row `seq` holds `value`, and every row after it is the next one,
    /// chains from the one before it and is signed by the member it names. Reads the
    /// rows after the pin only.
    pub(crate) fn extends(
        &self,
        tx: &dyn Transaction,
        seq: u64,
        value: &[u8; 32],
    ) -> Result<Extension> {
        let last = tx.last_audit()?.map_or(0, |row| row.seq);
        if last < seq {
            return Ok(Extension::Shorter { last });
        }
        if seq > 0 {
            let pinned = tx.audit_rows_after(Some(seq - 1), 1, usize::MAX)?;
            let same = pinned.first().is_some_and(|row| {
                row.seq == seq && bool::from(row.mac.as_slice().ct_eq(value.as_slice()))
            });
            if !same {
                return Ok(Extension::Differs);
            }
            // Every event up to the pinned one is still there (one removed before
            // it leaves a gap: the rows are numbered from 1 without one).
            if tx.count_audit_upto(seq)? != seq {
                return Ok(Extension::Thinned);
            }
        }
        let (mut after, mut prev) = (seq, *value);
        loop {
            let rows = tx.audit_rows_after(Some(after), CHUNK, crate::store::CHUNK_BYTES)?;
            if rows.is_empty() {
                return Ok(Extension::Extends { head: after });
            }
            let checked = check_events(self.keys, self.vault_id, Some(prev), rows);
            if let Some(broken) = checked.first_not_extending(after + 1) {
                return Ok(Extension::BrokenAt(broken));
            }
            (after, prev) = checked.last().expect("a chunk with rows");
        }
    }

    /// The last event's sequence number and chain value, as stored.
    pub(crate) fn last_value(&self, tx: &dyn Transaction) -> Result<Option<(u64, [u8; 32])>> {
        Ok(tx.last_audit()?.map(|row| (row.seq, stored_mac(&row))))
    }

    /// Walks the whole chain through a [`Verifier`] and checks the head: what `audit
    /// verify` does first, and what the rollback check relies on.
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

    /// Every event this member can read, oldest first, decrypted, and how many others
    /// there are (see [`EventLog::hidden`]).
    pub(crate) fn events(&self, tx: &dyn Transaction) -> Result<EventLog> {
        let mut log = EventLog::default();
        tx.audit_rows_chunked(CHUNK, |rows| -> Result<()> {
            let opened: Vec<Option<AuditEvent>> = rows
                .par_iter()
                .map(|row| self.open(row))
                .collect::<Result<_>>()?;
            for event in opened {
                match event {
                    Some(event) => log.events.push(event),
                    None => log.hidden += 1,
                }
            }
            Ok(())
        })?;
        Ok(log)
    }

    /// The anchor of the chain as it stands: its head, shortened.
    pub(crate) fn anchor(&self, tx: &dyn Transaction) -> Result<String> {
        let head = tx.meta(AUDIT_HEAD)?.ok_or(ChainError::HeadMismatch)?;
        let head = open_head(self.keys, &head).ok_or(ChainError::HeadMismatch)?;
        Ok(super::anchor(head.seq, &head.value))
    }

    /// Decrypts one event's details: `None` when this member may not read them.
    fn open(&self, row: &AuditRow) -> Result<Option<AuditEvent>> {
        let reference = AuditEvent::reference(row.seq);
        let plain = match &row.signer {
            Some(_) => self.keys.open_details(&reference, &row.details)?,
            None => match self.keys.legacy() {
                Some(legacy) => Some(record::open(&legacy.records, &reference, &row.details)?),
                None => None,
            },
        };
        plain
            .map(|plain| {
                serde_json::from_slice(&plain).map_err(|_| ChainError::Malformed {
                    record: reference.to_string(),
                })
            })
            .transpose()
    }
}
