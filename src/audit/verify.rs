//! `audit verify`'s checks: each event's chain value and signature, the head, an
//! anchor, every record against its last audited write, and the keyslots.

use std::collections::{BTreeMap, HashMap, HashSet};

use ed25519_dalek::{Signature, VerifyingKey};
use rayon::prelude::*;
use subtle::ConstantTimeEq;

use super::{
    AuditEvent, EventKeys, KEYSLOT_TARGET, Target, TargetAccess, VerifyFinding, VerifyReport,
    anchor, event_member, head_matches, legacy_chain_mac, legacy_genesis, parse_writes, sha256_hex,
    signed_chain_value, signed_genesis, stored_mac, write_targets, writes_reference,
};
use crate::base::{RecordKind, RecordRef};
use crate::crypto::{record, signature_batch};
use crate::store::{AuditRow, RecordRow};

/// Signatures checked in one batch. Measured with `ed25519_dalek::verify_batch`, a batch
/// of 256 cost about 13 µs a signature against 19 µs for 64 and 42 µs one by one;
/// counting each signer's key once (`signature_batch`) about halves the multiscalar
/// part. A batch that fails is checked one by one to find which (about 11 ms), and a
/// chunk of rows still spreads over several batches, on every core.
const SIGNATURE_BATCH: usize = 256;

/// `audit verify`, fed the vault a chunk at a time so that memory is bounded by a
/// chunk, not the vault: every audit row in order ([`Verifier::events`]), then the
/// sealed head ([`Verifier::head`]), then every record ([`Verifier::records`]), then
/// the keyslots ([`Verifier::finish`]). Between chunks it keeps the chain's state and
/// the digest of each record's last audited write.
pub(crate) struct Verifier<'k> {
    keys: &'k dyn EventKeys,
    report: VerifyReport,
    /// The chain value stored in the last row walked.
    prev: [u8; 32],
    expected_seq: u64,
    last_seq: u64,
    /// The signer of the last row walked (`None` for a legacy one).
    last_signer: Option<String>,
    /// Whether a signed row has been walked: no legacy row may follow one.
    signed_seen: bool,
    last_writes: BTreeMap<RecordRef, String>,
    keyslot_writes: BTreeMap<String, String>,
    anchor_given: Option<(u64, Vec<u8>)>,
    anchor_ok: bool,
    /// When set, only these records' writes are kept (see [`Verifier::only`]).
    scope: Option<HashMap<RecordKind, HashSet<String>>>,
}

impl<'k> Verifier<'k> {
    /// Starts at the chain's genesis; `anchor_given` is checked on the way.
    pub(crate) fn new(
        keys: &'k dyn EventKeys,
        vault_id: &[u8],
        anchor_given: Option<(u64, Vec<u8>)>,
    ) -> Self {
        Verifier {
            keys,
            report: VerifyReport::default(),
            prev: signed_genesis(vault_id),
            expected_seq: 1,
            last_seq: 0,
            last_signer: None,
            signed_seen: false,
            last_writes: BTreeMap::new(),
            keyslot_writes: BTreeMap::new(),
            anchor_given,
            anchor_ok: false,
            scope: None,
        }
    }

    /// Keeps the audited writes of these records only: the rollback check needs a
    /// few records' newest versions, not a digest of every record in the vault.
    pub(crate) fn only(mut self, records: impl IntoIterator<Item = (RecordKind, String)>) -> Self {
        let mut scope: HashMap<RecordKind, HashSet<String>> = HashMap::new();
        for (kind, id) in records {
            scope.entry(kind).or_default().insert(id);
        }
        self.scope = Some(scope);
        self
    }

    /// The newest version of `kind`/`id` the events walked so far record writing.
    pub(crate) fn newest_audited(&self, kind: RecordKind, id: &str) -> Option<u32> {
        let range = RecordRef::new(kind, id, 0)..=RecordRef::new(kind, id, u32::MAX);
        self.last_writes
            .range(range)
            .next_back()
            .map(|(r, _)| r.version)
    }

    /// The first event found removed, altered, unreadable or not signed by the member
    /// it names, if any.
    pub(crate) fn first_broken_event(&self) -> Option<u64> {
        self.report.findings.iter().find_map(|f| match f {
            VerifyFinding::EventsMissing { from, .. } => Some(*from),
            VerifyFinding::EventAltered { seq }
            | VerifyFinding::EventUnreadable { seq }
            | VerifyFinding::EventSignatureInvalid { seq, .. } => Some(*seq),
            _ => None,
        })
    }

