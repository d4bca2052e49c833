//! Audit events: sealing an event, chaining it after the last one, and sealing the
//! chain's head, in the transaction of the operation it records.

use serde::Serialize;
use subtle::ConstantTimeEq;

use super::AUDIT_HEAD;
use super::seal::{open_sealed, to_json};
use crate::audit::{self, AuditEvent, Target};
use crate::base::EventTime;
use crate::crypto::keys::VaultKeys;
use crate::crypto::record;
use crate::error::Error;
use crate::store::{AuditRow, Tx};

type Result<T> = std::result::Result<T, Error>;

/// An event before it is sealed and chained.
pub(super) struct EventDraft {
    pub(super) at: EventTime,
    pub(super) actor: String,
    pub(super) action: String,
    pub(super) targets: Vec<Target>,
    pub(super) outcome: String,
    pub(super) purpose: Option<String>,
}

/// True when the chain's last event matches the sealed head, so an event may follow.
pub(super) fn chain_accepts_events(tx: &Tx<'_>, keys: &VaultKeys, vault_id: &[u8]) -> Result<bool> {
    Ok(chain_tip(tx, keys, vault_id)?.is_some())
}

/// The sequence number and MAC the next event chains from, or `None` when the last
/// event does not match the sealed head.
pub(super) fn chain_tip(
    tx: &Tx<'_>,
    keys: &VaultKeys,
    vault_id: &[u8],
) -> Result<Option<(u64, [u8; 32])>> {
    let last = tx.last_audit()?;
    let head = tx.meta(AUDIT_HEAD)?;
    Ok(match (&last, head) {
        (None, None) => Some((0, audit::genesis(&keys.audit, vault_id))),
        (Some(last), Some(head)) => match audit::open_head(&keys.audit, &head) {
            Some((seq, mac)) if seq == last.seq && bool::from(mac.ct_eq(&last.mac[..])) => {
                Some((seq, mac))
            }
            _ => None,
        },
        _ => None,
    })
}

/// Seals an event and appends it to the chain, refusing if the chain's last event
/// does not match the sealed head (appending would hide a truncation).
pub(super) fn append_event(
    tx: &Tx<'_>,
    keys: &VaultKeys,
    vault_id: &[u8],
    draft: EventDraft,
) -> Result<()> {
    let tip = chain_tip(tx, keys, vault_id)?.ok_or(Error::AuditHeadMismatch)?;
    let sealed = seal_event(keys, tip.0 + 1, &draft)?;
    let tip = chain_event(tx, keys, tip, sealed)?;
    seal_chain_head(tx, keys, tip)
}

/// An event sealed as the `seq`th of the chain, not yet chained.
pub(super) struct SealedEvent {
    seq: u64,
    details: Vec<u8>,
}

pub(super) fn seal_event(keys: &VaultKeys, seq: u64, draft: &EventDraft) -> Result<SealedEvent> {
    /// An [`AuditEvent`] as it is written, borrowing the draft: an event can list a
    /// whole vault's notes, and this way they are not copied to be written.
    #[derive(Serialize)]
    struct EventView<'a> {
        seq: u64,
        at: EventTime,
        actor: &'a str,
        action: &'a str,
        targets: &'a [Target],
        outcome: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        purpose: Option<&'a str>,
    }
    let plain = to_json(&EventView {
        seq,
        at: draft.at,
        actor: &draft.actor,
        action: &draft.action,
        targets: &draft.targets,
        outcome: &draft.outcome,
        purpose: draft.purpose.as_deref(),
    })?;
    let details = record::seal(&keys.records, &AuditEvent::reference(seq), &plain);
    Ok(SealedEvent { seq, details })
}

/// Appends a sealed event after the chain's tip `(seq, mac)`; returns the new tip.
pub(super) fn chain_event(
    tx: &Tx<'_>,
    keys: &VaultKeys,
    (last_seq, prev): (u64, [u8; 32]),
    event: SealedEvent,
) -> Result<(u64, [u8; 32])> {
    debug_assert_eq!(event.seq, last_seq + 1, "events are sealed in chain order");
    let mac = audit::chain_mac(&keys.audit, &prev, event.seq, &event.details);
    tx.append_audit(&AuditRow {
        seq: event.seq,
        mac: mac.to_vec(),
        details: event.details,
    })?;
    Ok((event.seq, mac))
}

/// Seals the chain's head at its tip, in the transaction that appended the events.
pub(super) fn seal_chain_head(
    tx: &Tx<'_>,
    keys: &VaultKeys,
    (seq, mac): (u64, [u8; 32]),
) -> Result<()> {
    tx.set_meta(AUDIT_HEAD, &audit::seal_head(&keys.audit, seq, &mac))?;
    Ok(())
}

/// Decrypts one audit event's details and reads only its write targets.
pub(super) fn open_event_writes(keys: &VaultKeys, row: &AuditRow) -> Option<Vec<Target>> {
    let plain = record::open(&keys.records, &AuditEvent::reference(row.seq), &row.details).ok()?;
    audit::write_targets(&plain)
}

/// Decrypts one audit event's details.
pub(super) fn open_event(keys: &VaultKeys, row: &AuditRow) -> Result<AuditEvent> {
    open_sealed(keys, &AuditEvent::reference(row.seq), &row.details)
}
