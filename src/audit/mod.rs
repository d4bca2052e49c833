//! The audit trail: one event per operation, in a hash chain signed event by event by
//! the member who acted, with a signed head.
//!
//! Each row holds the event's sequence number, its chain value (`mac`), its details
//! sealed as a record (`audit-event <seq> version 1`, readable by the members whose
//! role reviews the trail and by the member who acted), and for a signed event the
//! signer's name, their signature and the event's write list (its write targets only,
//! sealed as `audit-event <seq>/writes version 1` for every member). Times, actors and
//! targets stay as hidden as the records themselves; any member checks the whole chain.
//!
//! A vault made before practices starts with a prefix of events chained by a keyed MAC
//! under its vault-wide audit key (no signer); every event appended since is signed,
//! and the first of them chains from the last legacy event's MAC as stored:
//!
//! ```text
//! legacy prefix (signer empty), under the vault-wide audit key:
//!   mac[0] = HMAC(audit key, "genesis" || vault id)
//!   mac[n] = HMAC(audit key, "event" || mac[n-1] || n || SHA-256(sealed details[n]))
//!
//! signed events:
//!   h[0]   = SHA-256("casevault.org/v2/genesis" || vault id)     (no legacy prefix)
//!   h[k]   = mac[k] as stored                                    (k: last legacy event)
//!   h[n]   = SHA-256("casevault.org/v2/event" || h[n-1] || n || signer
//!                    || SHA-256(sealed details[n]) || SHA-256(sealed writes[n]))
//!   sig[n] = Ed25519(signer's key, h[n])
//! ```
//!
//! Every part inside a MAC or a hash is length-prefixed (its length as a `u64`,
//! big-endian), and `n` is a big-endian `u64`. A legacy event cannot follow a signed
//! one: a row without a signer after a signed row is reported altered.
//!
//! The head (the named value `audit_head`) seals the chain's end:
//!
//! ```text
//! legacy (72 bytes):  n (8, BE) || mac[n] (32) || HMAC(audit key, "head" || n || mac[n]) (32)
//! signed (106 + s):   n (8, BE) || h[n] (32) || s (2, BE) || signer (s bytes of UTF-8, s ≥ 1)
//!                       || Ed25519(signer's key, SHA-256("casevault.org/v2/head" || n || h[n])) (64)
//! anchor:             "n-" || hex(h[n][..16])                        (kept outside)
//! ```
//!
//! The two head forms never share a length. A legacy head is accepted only when the
//! last event is a legacy one and this member holds the legacy keys; a signed head
//! only when the last event is signed, by the member the head names. Any member can
//! append, so any member could truncate the chain back to one of their own events and
//! sign its head: that is what pins and anchors kept outside the vault are for.
//!
//! A member without the legacy keys cannot check the legacy prefix: its events are
//! counted in [`VerifyReport::legacy_unchecked`] and their write targets are unknown.
//! The migration re-seals every record in a signed event, so every record's last
//! audited write is a signed one.
//!
//! [`chain`] appends, walks and reads the head of the stored chain (through the
//! storage seam, never SQL); [`verify`] is `audit verify`'s checks, which the rollback
//! check reuses.
//!
//! Invariant: this layer never sees a plaintext record other than an event's own
//! details; every append and every check of the head goes through [`chain`].

mod action;
mod outcome;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::base::{EventTime, RecordKind, RecordRef};
use crate::store::AuditRow;

mod chain;
#[cfg(test)]
mod signed_tests;
#[cfg(test)]
mod testkeys;
mod verify;

pub(crate) use chain::{Chain, ChainError, EventDraft, Extension};
pub(crate) use verify::{Verifier, digest_records};

pub use action::Action;
pub use outcome::{Failure, Outcome};

type HmacSha256 = Hmac<Sha256>;