    /// True when the sealed head did not match the last event ([`Verifier::head`]).
    pub(crate) fn head_mismatch(&self) -> bool {
        self.report
            .findings
            .iter()
            .any(|f| matches!(f, VerifyFinding::HeadMismatch { .. }))
    }

    /// Checks the next audit rows, checked beforehand by [`check_events`], in order.
    pub(crate) fn events(&mut self, chunk: CheckedEvents) {
        let CheckedEvents { rows, checked } = chunk;
        let findings = &mut self.report.findings;
        for (row, check) in rows.iter().zip(checked) {
            self.report.events += 1;
            let mut altered = check.chains == Some(false);
            if row.seq != self.expected_seq {
                if row.seq > self.expected_seq {
                    findings.push(VerifyFinding::EventsMissing {
                        from: self.expected_seq,
                        to: row.seq - 1,
                    });
                } else {
                    findings.push(VerifyFinding::EventAltered { seq: row.seq });
                }
            }
            match &row.signer {
                // A legacy row after a signed one: a signed event stripped of its
                // signature, or one inserted.
                None if self.signed_seen => altered = true,
                None if check.chains.is_none() => self.report.legacy_unchecked += 1,
                None => {}
                Some(_) => self.signed_seen = true,
            }
            if altered {
                findings.push(VerifyFinding::EventAltered { seq: row.seq });
            }
            if !check.signed {
                findings.push(VerifyFinding::EventSignatureInvalid {
                    seq: row.seq,
                    signer: row.signer.clone().unwrap_or_default(),
                });
            }
            if !check.readable {
                findings.push(VerifyFinding::EventUnreadable { seq: row.seq });
            }
            for record in &check.disallowed {
                findings.push(VerifyFinding::WriteNotAllowed {
                    seq: row.seq,
                    signer: row.signer.clone().unwrap_or_default(),
                    record: record.clone(),
                });
            }
            if let Some((seq, prefix)) = &self.anchor_given
                && *seq == row.seq
                && prefix.len() == 16
            {
                self.anchor_ok = bool::from(row.mac.get(..16).unwrap_or(&[]).ct_eq(prefix));
            }
            for t in check.writes.into_iter().flatten() {
                if t.access == TargetAccess::Delete {
                    // Every version destroyed: none is expected in the file any more.
                    if let Some(kind) = RecordKind::parse(&t.kind) {
                        let range = RecordRef::new(kind, t.id.clone(), 0)
                            ..=RecordRef::new(kind, t.id.clone(), u32::MAX);
                        let gone: Vec<RecordRef> = self
                            .last_writes
                            .range(range)
                            .map(|(r, _)| r.clone())
                            .collect();
                        for r in gone {
                            self.last_writes.remove(&r);
                        }
                    }
                    continue;
                }
                if t.kind == KEYSLOT_TARGET
                    && let (TargetAccess::Write, Some(digest)) = (t.access, &t.sha256)
                {
                    self.keyslot_writes.insert(t.id.clone(), digest.clone());
                }
                if let (TargetAccess::Write, Some(digest), Some(kind)) =
                    (t.access, t.sha256, RecordKind::parse(&t.kind))
                    && self
                        .scope
                        .as_ref()
                        .is_none_or(|scope| scope.get(&kind).is_some_and(|ids| ids.contains(&t.id)))
                {
                    self.last_writes
                        .insert(RecordRef::new(kind, t.id, t.version), digest);
                }
            }
            // Continue from the stored value so one altered event is reported once.
            self.prev = stored_mac(row);
            self.expected_seq = row.seq + 1;
            self.last_seq = row.seq;
            self.last_signer.clone_from(&row.signer);
        }
    }

    /// Checks the records whose digests [`digest_records`] computed, in order,
    /// against their last audited writes.
    pub(crate) fn records(&mut self, digests: Vec<(RecordRef, String)>) {
        self.report.records += digests.len() as u64;
        for (reference, actual) in digests {
            match self.last_writes.remove(&reference) {
                Some(digest) if digest == actual => {}
                Some(_) => self.report.findings.push(VerifyFinding::RecordChanged {
                    record: reference.to_string(),
                }),
                None => self.report.findings.push(VerifyFinding::RecordUnaudited {
                    record: reference.to_string(),
                }),
            }
        }
    }

