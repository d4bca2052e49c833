//! The end of a client's record: `client destroy` deletes every key of the client's
//! compartments (crypto-shredding) and every record sealed only for them, and leaves
//! a signed tombstone in the audit trail.
//!
//! Invariant: a destruction is one transaction and one audit event. The event is
//! signed by the member who acted; its purpose names the rule it was done under and
//! how many records went; its write list names each record destroyed (a `delete`
//! target), so `audit verify` stops expecting them in the file and refuses a
//! destruction the signer's role did not allow.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Access;
use crate::audit::{Action, Target, TargetAccess};
use crate::base::{ClientId, Date, RecordKind, RecordRef};
use crate::crypto::record;
use crate::error::Error;
use crate::model::policy::Policy;
use crate::model::rights::{RightsRequest, retention_end};
use crate::model::role::Permission;
use crate::vault::Session;
use crate::vault::members::AccessRequest;

type Result<T> = std::result::Result<T, Error>;

/// Rows of the file read at a time while looking for the client's records.
const SCAN_CHUNK: usize = 512;

/// Why a record may be destroyed now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DestroyBasis {
    /// Its retention under the policy in force has ended.
    RetentionEnded,
    /// A reason the policy allows before the end (`[retention.early.NAME]`), with the
    /// member's written explanation.
    Early {
        /// The reason's name in the policy.
        reason: String,
        /// Why it applies to this client, in the member's words.
        explanation: String,
    },
}

/// What a destruction did: what its tombstone in the audit trail says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Destruction {
    /// The client whose record was destroyed.
    pub client: ClientId,
    /// The rule it was done under, with its citation.
    pub rule: String,
    /// Records destroyed (every version of each), by kind.
    pub records: BTreeMap<String, u32>,
    /// Versions of those records destroyed.
    pub versions: u32,
    /// Wrapped keys of the client's compartments deleted (one per member and
    /// compartment).
    pub keys: u64,
    /// Notes kept because other clients took part in them: the client's parts in
    /// them are unreadable from now on (their keys are gone), the rest stays the other
    /// participants' record.
    pub joint_notes_kept: usize,
}

impl Session {
    /// Destroys `client`'s record on `today`: every key of their compartments and
    /// every record sealed only for them (profile, notes, consents, intake,
    /// restrictions, requests, decisions, accounting entries, emergency access
    /// requests), their caseload assignments, in one audited operation. Needs the
    /// `destroy-records` permission and the client's keys; refused ([`Error::RecordKept`])
    /// under a legal hold, while a request of theirs is unanswered, or before the
    /// retention ends unless `basis` names a reason the policy allows.
    pub fn destroy_client(
        &mut self,
        client: &str,
        basis: &DestroyBasis,
        today: Date,
    ) -> Result<Destruction> {
        if let DestroyBasis::Early { explanation, .. } = basis {
            if crate::base::fold::is_blank(explanation) {
                return Err(Error::InvalidInput(
                    "destroying a record before its retention ends needs a written explanation (--explanation)".into(),
                ));
            }
            super::check_lines([("explanation", explanation.as_str())])?;
        }
        let done = self.access(Action::ClientDestroy, |a| {
            let (_, policy) = a.policy()?;
            a.require(&policy, Permission::DestroyRecords)?;
            let profile = a.client(client)?;
            // The retention runs from the last session: every note of the client must
            // be readable (its date), whatever else the member's role opens.
            a.require_key_for(RecordKind::Note, client)?;
            let rule = rule_for(a, &policy, &profile, basis, today)?;
            kept_for_accounting(a, &policy, client, today)?;
            kept_for_requests(a, client)?;
            let mut done = destroy(a, &policy, client)?;
            done.rule = rule;
            a.purpose = Some(format!(
                "destroyed the record of client {client} under {}: {} records ({} versions), {} keys; {} joint notes kept for their other participants",
                done.rule,
                done.records.values().sum::<u32>(),
                done.versions,
                done.keys,
                done.joint_notes_kept
            ));
            Ok(done)
        })?;
        // The keyring's caseload and caches as they now stand: a later change in this
        // session must not write the destroyed client back.
        self.reload_ring()?;
        Ok(done)
    }
}