/// The keys the chain works with, as an unlocked session holds them. The audit layer
/// seals, signs, opens and checks events only through this; it knows nothing of
/// compartments, grants or keyslots.
///
/// Every method is cheap and callable from any thread: an implementation resolves its
/// keys when the session unlocks, not per event.
pub(crate) trait EventKeys: Sync {
    /// The member appending events, and the key they sign with.
    fn signer(&self) -> (&str, &ed25519_dalek::SigningKey);
    /// The key `member` signs with, from the roster (any member ever on it: a removed
    /// member's events stay verifiable); `None` for a name never on the roster.
    fn verifying_key(&self, member: &str, seq: u64) -> Option<ed25519_dalek::VerifyingKey>;
    /// Whether `member`'s role, at event `seq`, may write a record of `kind` (or the
    /// keyslot `id`): `audit verify` refuses a signed write the role does not allow,
    /// since a compartment key seals as well as it opens.
    fn may_write(&self, member: &str, kind: &str, id: &str, seq: u64) -> bool;
    /// Whether `member`'s role, at event `seq`, may destroy a client's record
    /// (`destroy-records`): a destruction the role does not allow is refused alike.
    fn may_destroy(&self, member: &str, seq: u64) -> bool;
    /// Seals an event's details so that members whose role reviews the audit trail,
    /// and the member appending it, can read them.
    fn seal_details(&self, reference: &RecordRef, plain: &[u8]) -> Vec<u8>;
    /// Opens an event's details: `Ok(None)` when this member may not read them (they
    /// neither review the trail nor appended the event).
    fn open_details(
        &self,
        reference: &RecordRef,
        sealed: &[u8],
    ) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, crate::crypto::record::IntegrityError>;
    /// Seals an event's write list (its write targets), readable by every member.
    fn seal_writes(&self, reference: &RecordRef, plain: &[u8]) -> Vec<u8>;
    /// Opens an event's write list.
    fn open_writes(
        &self,
        reference: &RecordRef,
        sealed: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, crate::crypto::record::IntegrityError>;
    /// The keys of the vault before it became a practice, when this member holds them:
    /// events written then are MAC-chained and sealed under them.
    fn legacy(&self) -> Option<&crate::crypto::keys::VaultKeys>;
}

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
    /// Every version of the record, up to `version`, was destroyed (a client's record
    /// at the end of its retention): `audit verify` no longer expects it in the file.
    Delete,
}

impl TargetAccess {
    /// True for what changes the file (a write or a destruction): what an event's
    /// write list carries and `audit verify` checks.
    pub fn changes(self) -> bool {
        matches!(self, TargetAccess::Write | TargetAccess::Delete)
    }
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
    /// When; [`EventTime::Unreadable`] only for a failed unlock whose stored time was
    /// not a time.
    pub at: EventTime,
    /// Who (the operating-system user, or `unknown` for failed unlocks).
    pub actor: String,
    /// What, e.g. `note.show`.
    pub action: Action,
    /// The records touched.
    pub targets: Vec<Target>,
    /// How it ended: `ok`, `failed: <reason>`, or a decision's `permitted`/`denied`.
    pub outcome: Outcome,
    /// The purpose given for the access, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// The member who signed the event (`None` for events written before practices):
    /// `audit verify` checks it names the row's signer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

impl AuditEvent {
    /// The reference the event's details are sealed under.
    pub(crate) fn reference(seq: u64) -> RecordRef {
        RecordRef::new(RecordKind::AuditEvent, seq.to_string(), 1)
    }
}

/// The reference a signed event's write list is sealed under (`audit-event
/// <seq>/writes version 1`): never an event's details reference.
pub(crate) fn writes_reference(seq: u64) -> RecordRef {
    RecordRef::new(RecordKind::AuditEvent, format!("{seq}/writes"), 1)
}

/// Reads a signed event's write list (as sealed by the chain: a JSON list of its
/// write targets); `None` when it is not one.
pub(crate) fn parse_writes(plain: &[u8]) -> Option<(String, Vec<Target>)> {
    #[derive(Deserialize)]
    struct Stored {
        member: String,
        writes: Vec<Target>,
    }
    let Stored { member, mut writes } = serde_json::from_slice(plain).ok()?;
    writes.retain(|t| t.access.changes());
    Some((member, writes))
}

/// A signed event's write list as sealed for every member: who appended it, and what
/// it wrote.
#[derive(Serialize)]
pub(crate) struct WriteList<'a> {
    pub(crate) member: &'a str,
    pub(crate) writes: Vec<&'a Target>,
}