    /// After the last event: checks the sealed head and the anchor.
    pub(crate) fn head(&mut self, head: Option<&[u8]>) {
        let last_seq = self.last_seq;
        if !head_matches(
            self.keys,
            head,
            last_seq,
            &self.prev,
            self.last_signer.as_deref(),
        ) {
            self.report
                .findings
                .push(VerifyFinding::HeadMismatch { last_seq });
        }
        if let Some((seq, _)) = self.anchor_given
            && !self.anchor_ok
        {
            self.report
                .findings
                .push(VerifyFinding::AnchorNotExtended { seq });
        }
    }

    /// Checks the keyslots, reports the records written but gone, and returns the
    /// report.
    pub(crate) fn finish(mut self, keyslots: &[(String, Vec<u8>)]) -> VerifyReport {
        let findings = &mut self.report.findings;
        for (name, keyslot) in keyslots {
            let record = format!("the {name} keyslot");
            match self.keyslot_writes.get(name) {
                Some(digest) if *digest == sha256_hex(keyslot) => {}
                Some(_) => findings.push(VerifyFinding::RecordChanged { record }),
                None => findings.push(VerifyFinding::RecordUnaudited { record }),
            }
        }
        for name in self.keyslot_writes.keys() {
            if !keyslots.iter().any(|(n, _)| n == name) {
                findings.push(VerifyFinding::RecordMissing {
                    record: format!("the {name} keyslot"),
                });
            }
        }
        for reference in self.last_writes.into_keys() {
            findings.push(VerifyFinding::RecordMissing {
                record: reference.to_string(),
            });
        }
        self.report.anchor = anchor(self.last_seq, &self.prev);
        self.report
    }
}

/// A chunk of audit rows, each checked on its own by [`check_events`].
pub(crate) struct CheckedEvents {
    rows: Vec<AuditRow>,
    checked: Vec<RowCheck>,
}

/// What one audit row's own checks found.
struct RowCheck {
    /// Whether its chain value follows from the one stored before it; `None` when it
    /// cannot be checked (a legacy event, without the legacy keys).
    chains: Option<bool>,
    /// For a signed event: its signature verifies under the key of the member it
    /// names, and its details (when this member reads them) name that member. True
    /// for a legacy event.
    signed: bool,
    /// Its details, when this member may open them, and its write list decrypt.
    readable: bool,
    /// Its write targets; `None` when unknown (unreadable, or a legacy event without
    /// the legacy keys).
    writes: Option<Vec<Target>>,
    /// Writes the signer's role does not allow (left out of `writes`).
    disallowed: Vec<String>,
}

impl CheckedEvents {
    /// The first row that is not the `expected`th or the next after the one before
    /// it, does not chain from the row before it, is not signed by the member it
    /// names, or is a legacy row: what a pin's check refuses after the pinned event.
    pub(crate) fn first_not_extending(&self, mut expected: u64) -> Option<u64> {
        for (row, check) in self.rows.iter().zip(&self.checked) {
            if row.seq != expected
                || row.signer.is_none()
                || check.chains != Some(true)
                || !check.signed
            {
                return Some(row.seq.min(expected));
            }
            expected += 1;
        }
        None
    }

    /// The last row's sequence number and chain value.
    pub(crate) fn last(&self) -> Option<(u64, [u8; 32])> {
        self.rows.last().map(|r| (r.seq, stored_mac(r)))
    }
}

/// Checks a chunk of audit rows on every core. `prev` is the chain value stored in the
/// row before the chunk (`None` for the chain's first chunk: its first row chains from
/// the genesis of its kind). Each row chains from the value stored before it, so a
/// chunk can be checked without the others; [`Verifier::events`] then walks them in
/// order. Signatures are checked in batches, one by one only in a batch that fails.
pub(crate) fn check_events(
    keys: &dyn EventKeys,
    vault_id: &[u8],
    prev: Option<[u8; 32]>,
    rows: Vec<AuditRow>,
) -> CheckedEvents {
    let (mut checked, pending): (Vec<RowCheck>, Vec<Option<(Signature, VerifyingKey)>>) = rows
        .par_iter()
        .enumerate()
        .map(|(i, row)| {
            let prev = match i {
                0 => prev,
                _ => Some(stored_mac(&rows[i - 1])),
            };
            check_row(keys, vault_id, prev, row)
        })
        .unzip();
    let pending: Vec<(usize, Signature, VerifyingKey)> = pending
        .into_iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|(signature, key)| (i, signature, key)))
        .collect();
    let failed: Vec<usize> = pending
        .par_chunks(SIGNATURE_BATCH)
        .flat_map_iter(|batch| failed_signatures(&rows, batch))
        .collect();
    for i in failed {
        checked[i].signed = false;
    }
    CheckedEvents { rows, checked }
}