/// Refuses while the accounting of the client's disclosures must still be kept (six
/// years under HIPAA, from each disclosure: the last one decides).
fn kept_for_accounting(
    a: &mut Access<'_, '_>,
    policy: &Policy,
    client: &str,
    today: Date,
) -> Result<()> {
    let Some(rights) = &policy.rights else {
        return Ok(());
    };
    let Some(years) = rights.accounting_years else {
        return Ok(());
    };
    a.require_key_for(RecordKind::Accounting, client)?;
    let entries: Vec<crate::model::accounting::AccountingEntry> =
        a.read_all(RecordKind::Accounting)?;
    let Some(last) = entries
        .iter()
        .filter(|e| e.client == client)
        .map(|e| e.disclosed_on)
        .max()
    else {
        return Ok(());
    };
    let until = crate::model::rights::years_after(last, years).unwrap_or(last);
    if until > today {
        return Err(Error::RecordKept {
            client: client.to_owned(),
            why: format!(
                "its accounting of disclosures is kept {years} years after the last disclosure ({last}, {}): destroy it from {until}",
                rights.citation
            ),
        });
    }
    Ok(())
}

/// The rule the destruction is done under, or why the record is kept.
fn rule_for(
    a: &mut Access<'_, '_>,
    policy: &Policy,
    profile: &crate::model::client::Client,
    basis: &DestroyBasis,
    today: Date,
) -> Result<String> {
    let kept = |why: String| Error::RecordKept {
        client: profile.id.to_string(),
        why,
    };
    if let Some(hold) = &profile.care.legal_hold {
        return Err(kept(format!(
            "a legal hold keeps it ({}, since {}); lift it with `casevault client edit {} --no-legal-hold` when the hold ends",
            hold.reason, hold.since, profile.id
        )));
    }
    let Some(retention) = &policy.retention else {
        return Err(Error::InvalidInput(format!(
            "the policy in force ({}) sets no retention period ([retention]); use a pack that does",
            policy.name
        )));
    };
    match basis {
        DestroyBasis::Early {
            reason,
            explanation,
        } => {
            let Some(early) = retention.early.iter().find(|e| &e.reason == reason) else {
                let allowed: Vec<&str> =
                    retention.early.iter().map(|e| e.reason.as_str()).collect();
                return Err(Error::InvalidInput(format!(
                    "the policy in force ({}) allows no early destruction for {reason:?}; it allows {}",
                    policy.name,
                    if allowed.is_empty() {
                        "none".to_owned()
                    } else {
                        allowed.join(", ")
                    }
                )));
            };
            Ok(format!(
                "early destruction, {} ({}): {}",
                early.reason,
                early.citation,
                explanation.trim()
            ))
        }
        DestroyBasis::RetentionEnded => {
            let Some(ended) = profile.care.treatment_ended else {
                return Err(kept(format!(
                    "treatment has not ended, so its retention has not begun; record the end with `casevault client edit {} --treatment-ended DATE`",
                    profile.id
                )));
            };
            let last = super::consent::notes_of(a, profile.id.as_str())?
                .last()
                .map(|n| n.date);
            let from = last.map_or(ended, |l| l.max(ended));
            let majority = policy.minors.as_ref().map_or(18, |m| m.age_of_majority);
            let end = retention_end(retention, majority, Some(from), profile.date_of_birth)
                .ok_or_else(|| kept("its retention end cannot be computed".to_owned()))?;
            if end > today {
                return Err(kept(format!(
                    "its retention runs until {end} ({}); destroy it from that day, or name a reason the policy allows (--reason)",
                    retention.citation
                )));
            }
            Ok(format!("retention ended on {end} ({})", retention.citation))
        }
    }
}

/// Refuses while a request of the client's is unanswered: the law's clock runs on it.
fn kept_for_requests(a: &mut Access<'_, '_>, client: &str) -> Result<()> {
    a.require_key_for(RecordKind::RightsRequest, client)?;
    let requests: Vec<RightsRequest> = a.read_all(RecordKind::RightsRequest)?;
    if let Some(open) = requests
        .iter()
        .find(|r| r.client == client && r.answer.is_none())
    {
        return Err(Error::RecordKept {
            client: client.to_owned(),
            why: format!(
                "request {} ({}) is unanswered; answer it first (`casevault request answer {}`)",
                open.id,
                open.kind.as_str(),
                open.id
            ),
        });
    }
    Ok(())
}

