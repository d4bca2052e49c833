//! The audit trail: one event per operation, in a keyed MAC chain with a sealed head.
//!
//! Each row holds the event's sequence number, its chain MAC and its details sealed as
//! a record (`audit-event <seq> version 1`), so times, actors and targets are as
//! hidden as the records themselves. The chain:
//!
//! ```text
//! mac[0]   = HMAC(audit key, "genesis" || vault id)
//! mac[n]   = HMAC(audit key, "event" || mac[n-1] || n || SHA-256(sealed details[n]))
//! head     = n || mac[n] || HMAC(audit key, "head" || n || mac[n])   (in meta)
//! anchor   = "n-" || hex(mac[n][..16])                               (kept outside)
//! ```
//!
//! Invariant: this module computes and checks MACs over rows it is given; it runs
//! no SQL of its own and never sees a plaintext record.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use rayon::prelude::*;
use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::record::{RecordKind, RecordRef};
use crate::store::{AuditRow, RecordRow};

type HmacSha256 = Hmac<Sha256>;

/// The target kind of a keyslot write (keyslots are not records, but their writes
/// are audited the same way).
pub(crate) const KEYSLOT_TARGET: &str = "keyslot";

/// How an operation touched a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetAccess {
    /// The record was decrypted.
    Read,
    /// The record was written; the event keeps its ciphertext's digest.
    Write,
}

/// A record an event touched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The record's kind (`client`, `note`).
    pub kind: String,
    /// The record's identifier.
    pub id: String,
    /// The version touched.
    pub version: u32,
    /// Read or write.
    pub access: TargetAccess,
    /// For writes: SHA-256 of the ciphertext written, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// One audit event, as decrypted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who (the operating-system user, or `unknown` for failed unlocks).
    pub actor: String,
    /// What, e.g. `note.show`.
    pub action: String,
    /// The records touched.
    pub targets: Vec<Target>,
    /// `ok`, or `failed: <reason>`.
    pub outcome: String,
    /// The purpose given for the access, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
}

impl AuditEvent {
    /// The reference the event's details are sealed under.
    pub(crate) fn reference(seq: u64) -> RecordRef {
        RecordRef::new(RecordKind::AuditEvent, seq.to_string(), 1)
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(bytes))
}

fn mac(key: &SecretBox<[u8; 32]>, parts: &[&[u8]]) -> [u8; 32] {
    let mut m =
        HmacSha256::new_from_slice(key.expose_secret()).expect("HMAC takes a key of any length");
    for part in parts {
        m.update(&(part.len() as u64).to_be_bytes());
        m.update(part);
    }
    m.finalize().into_bytes().into()
}

pub(crate) fn genesis(key: &SecretBox<[u8; 32]>, vault_id: &[u8]) -> [u8; 32] {
    mac(key, &[b"genesis", vault_id])
}

pub(crate) fn chain_mac(
    key: &SecretBox<[u8; 32]>,
    prev: &[u8],
    seq: u64,
    details: &[u8],
) -> [u8; 32] {
    mac(
        key,
        &[b"event", prev, &seq.to_be_bytes(), &Sha256::digest(details)],
    )
}

/// The sealed head: sequence number, MAC, and a MAC over both.
pub(crate) fn seal_head(key: &SecretBox<[u8; 32]>, seq: u64, event_mac: &[u8]) -> Vec<u8> {
    let seal = mac(key, &[b"head", &seq.to_be_bytes(), event_mac]);
    let mut out = Vec::with_capacity(8 + 32 + 32);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(event_mac);
    out.extend_from_slice(&seal);
    out
}

/// Reads a sealed head, checking its seal; `None` when it does not verify.
pub(crate) fn open_head(key: &SecretBox<[u8; 32]>, head: &[u8]) -> Option<(u64, [u8; 32])> {
    if head.len() != 72 {
        return None;
    }
    let seq = u64::from_be_bytes(head[..8].try_into().ok()?);
    let event_mac: [u8; 32] = head[8..40].try_into().ok()?;
    let expected = mac(key, &[b"head", &seq.to_be_bytes(), &event_mac]);
    bool::from(expected.ct_eq(&head[40..])).then_some((seq, event_mac))
}

/// The short digest printed by `audit anchor`.
pub(crate) fn anchor(seq: u64, event_mac: &[u8]) -> String {
    format!("{seq}-{}", data_encoding::HEXLOWER.encode(&event_mac[..16]))
}