/// Reads the member an event's decrypted details name: `None` when the details are
/// not an event's, `Some(None)` when they name none.
pub(crate) fn event_member(details: &[u8]) -> Option<Option<String>> {
    #[derive(Deserialize)]
    struct Member {
        // Deserialized, not skipped, so details without one are still an event's.
        #[allow(dead_code)]
        seq: u64,
        #[serde(default)]
        member: Option<String>,
    }
    serde_json::from_slice::<Member>(details)
        .ok()
        .map(|m| m.member)
}

/// Reads an event's write targets from its decrypted details, and nothing else: what
/// `audit verify` and the rollback check need. Read targets (a search lists every
/// note it read) are passed over without being copied. `None` when the details are
/// not an event's.
pub(crate) fn write_targets(details: &[u8]) -> Option<Vec<Target>> {
    use std::borrow::Cow;

    #[derive(Deserialize)]
    struct Event {
        targets: WriteTargets,
    }

    struct WriteTargets(Vec<Target>);

    #[derive(Deserialize)]
    struct TargetRef<'a> {
        #[serde(borrow)]
        kind: Cow<'a, str>,
        #[serde(borrow)]
        id: Cow<'a, str>,
        version: u32,
        access: TargetAccess,
        #[serde(default, borrow)]
        sha256: Option<Cow<'a, str>>,
    }

    impl<'de> Deserialize<'de> for WriteTargets {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Visit;
            impl<'de> serde::de::Visitor<'de> for Visit {
                type Value = WriteTargets;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a list of targets")
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> Result<WriteTargets, A::Error> {
                    let mut writes = Vec::new();
                    while let Some(t) = seq.next_element::<TargetRef<'de>>()? {
                        if t.access.changes() {
                            writes.push(Target {
                                kind: t.kind.into_owned(),
                                id: t.id.into_owned(),
                                version: t.version,
                                access: t.access,
                                sha256: t.sha256.map(Cow::into_owned),
                            });
                        }
                    }
                    Ok(WriteTargets(writes))
                }
            }
            d.deserialize_seq(Visit)
        }
    }

    serde_json::from_slice::<Event>(details)
        .ok()
        .map(|e| e.targets.0)
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(bytes))
}

/// SHA-256 of length-prefixed parts, as [`mac`] does for HMAC.
fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}

const SIGNED_GENESIS: &[u8] = b"casevault.org/v2/genesis";
const SIGNED_EVENT: &[u8] = b"casevault.org/v2/event";
const SIGNED_HEAD: &[u8] = b"casevault.org/v2/head";

/// `h[0]` of a chain with no legacy prefix.
pub(crate) fn signed_genesis(vault_id: &[u8]) -> [u8; 32] {
    hash(&[SIGNED_GENESIS, vault_id])
}

/// `h[n]` of a signed event, from the chain value stored before it.
pub(crate) fn signed_chain_value(
    prev: &[u8],
    seq: u64,
    signer: &str,
    details: &[u8],
    writes: &[u8],
) -> [u8; 32] {
    hash(&[
        SIGNED_EVENT,
        prev,
        &seq.to_be_bytes(),
        signer.as_bytes(),
        &Sha256::digest(details),
        &Sha256::digest(writes),
    ])
}