/// Deletes the client's keys and the records sealed only for them; counts what went.
fn destroy(a: &mut Access<'_, '_>, policy: &Policy, client: &str) -> Result<Destruction> {
    let ids = a.compartment_ids_of_client(policy, client)?;
    // Each record's newest version, and whether every version of it is sealed only
    // for the client's compartments (a record any version of which is sealed for
    // another compartment too is a joint note: kept).
    let mut found: BTreeMap<(RecordKind, String), (u32, bool)> = BTreeMap::new();
    a.tx().records_chunked(SCAN_CHUNK, |rows| {
        for row in rows {
            let named = record::compartments_of(&row.ciphertext);
            let ours = named.iter().filter(|c| ids.contains(**c)).count();
            if ours == 0 {
                continue;
            }
            let only_ours = ours == named.len();
            let RecordRef { kind, id, version } = row.reference;
            let entry = found.entry((kind, id)).or_insert((version, true));
            entry.0 = entry.0.max(version);
            entry.1 &= only_ours;
        }
        Ok::<(), Error>(())
    })?;
    // A joint note whose other participants were all destroyed before is the client's
    // alone now: it goes too.
    let joint: Vec<String> = found
        .iter()
        .filter(|((kind, _), (_, only))| *kind == RecordKind::Note && !only)
        .map(|((_, id), _)| id.clone())
        .collect();
    for id in joint {
        let Some(header) = a.read_latest::<super::consent::NoteHeader>(RecordKind::Note, &id)?
        else {
            continue;
        };
        let mut alone = true;
        for other in header.clients.iter().filter(|c| c.as_str() != client) {
            alone &= a.destroyed(other.as_str())?;
        }
        if alone && let Some(entry) = found.get_mut(&(RecordKind::Note, id)) {
            entry.1 = true;
        }
    }
    let joint_notes_kept = found
        .iter()
        .filter(|((kind, _), (_, only))| *kind == RecordKind::Note && !only)
        .count();
    let mut doomed: Vec<(RecordKind, String, u32)> = found
        .into_iter()
        .filter(|(_, (_, only))| *only)
        .map(|((kind, id), (newest, _))| (kind, id, newest))
        .collect();
    // Emergency access requests name the client inside: each must be read, and one
    // this member cannot read could be the client's.
    let stored = a.count_records(RecordKind::AccessRequest)?;
    let requests: Vec<AccessRequest> = a.read_all(RecordKind::AccessRequest)?;
    if (requests.len() as u64) < stored {
        return Err(Error::KeyDenied {
            what: format!(
                "{} of the practice's emergency access requests (one may be this client's): a member whose role reviews the audit trail must destroy the record",
                stored - requests.len() as u64
            ),
        });
    }
    for request in requests.into_iter().filter(|r| r.client == client) {
        let newest = a.count_versions(RecordKind::AccessRequest, &request.id)?;
        doomed.push((RecordKind::AccessRequest, request.id, newest));
    }
    let mut records: BTreeMap<String, u32> = BTreeMap::new();
    let mut versions = 0;
    for (kind, id, newest) in doomed {
        versions += a.tx().destroy_record(kind, &id)?;
        *records.entry(kind.as_str().to_owned()).or_default() += 1;
        a.targets.push(Target {
            kind: kind.as_str().into(),
            id,
            version: newest,
            access: TargetAccess::Delete,
            sha256: None,
        });
    }
    let mut keys = 0;
    for id in &ids {
        keys += a.tx().destroy_compartment(id)?;
        // Its search index goes with its key.
        super::index::destroy(a.tx(), id)?;
        a.ring().forget(id);
    }
    // The caseloads no longer name the client.
    let mut caseload = a.ring().caseload.clone();
    let before = caseload.assignments.len();
    caseload.assignments.retain(|x| x.client != client);
    if caseload.assignments.len() != before {
        let version = a.count_versions(RecordKind::Caseload, super::keyring::PRACTICE_RECORD)? + 1;
        a.write(
            RecordRef::new(
                RecordKind::Caseload,
                super::keyring::PRACTICE_RECORD,
                version,
            ),
            &caseload,
        )?;
    }
    Ok(Destruction {
        client: client.into(),
        rule: String::new(),
        records,
        versions,
        keys,
        joint_notes_kept,
    })
}