/// Something `audit verify` found wrong. Each names the event or record involved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum VerifyFinding {
    /// An event's MAC does not follow from the one before it.
    EventAltered {
        /// The event's sequence number.
        seq: u64,
    },
    /// Sequence numbers skip: events were removed.
    EventsMissing {
        /// The first missing sequence number.
        from: u64,
        /// The last missing sequence number.
        to: u64,
    },
    /// An event's details do not decrypt.
    EventUnreadable {
        /// The event's sequence number.
        seq: u64,
    },
    /// The sealed head does not verify or does not match the last event.
    HeadMismatch {
        /// The sequence number of the last event present.
        last_seq: u64,
    },
    /// The log does not extend the given anchor.
    AnchorNotExtended {
        /// The anchor's sequence number.
        seq: u64,
    },
    /// A record's ciphertext is not the one its last audited write produced.
    RecordChanged {
        /// The record.
        record: String,
    },
    /// A record has an audited write but is gone.
    RecordMissing {
        /// The record.
        record: String,
    },
    /// A record exists that no audited write produced.
    RecordUnaudited {
        /// The record.
        record: String,
    },
}

impl std::fmt::Display for VerifyFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerifyFinding::EventAltered { seq } => write!(
                f,
                "audit event {seq} has been altered, reordered or inserted (its MAC does not chain)"
            ),
            VerifyFinding::EventsMissing { from, to } if from == to => {
                write!(f, "audit event {from} is missing")
            }
            VerifyFinding::EventsMissing { from, to } => {
                write!(f, "audit events {from} to {to} are missing")
            }
            VerifyFinding::EventUnreadable { seq } => {
                write!(f, "audit event {seq} failed its integrity check")
            }
            VerifyFinding::HeadMismatch { last_seq } => write!(
                f,
                "the sealed head of the audit trail does not match its last event ({last_seq}): events were removed or the head was altered"
            ),
            VerifyFinding::AnchorNotExtended { seq } => write!(
                f,
                "the audit trail does not extend the anchor at event {seq}: it was truncated or rolled back"
            ),
            VerifyFinding::RecordChanged { record } => write!(
                f,
                "{record} is not the ciphertext its last audited write produced (replaced or rolled back)"
            ),
            VerifyFinding::RecordMissing { record } => {
                write!(
                    f,
                    "{record} was written but is gone (deleted or rolled back)"
                )
            }
            VerifyFinding::RecordUnaudited { record } => {
                write!(f, "{record} was not written by any audited operation")
            }
        }
    }
}

/// What `audit verify` found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct VerifyReport {
    /// Events checked.
    pub events: u64,
    /// Records checked.
    pub records: u64,
    /// Everything found wrong; empty when the vault is intact.
    pub findings: Vec<VerifyFinding>,
    /// The anchor of the chain as it stands.
    pub anchor: String,
}

impl VerifyReport {
    /// True when nothing was found wrong.
    pub fn is_intact(&self) -> bool {
        self.findings.is_empty()
    }
}

/// What `verify` reads from the vault.
pub(crate) struct Stored<'a> {
    /// The sealed head, if any.
    pub(crate) head: Option<&'a [u8]>,
    /// Every audit row, in order.
    pub(crate) rows: &'a [AuditRow],
    /// Every record row.
    pub(crate) records: &'a [RecordRow],
    /// Every keyslot, by name.
    pub(crate) keyslots: &'a [(String, Vec<u8>)],
}