/// What a signed head's signature signs.
fn signed_head_digest(seq: u64, value: &[u8]) -> [u8; 32] {
    hash(&[SIGNED_HEAD, &seq.to_be_bytes(), value])
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

/// A check that a key is this vault's: a MAC of the vault's identifier, kept beside
/// the keyslots so that unlocking with a keyslot copied from another vault fails there.
pub(crate) fn key_check(key: &SecretBox<[u8; 32]>, vault_id: &[u8]) -> [u8; 32] {
    mac(key, &[b"key-check", vault_id])
}

/// Whether `stored` is this key's check for this vault (compared in constant time).
pub(crate) fn key_check_matches(key: &SecretBox<[u8; 32]>, vault_id: &[u8], stored: &[u8]) -> bool {
    bool::from(key_check(key, vault_id).ct_eq(stored))
}

/// `mac[0]` of a legacy chain.
pub(crate) fn legacy_genesis(key: &SecretBox<[u8; 32]>, vault_id: &[u8]) -> [u8; 32] {
    mac(key, &[b"genesis", vault_id])
}

/// `mac[n]` of a legacy event, from the MAC stored before it.
pub(crate) fn legacy_chain_mac(
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

/// A legacy head: sequence number, MAC, and a MAC over both (72 bytes). Only
/// written by vaults before practices (and by the tests that stand for them).
#[cfg(test)]
pub(crate) fn seal_legacy_head(key: &SecretBox<[u8; 32]>, seq: u64, event_mac: &[u8]) -> Vec<u8> {
    let seal = mac(key, &[b"head", &seq.to_be_bytes(), event_mac]);
    let mut out = Vec::with_capacity(LEGACY_HEAD_LEN);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(event_mac);
    out.extend_from_slice(&seal);
    out
}

const LEGACY_HEAD_LEN: usize = 8 + 32 + 32;

/// Reads a legacy head, checking its seal; `None` when it does not verify.
fn open_legacy_head(key: &SecretBox<[u8; 32]>, head: &[u8]) -> Option<(u64, [u8; 32])> {
    if head.len() != LEGACY_HEAD_LEN {
        return None;
    }
    let seq = u64::from_be_bytes(head[..8].try_into().ok()?);
    let event_mac: [u8; 32] = head[8..40].try_into().ok()?;
    let expected = mac(key, &[b"head", &seq.to_be_bytes(), &event_mac]);
    bool::from(expected.ct_eq(&head[40..])).then_some((seq, event_mac))
}

/// The signed head of a chain whose last event is the `seq`th, with chain value
/// `value`, appended by `signer` (see the module's layout).
pub(crate) fn seal_signed_head(
    seq: u64,
    value: &[u8; 32],
    signer: &str,
    key: &ed25519_dalek::SigningKey,
) -> Vec<u8> {
    use ed25519_dalek::Signer;
    let name = signer.as_bytes();
    let name_len = u16::try_from(name.len()).expect("a member's name is short");
    let signature = key.sign(&signed_head_digest(seq, value));
    let mut out = Vec::with_capacity(8 + 32 + 2 + name.len() + 64);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(value);
    out.extend_from_slice(&name_len.to_be_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&signature.to_bytes());
    out
}

/// A head as read and checked: the chain's last event, its chain value, and who
/// signed the head (`None` for a legacy head).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Head {
    pub(crate) seq: u64,
    pub(crate) value: [u8; 32],
    pub(crate) signer: Option<String>,
}

/// Reads a signed head, checking its signature against the roster.
fn open_signed_head(keys: &dyn EventKeys, head: &[u8]) -> Option<Head> {
    let seq = u64::from_be_bytes(head.get(..8)?.try_into().ok()?);
    let value: [u8; 32] = head.get(8..40)?.try_into().ok()?;
    let name_len = u16::from_be_bytes(head.get(40..42)?.try_into().ok()?) as usize;
    if name_len == 0 || head.len() != 42 + name_len + 64 {
        return None;
    }
    let signer = std::str::from_utf8(&head[42..42 + name_len]).ok()?;
    let signature = ed25519_dalek::Signature::from_slice(&head[42 + name_len..]).ok()?;
    keys.verifying_key(signer, seq)?
        .verify_strict(&signed_head_digest(seq, &value), &signature)
        .ok()?;
    Some(Head {
        seq,
        value,
        signer: Some(signer.to_owned()),
    })
}

/// Reads a head, checking it: a legacy head needs the legacy keys, a signed one a
/// signer on the roster. `None` when it does not verify.
pub(crate) fn open_head(keys: &dyn EventKeys, head: &[u8]) -> Option<Head> {
    if head.len() == LEGACY_HEAD_LEN {
        let (seq, value) = open_legacy_head(&keys.legacy()?.audit, head)?;
        Some(Head {
            seq,
            value,
            signer: None,
        })
    } else {
        open_signed_head(keys, head)
    }
}

/// Whether the `head` (as stored; `None` when there is none) seals the chain ending at
/// event `last_seq`, with chain value `last_mac`, signed by `last_signer` (`None` for a
/// legacy event). An empty chain has no head; a legacy event's head is a legacy one,
/// a signed event's is signed by the event's signer.
pub(crate) fn head_matches(
    keys: &dyn EventKeys,
    head: Option<&[u8]>,
    last_seq: u64,
    last_mac: &[u8],
    last_signer: Option<&str>,
) -> bool {
    match head {
        Some(head) => open_head(keys, head).is_some_and(|h| {
            h.seq == last_seq
                && bool::from(h.value.ct_eq(last_mac))
                && h.signer.as_deref() == last_signer
        }),
        None => last_seq == 0,
    }
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
    /// A signed event lists a write its member's role does not allow (a member who
    /// holds a compartment's key sealed a record their role may only read).
    WriteNotAllowed {
        /// The event's sequence number.
        seq: u64,
        /// The member who signed it.
        signer: String,
        /// The record written.
        record: String,
    },
    /// A signed event's signature does not verify under the key of the member it
    /// names (or that member was never on the roster), or its details name another
    /// member.
    EventSignatureInvalid {
        /// The event's sequence number.
        seq: u64,
        /// The member the event's row names as its signer.
        signer: String,
    },
    /// The search index does not open or read, or a block of it is missing: a search
    /// would fail rather than answer (`casevault index rebuild` makes it again).
    SearchIndexDamaged {
        /// What failed.
        what: String,
    },
    /// A note's newest version is missing from the search index of a compartment it
    /// has a part in: a search would not find it there.
    SearchIndexIncomplete {
        /// The note.
        note: String,
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
            VerifyFinding::WriteNotAllowed {
                seq,
                signer,
                record,
            } => write!(
                f,
                "audit event {seq} writes {record}, which the role of {signer}, who signed it, does not allow"
            ),
            VerifyFinding::SearchIndexDamaged { what } => write!(
                f,
                "the search index is damaged ({what}): `casevault index rebuild` makes it again"
            ),
            VerifyFinding::SearchIndexIncomplete { note } => write!(
                f,
                "note {note} is missing from the search index (a search would not find it): `casevault index rebuild` makes it again"
            ),
            VerifyFinding::EventSignatureInvalid { seq, signer } => write!(
                f,
                "audit event {seq} is not signed by {signer}, the member it names: it was edited or re-signed"
            ),
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
    /// Events written before the vault became a practice that this member could not
    /// check (they do not hold the vault's earlier keys): counted among `events`, not
    /// a finding. Their write targets are unknown.
    pub legacy_unchecked: u64,
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

/// A row's stored MAC, as the next event chains from it (zeros if it is malformed,
/// which its own check has already reported).
pub(crate) fn stored_mac(row: &AuditRow) -> [u8; 32] {
    row.mac.as_slice().try_into().unwrap_or([0u8; 32])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_targets_are_read_and_reads_passed_over() {
        let target = |id: &str, access, sha256: Option<&str>| Target {
            kind: "note".into(),
            id: id.into(),
            version: 2,
            access,
            sha256: sha256.map(str::to_owned),
        };
        let event = AuditEvent {
            seq: 7,
            at: EventTime::At("2026-03-01T10:00:00Z".parse().unwrap()),
            actor: "ada".into(),
            action: Action::NoteEdit,
            targets: vec![
                target("0a0b0c0d", TargetAccess::Read, None),
                target("0a0b0c0d", TargetAccess::Write, Some("escaped \"digest\"")),
                target("01020304", TargetAccess::Read, None),
            ],
            outcome: Outcome::Ok,
            purpose: None,
            member: None,
        };
        let json = serde_json::to_vec(&event).unwrap();
        assert_eq!(
            write_targets(&json).unwrap(),
            vec![event.targets[1].clone()]
        );
        assert!(write_targets(b"{\"seq\": 1}").is_none());
        assert!(write_targets(b"not json").is_none());
    }
}
