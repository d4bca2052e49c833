//! `audit verify`'s checks: each event's MAC against the chain, the sealed head, an
//! anchor, every record against its last audited write, and the keyslots.

use std::collections::{BTreeMap, HashMap, HashSet};

use rayon::prelude::*;
use secrecy::SecretBox;
use subtle::ConstantTimeEq;

use super::{
    KEYSLOT_TARGET, Target, TargetAccess, VerifyFinding, VerifyReport, anchor, chain_mac, genesis,
    head_matches, sha256_hex, stored_mac,
};
use crate::base::{RecordKind, RecordRef};
use crate::store::{AuditRow, RecordRow};

/// `audit verify`, fed the vault a chunk at a time so that memory is bounded by a
/// chunk, not the vault: every audit row in order ([`Verifier::events`]), then the
/// sealed head ([`Verifier::head`]), then every record ([`Verifier::records`]), then
/// the keyslots ([`Verifier::finish`]). Between chunks it keeps the chain's state and
/// the digest of each record's last audited write.
pub(crate) struct Verifier<'k> {
    key: &'k SecretBox<[u8; 32]>,
    report: VerifyReport,
    prev: [u8; 32],
    expected_seq: u64,
    last_seq: u64,
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
        key: &'k SecretBox<[u8; 32]>,
        vault_id: &[u8],
        anchor_given: Option<(u64, Vec<u8>)>,
    ) -> Self {
        Verifier {
            key,
            report: VerifyReport::default(),
            prev: genesis(key, vault_id),
            expected_seq: 1,
            last_seq: 0,
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

    /// The first event found removed, altered or unreadable, if any.
    pub(crate) fn first_broken_event(&self) -> Option<u64> {
        self.report.findings.iter().find_map(|f| match f {
            VerifyFinding::EventsMissing { from, .. } => Some(*from),
            VerifyFinding::EventAltered { seq } | VerifyFinding::EventUnreadable { seq } => {
                Some(*seq)
            }
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
        for (row, (mac_ok, writes)) in rows.iter().zip(checked) {
            self.report.events += 1;
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
            if !mac_ok {
                findings.push(VerifyFinding::EventAltered { seq: row.seq });
            }
            if let Some((seq, prefix)) = &self.anchor_given
                && *seq == row.seq
                && prefix.len() == 16
            {
                self.anchor_ok = bool::from(row.mac.get(..16).unwrap_or(&[]).ct_eq(prefix));
            }
            match writes {
                Some(writes) => {
                    for t in writes {
                        if t.kind == KEYSLOT_TARGET
                            && let (TargetAccess::Write, Some(digest)) = (t.access, &t.sha256)
                        {
                            self.keyslot_writes.insert(t.id.clone(), digest.clone());
                        }
                        if let (TargetAccess::Write, Some(digest), Some(kind)) =
                            (t.access, t.sha256, RecordKind::parse(&t.kind))
                            && self.scope.as_ref().is_none_or(|scope| {
                                scope.get(&kind).is_some_and(|ids| ids.contains(&t.id))
                            })
                        {
                            self.last_writes
                                .insert(RecordRef::new(kind, t.id, t.version), digest);
                        }
                    }
                }
                None => findings.push(VerifyFinding::EventUnreadable { seq: row.seq }),
            }
            // Continue from the stored MAC so one altered event is reported once.
            self.prev = stored_mac(row);
            self.expected_seq = row.seq + 1;
            self.last_seq = row.seq;
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
        if !head_matches(self.key, head, last_seq, &self.prev) {
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

/// A chunk of audit rows, each checked on its own: whether its MAC chains from the
/// MAC stored before it, and its details decrypted.
pub(crate) struct CheckedEvents {
    rows: Vec<AuditRow>,
    checked: Vec<(bool, Option<Vec<Target>>)>,
}

/// Checks a chunk of audit rows on every core. `prev` is the MAC stored in the row
/// before the chunk (the chain's start for the first); `open_event` decrypts one
/// event's details and reads its write targets ([`write_targets`]). Each row chains from the MAC stored before it, so a chunk can be
/// checked without the others; [`Verifier::events`] then walks them in order.
pub(crate) fn check_events(
    key: &SecretBox<[u8; 32]>,
    prev: [u8; 32],
    rows: Vec<AuditRow>,
    open_event: impl Fn(&AuditRow) -> Option<Vec<Target>> + Sync,
) -> CheckedEvents {
    let checked = rows
        .par_iter()
        .enumerate()
        .map(|(i, row)| {
            let prev = match i {
                0 => prev,
                _ => stored_mac(&rows[i - 1]),
            };
            let computed = chain_mac(key, &prev, row.seq, &row.details);
            (bool::from(computed.ct_eq(&row.mac[..])), open_event(row))
        })
        .collect();
    CheckedEvents { rows, checked }
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