/// Checks the chain, the head, an optional anchor, every record's ciphertext and
/// every keyslot. `open_event` decrypts one event's details.
pub(crate) fn verify(
    key: &SecretBox<[u8; 32]>,
    vault_id: &[u8],
    stored: Stored<'_>,
    anchor_given: Option<(u64, Vec<u8>)>,
    open_event: impl Fn(&AuditRow) -> Option<AuditEvent> + Sync,
) -> VerifyReport {
    let Stored {
        head,
        rows,
        records,
        keyslots,
    } = stored;
    let mut report = VerifyReport {
        events: rows.len() as u64,
        records: records.len() as u64,
        ..VerifyReport::default()
    };
    let mut prev = genesis(key, vault_id);
    let mut expected_seq = 1u64;
    let mut last_writes: BTreeMap<RecordRef, String> = BTreeMap::new();
    let mut keyslot_writes: BTreeMap<String, String> = BTreeMap::new();
    let mut anchor_ok = false;
    // Decrypting is the costly part and each event stands alone: do it on every core,
    // then walk the chain in order.
    let events: Vec<Option<AuditEvent>> = rows.par_iter().map(&open_event).collect();
    for (row, event) in rows.iter().zip(events) {
        if row.seq != expected_seq {
            if row.seq > expected_seq {
                report.findings.push(VerifyFinding::EventsMissing {
                    from: expected_seq,
                    to: row.seq - 1,
                });
            } else {
                report
                    .findings
                    .push(VerifyFinding::EventAltered { seq: row.seq });
            }
        }
        let computed = chain_mac(key, &prev, row.seq, &row.details);
        if !bool::from(computed.ct_eq(&row.mac[..])) {
            report
                .findings
                .push(VerifyFinding::EventAltered { seq: row.seq });
        }
        if let Some((seq, prefix)) = &anchor_given
            && *seq == row.seq
            && prefix.len() == 16
        {
            anchor_ok = bool::from(row.mac.get(..16).unwrap_or(&[]).ct_eq(prefix));
        }
        match event {
            Some(event) => {
                for t in event.targets {
                    if t.kind == KEYSLOT_TARGET
                        && let (TargetAccess::Write, Some(digest)) = (t.access, &t.sha256)
                    {
                        keyslot_writes.insert(t.id.clone(), digest.clone());
                    }
                    if let (TargetAccess::Write, Some(digest), Some(kind)) =
                        (t.access, t.sha256, RecordKind::parse(&t.kind))
                    {
                        last_writes.insert(RecordRef::new(kind, t.id, t.version), digest);
                    }
                }
            }
            None => report
                .findings
                .push(VerifyFinding::EventUnreadable { seq: row.seq }),
        }
        // Continue from the stored MAC so one altered event is reported once.
        prev = row.mac.as_slice().try_into().unwrap_or([0u8; 32]);
        expected_seq = row.seq + 1;
    }
    let last_seq = rows.last().map_or(0, |r| r.seq);
    let head_ok = match head.and_then(|h| open_head(key, h)) {
        Some((seq, event_mac)) => seq == last_seq && bool::from(event_mac.ct_eq(&prev)),
        None => last_seq == 0 && head.is_none(),
    };
    if !head_ok {
        report
            .findings
            .push(VerifyFinding::HeadMismatch { last_seq });
    }
    if let Some((seq, _)) = anchor_given
        && !anchor_ok
    {
        report
            .findings
            .push(VerifyFinding::AnchorNotExtended { seq });
    }
    let digests: Vec<String> = records
        .par_iter()
        .map(|r| sha256_hex(&r.ciphertext))
        .collect();
    for (row, actual) in records.iter().zip(digests) {
        let name = row.reference.to_string();
        match last_writes.remove(&row.reference) {
            Some(digest) if digest == actual => {}
            Some(_) => report
                .findings
                .push(VerifyFinding::RecordChanged { record: name }),
            None => report
                .findings
                .push(VerifyFinding::RecordUnaudited { record: name }),
        }
    }
    for (name, keyslot) in keyslots {
        let record = format!("the {name} keyslot");
        match keyslot_writes.get(name) {
            Some(digest) if *digest == sha256_hex(keyslot) => {}
            Some(_) => report
                .findings
                .push(VerifyFinding::RecordChanged { record }),
            None => report
                .findings
                .push(VerifyFinding::RecordUnaudited { record }),
        }
    }
    for name in keyslot_writes.keys() {
        if !keyslots.iter().any(|(n, _)| n == name) {
            report.findings.push(VerifyFinding::RecordMissing {
                record: format!("the {name} keyslot"),
            });
        }
    }
    for reference in last_writes.into_keys() {
        report.findings.push(VerifyFinding::RecordMissing {
            record: reference.to_string(),
        });
    }
    report.anchor = anchor(last_seq, &prev);
    report
}

/// Whether `text` has the shape of an anchor printed by `audit anchor`
/// (`<event number>-<32 hex digits>`), so a caller can refuse a mistyped one early.
pub fn is_anchor(text: &str) -> bool {
    parse_anchor(text).is_some()
}

/// Parses an anchor printed by `audit anchor`: `<seq>-<32 hex digits>`.
pub(crate) fn parse_anchor(text: &str) -> Option<(u64, Vec<u8>)> {
    let (seq, hex) = text.trim().split_once('-')?;
    let seq = seq.parse().ok()?;
    let prefix = data_encoding::HEXLOWER_PERMISSIVE
        .decode(hex.as_bytes())
        .ok()?;
    (prefix.len() == 16).then_some((seq, prefix))
}