/// The rows of `batch` whose signature does not verify: none when the batch verifies
/// as a whole, else each checked on its own.
fn failed_signatures(rows: &[AuditRow], batch: &[(usize, Signature, VerifyingKey)]) -> Vec<usize> {
    let items: Vec<(&[u8], Signature, VerifyingKey)> = batch
        .iter()
        .map(|(i, signature, key)| (rows[*i].mac.as_slice(), *signature, *key))
        .collect();
    if signature_batch::verify(&items) {
        return Vec::new();
    }
    batch
        .iter()
        .filter(|(i, signature, key)| key.verify_strict(&rows[*i].mac, signature).is_err())
        .map(|(i, ..)| *i)
        .collect()
}

/// Checks one row on its own, all but its signature, which is returned with the key
/// it should verify under (`None` when it cannot: reported not signed already).
fn check_row(
    keys: &dyn EventKeys,
    vault_id: &[u8],
    prev: Option<[u8; 32]>,
    row: &AuditRow,
) -> (RowCheck, Option<(Signature, VerifyingKey)>) {
    let reference = AuditEvent::reference(row.seq);
    let Some(signer) = &row.signer else {
        let check = match keys.legacy() {
            Some(legacy) => {
                let prev = prev.unwrap_or_else(|| legacy_genesis(&legacy.audit, vault_id));
                let computed = legacy_chain_mac(&legacy.audit, &prev, row.seq, &row.details);
                let writes = record::open(&legacy.records, &reference, &row.details)
                    .ok()
                    .and_then(|plain| write_targets(&plain));
                RowCheck {
                    disallowed: Vec::new(),
                    chains: Some(bool::from(computed.ct_eq(&row.mac[..]))),
                    signed: true,
                    readable: writes.is_some(),
                    writes,
                }
            }
            None => RowCheck {
                disallowed: Vec::new(),
                chains: None,
                signed: true,
                readable: true,
                writes: None,
            },
        };
        return (check, None);
    };
    let prev = prev.unwrap_or_else(|| signed_genesis(vault_id));
    let chains = row.writes.as_ref().is_some_and(|writes| {
        let computed = signed_chain_value(&prev, row.seq, signer, &row.details, writes);
        bool::from(computed.ct_eq(&row.mac[..]))
    });
    let (mut readable, mut signed) = (true, true);
    match keys.open_details(&reference, &row.details) {
        Ok(None) => {}
        Ok(Some(plain)) => match event_member(&plain) {
            Some(member) => signed = member.as_deref() == Some(signer.as_str()),
            None => readable = false,
        },
        Err(_) => readable = false,
    }
    let mut disallowed = Vec::new();
    let writes = row.writes.as_ref().and_then(|sealed| {
        let plain = keys.open_writes(&writes_reference(row.seq), sealed).ok()?;
        let (member, writes) = parse_writes(&plain)?;
        // The member the write list names (readable by every member) is the signer.
        signed &= member == *signer;
        // A write the signer's role does not allow does not count as audited.
        let (allowed, refused): (Vec<Target>, Vec<Target>) =
            writes.into_iter().partition(|t| match t.access {
                TargetAccess::Delete => {
                    RecordKind::parse(&t.kind).is_some_and(RecordKind::destroyable)
                        && keys.may_destroy(signer, row.seq)
                }
                _ => keys.may_write(signer, &t.kind, &t.id, row.seq),
            });
        disallowed = refused
            .into_iter()
            .map(|t| match t.access {
                TargetAccess::Delete => format!("the destruction of {} {}", t.kind, t.id),
                _ => format!("{} {} version {}", t.kind, t.id, t.version),
            })
            .collect();
        Some(allowed)
    });
    // A missing write list is reported by the chain value, which covers it.
    readable &= writes.is_some() || row.writes.is_none();
    let pending = match (
        keys.verifying_key(signer, row.seq),
        row.signature
            .as_deref()
            .and_then(|s| Signature::from_slice(s).ok()),
    ) {
        (Some(key), Some(signature)) => Some((signature, key)),
        _ => {
            signed = false;
            None
        }
    };
    let check = RowCheck {
        chains: Some(chains),
        signed,
        readable,
        writes,
        disallowed,
    };
    (check, pending)
}

/// The SHA-256 of each record's ciphertext, on every core.
pub(crate) fn digest_records(records: Vec<RecordRow>) -> Vec<(RecordRef, String)> {
    records
        .into_par_iter()
        .map(|r| {
            let digest = sha256_hex(&r.ciphertext);
            (r.reference, digest)
        })
        .collect()
}
