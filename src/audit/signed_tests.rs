//! The signed chain end to end, through the in-memory stand-ins of [`testkeys`]:
//! appending, verifying, tampering with every column of a row, and a legacy prefix
//! from before practices.

use ed25519_dalek::Signer;

use super::testkeys::{MemTx, TestKeys, legacy_keys};
use super::*;
use crate::crypto::record;
use crate::store::{StoreError, Transaction};

const VAULT_ID: &[u8] = b"0123456789abcdef";

/// The reviewer (reads every event), with or without the legacy keys.
fn dr_a(legacy: bool) -> TestKeys {
    TestKeys::member("dr-a", true, legacy)
}

/// A member whose role does not review the trail.
fn biller() -> TestKeys {
    TestKeys::member("biller", false, false)
}

/// The ciphertext of note `id` as written by event `seq` (stands for a real one).
fn ciphertext(id: u32, seq: u64) -> Vec<u8> {
    format!("note {id} as written by event {seq}").into_bytes()
}

fn write(id: u32, seq: u64) -> Target {
    Target {
        kind: "note".into(),
        id: format!("{id:08x}"),
        version: 1,
        access: TargetAccess::Write,
        sha256: Some(sha256_hex(&ciphertext(id, seq))),
    }
}

fn read(id: u32) -> Target {
    Target {
        kind: "note".into(),
        id: format!("{id:08x}"),
        version: 1,
        access: TargetAccess::Read,
        sha256: None,
    }
}

fn draft(targets: Vec<Target>) -> EventDraft {
    EventDraft {
        at: EventTime::At("2026-03-01T10:00:00Z".parse().unwrap()),
        actor: "ada".into(),
        action: Action::NoteEdit,
        targets,
        outcome: Outcome::Ok,
        purpose: None,
    }
}

/// Appends events `from..=to`, event `seq` writing note `seq` (and reading note 1),
/// in batches of up to 7, as `keys`.
fn append(tx: &MemTx, keys: &TestKeys, from: u64, to: u64) {
    let chain = Chain::new(keys, VAULT_ID);
    let seqs: Vec<u64> = (from..=to).collect();
    for batch in seqs.chunks(7) {
        let drafts: Vec<EventDraft> = batch
            .iter()
            .map(|&seq| draft(vec![read(1), write(seq as u32, seq)]))
            .collect();
        chain.append(tx, &drafts).unwrap();
    }
}

/// A signed chain of `n` events appended by dr-a, walked a few rows at a time.
fn signed_chain(n: u64) -> MemTx {
    let tx = MemTx::default();
    tx.page.set(7);
    append(&tx, &dr_a(false), 1, n);
    tx
}

/// The records as the events wrote them: note `id`'s last write by event `last[id]`.
fn records(notes: impl IntoIterator<Item = (u32, u64)>) -> Vec<(RecordRef, String)> {
    notes
        .into_iter()
        .map(|(id, seq)| {
            (
                RecordRef::new(RecordKind::Note, format!("{id:08x}"), 1),
                sha256_hex(&ciphertext(id, seq)),
            )
        })
        .collect()
}

/// `audit verify` as `keys`, with these records.
fn verify(tx: &MemTx, keys: &TestKeys, digests: Vec<(RecordRef, String)>) -> VerifyReport {
    let mut verifier = Verifier::new(keys, VAULT_ID, None);
    Chain::new(keys, VAULT_ID)
        .verify_events::<StoreError>(tx, &mut verifier)
        .unwrap();
    verifier.records(digests);
    verifier.finish(&[])
}

fn names_event(finding: &VerifyFinding, event: u64) -> bool {
    match finding {
        VerifyFinding::EventAltered { seq }
        | VerifyFinding::EventUnreadable { seq }
        | VerifyFinding::EventSignatureInvalid { seq, .. } => *seq == event,
        VerifyFinding::EventsMissing { from, to } => (*from..=*to).contains(&event),
        _ => false,
    }
}

fn flip(bytes: &mut [u8], at: usize) {
    let at = at % bytes.len();
    bytes[at] ^= 0x01;
}

#[test]
fn a_signed_chain_verifies_for_every_member() {
    let tx = signed_chain(50);
    let notes = || records((1..=50).map(|seq| (seq as u32, seq)));
    for keys in [
        dr_a(false),
        dr_a(true),
        TestKeys::member("dr-b", true, false),
        biller(),
    ] {
        let report = verify(&tx, &keys, notes());
        assert!(report.is_intact(), "{:?}", report.findings);
        assert_eq!((report.events, report.records), (50, 50));
        assert_eq!(report.legacy_unchecked, 0);
        let chain = Chain::new(&keys, VAULT_ID);
        assert_eq!(chain.anchor(&tx).unwrap(), report.anchor);
        assert!(report.anchor.starts_with("50-"));
        assert!(chain.accepts_events(&tx).unwrap());
    }
    let row = tx.last_audit().unwrap().unwrap();
    assert_eq!(row.signer.as_deref(), Some("dr-a"));
    assert_eq!(row.signature.as_ref().map(Vec::len), Some(64));
    let head = tx.meta(chain::AUDIT_HEAD).unwrap().unwrap();
    assert_eq!(head.len(), 8 + 32 + 2 + "dr-a".len() + 64);
    assert_eq!(head[..8], 50u64.to_be_bytes());
    assert_eq!(head[8..40], row.mac[..]);
}

#[test]
fn a_reviewer_reads_every_event_and_others_are_told_how_many_are_hidden() {
    let tx = signed_chain(20);
    let log = Chain::new(&dr_a(false), VAULT_ID).events(&tx).unwrap();
    assert_eq!((log.events.len(), log.hidden), (20, 0));
    let event = &log.events[16];
    assert_eq!(event.seq, 17);
    assert_eq!(event.member.as_deref(), Some("dr-a"));
    assert_eq!(event.targets, vec![read(1), write(17, 17)]);
    let log = Chain::new(&biller(), VAULT_ID).events(&tx).unwrap();
    assert_eq!((log.events.len(), log.hidden), (0, 20));
}

#[test]
fn the_write_list_holds_only_writes_and_the_details_name_the_signer() {
    let tx = signed_chain(3);
    let keys = biller();
    let row = tx.last_audit().unwrap().unwrap();
    let plain = keys
        .open_writes(&writes_reference(3), row.writes.as_ref().unwrap())
        .unwrap();
    let (member, writes) = parse_writes(&plain).unwrap();
    assert_eq!(writes, vec![write(3, 3)]);
    assert!(!member.is_empty());
    let plain = dr_a(false)
        .open_details(&AuditEvent::reference(3), &row.details)
        .unwrap()
        .unwrap();
    assert_eq!(event_member(&plain), Some(Some("dr-a".into())));
}

#[test]
fn flipping_a_byte_of_any_column_names_the_event() {
    type Column = fn(&mut AuditRow) -> &mut Vec<u8>;
    let columns: [(&str, Column); 4] = [
        ("details", |r| &mut r.details),
        ("writes", |r| r.writes.as_mut().unwrap()),
        ("mac", |r| &mut r.mac),
        ("signature", |r| r.signature.as_mut().unwrap()),
    ];
    let notes = || records((1..=50).map(|seq| (seq as u32, seq)));
    let intact = signed_chain(50);
    for (name, column) in columns {
        for (seq, at) in [(1, 0), (17, 200), (33, 31), (50, 63)] {
            let tx = intact.copy();
            tx.edit(seq, |row| flip(column(row), at));
            for keys in [dr_a(false), biller()] {
                let report = verify(&tx, &keys, notes());
                assert!(
                    report.findings.iter().any(|f| names_event(f, seq)),
                    "{name} of event {seq}: {:?}",
                    report.findings
                );
            }
        }
    }
}

#[test]
fn an_event_re_signed_by_another_member_is_named() {
    let notes = || records((1..=50).map(|seq| (seq as u32, seq)));
    let dr_b = TestKeys::signing_key_of("dr-b");
    let intact = signed_chain(50);
    let signed_chain = |_| intact.copy();

    // Re-signed in full: the chain value recomputed for dr-b and signed by dr-b.
    let tx = signed_chain(50);
    let prev = tx_prev(&tx, 17);
    tx.edit(17, |row| {
        let value = signed_chain_value(
            &prev,
            17,
            "dr-b",
            &row.details,
            row.writes.as_ref().unwrap(),
        );
        row.signer = Some("dr-b".into());
        row.mac = value.to_vec();
        row.signature = Some(dr_b.sign(&value).to_bytes().to_vec());
    });
    let report = verify(&tx, &dr_a(false), notes());
    assert!(
        report
            .findings
            .contains(&VerifyFinding::EventSignatureInvalid {
                seq: 17,
                signer: "dr-b".into()
            }),
        "{:?}",
        report.findings
    );
    assert_eq!(
        report.findings[0].to_string(),
        "audit event 17 is not signed by dr-b, the member it names: it was edited or re-signed"
    );
    // A member who cannot read the details sees the chain break after it.
    let report = verify(&tx, &biller(), notes());
    assert!(
        report.findings.iter().any(|f| names_event(f, 18)),
        "{:?}",
        report.findings
    );

    // Only the signer column and the signature changed.
    let tx = signed_chain(50);
    tx.edit(17, |row| {
        row.signer = Some("dr-b".into());
        row.signature = Some(dr_b.sign(&row.mac).to_bytes().to_vec());
    });
    let report = verify(&tx, &dr_a(false), notes());
    assert!(
        report
            .findings
            .contains(&VerifyFinding::EventSignatureInvalid {
                seq: 17,
                signer: "dr-b".into()
            })
    );
    assert!(
        report
            .findings
            .contains(&VerifyFinding::EventAltered { seq: 17 })
    );

    // Signed by dr-b but still naming dr-a; and naming someone never on the roster.
    for (signer, key) in [
        ("dr-a", TestKeys::signing_key_of("dr-b")),
        ("mallory", dr_b.clone()),
    ] {
        let tx = signed_chain(50);
        let prev = tx_prev(&tx, 17);
        tx.edit(17, |row| {
            let value = signed_chain_value(
                &prev,
                17,
                signer,
                &row.details,
                row.writes.as_ref().unwrap(),
            );
            row.signer = Some(signer.into());
            row.mac = value.to_vec();
            row.signature = Some(key.sign(&value).to_bytes().to_vec());
        });
        for keys in [dr_a(false), biller()] {
            let report = verify(&tx, &keys, notes());
            assert!(
                report
                    .findings
                    .contains(&VerifyFinding::EventSignatureInvalid {
                        seq: 17,
                        signer: signer.into()
                    }),
                "{signer}: {:?}",
                report.findings
            );
        }
    }
}

/// The chain value stored before event `seq`.
fn tx_prev(tx: &MemTx, seq: u64) -> [u8; 32] {
    stored_mac(tx.rows.borrow().get(&(seq - 1)).unwrap())
}

#[test]
fn a_removed_event_is_missing_and_an_older_head_does_not_match() {
    let notes = || records((1..=50).map(|seq| (seq as u32, seq)));
    let intact = signed_chain(50);
    let signed_chain = |_| intact.copy();
    let tx = signed_chain(50);
    tx.rows.borrow_mut().remove(&20);
    let report = verify(&tx, &biller(), notes());
    assert!(
        report
            .findings
            .contains(&VerifyFinding::EventsMissing { from: 20, to: 20 })
    );

    let tx = signed_chain(50);
    tx.rows.borrow_mut().remove(&50);
    let report = verify(&tx, &biller(), notes());
    assert!(
        report
            .findings
            .contains(&VerifyFinding::HeadMismatch { last_seq: 49 })
    );

    // An older head, validly signed, over the whole chain.
    let tx = MemTx::default();
    append(&tx, &dr_a(false), 1, 30);
    let old_head = tx.meta(chain::AUDIT_HEAD).unwrap().unwrap();
    append(&tx, &dr_a(false), 31, 50);
    tx.set_meta(chain::AUDIT_HEAD, &old_head).unwrap();
    for keys in [dr_a(false), biller()] {
        let report = verify(&tx, &keys, notes());
        assert_eq!(
            report.findings,
            vec![VerifyFinding::HeadMismatch { last_seq: 50 }]
        );
        let chain = Chain::new(&keys, VAULT_ID);
        assert!(!chain.accepts_events(&tx).unwrap());
        assert!(matches!(
            chain.append(&tx, &[draft(vec![])]),
            Err(ChainError::HeadMismatch)
        ));
    }
}

#[test]
fn a_head_signed_by_another_member_than_the_last_events_does_not_match() {
    let tx = signed_chain(5);
    let last = tx.last_audit().unwrap().unwrap();
    let value: [u8; 32] = last.mac[..].try_into().unwrap();
    let forged = seal_signed_head(5, &value, "dr-b", &TestKeys::signing_key_of("dr-b"));
    tx.set_meta(chain::AUDIT_HEAD, &forged).unwrap();
    let report = verify(&tx, &biller(), records((1..=5).map(|s| (s as u32, s))));
    assert_eq!(
        report.findings,
        vec![VerifyFinding::HeadMismatch { last_seq: 5 }]
    );
    // A head cut short, or with a byte flipped, does not read.
    for head in [forged[..forged.len() - 1].to_vec(), {
        let mut h = seal_signed_head(5, &value, "dr-a", &TestKeys::signing_key_of("dr-a"));
        flip(&mut h, 20);
        h
    }] {
        assert!(open_head(&biller(), &head).is_none());
    }
}

/// A vault from before practices: `n` legacy events (event `seq` writing note `seq`)
/// chained and sealed under the legacy keys, with a legacy head.
fn legacy_prefix(n: u64) -> MemTx {
    let tx = MemTx::default();
    tx.page.set(3);
    let legacy = legacy_keys();
    let mut prev = legacy_genesis(&legacy.audit, VAULT_ID);
    for seq in 1..=n {
        let event = AuditEvent {
            seq,
            at: EventTime::At("2026-01-01T09:00:00Z".parse().unwrap()),
            actor: "ada".into(),
            action: Action::NoteEdit,
            targets: vec![read(1), write(seq as u32, seq)],
            outcome: Outcome::Ok,
            purpose: None,
            member: None,
        };
        let json = serde_json::to_vec(&event).unwrap();
        let details = record::seal(&legacy.records, &AuditEvent::reference(seq), &json);
        let mac = legacy_chain_mac(&legacy.audit, &prev, seq, &details);
        tx.append_audit(&AuditRow {
            seq,
            mac: mac.to_vec(),
            details,
            signer: None,
            signature: None,
            writes: None,
        })
        .unwrap();
        prev = mac;
    }
    tx.set_meta(
        chain::AUDIT_HEAD,
        &seal_legacy_head(&legacy.audit, n, &prev),
    )
    .unwrap();
    tx
}

/// A legacy prefix of 5, then 5 signed events: the migration (event 6, re-sealing
/// notes 1 to 5) by dr-a, who holds the legacy keys, then events 7 to 10.
fn migrated() -> MemTx {
    let tx = legacy_prefix(5);
    let keys = dr_a(true);
    let chain = Chain::new(&keys, VAULT_ID);
    chain
        .append(&tx, &[draft((1..=5).map(|id| write(id, 6)).collect())])
        .unwrap();
    append(&tx, &keys, 7, 10);
    tx
}

fn migrated_notes() -> Vec<(RecordRef, String)> {
    records(
        (1..=5)
            .map(|id| (id, 6))
            .chain((7..=10).map(|s| (s as u32, s))),
    )
}

#[test]
fn a_legacy_prefix_verifies_with_the_legacy_keys_and_is_counted_without() {
    let tx = legacy_prefix(5);
    assert!(
        Chain::new(&dr_a(true), VAULT_ID)
            .accepts_events(&tx)
            .unwrap()
    );
    assert!(
        !Chain::new(&dr_a(false), VAULT_ID)
            .accepts_events(&tx)
            .unwrap()
    );
    let report = verify(&tx, &dr_a(true), records((1..=5).map(|s| (s as u32, s))));
    assert!(report.is_intact(), "{:?}", report.findings);

    let tx = migrated();
    let report = verify(&tx, &dr_a(true), migrated_notes());
    assert!(report.is_intact(), "{:?}", report.findings);
    assert_eq!((report.events, report.legacy_unchecked), (10, 0));
    for keys in [dr_a(false), TestKeys::member("dr-b", true, false), biller()] {
        let report = verify(&tx, &keys, migrated_notes());
        assert!(report.is_intact(), "{:?}", report.findings);
        assert_eq!((report.events, report.legacy_unchecked), (10, 5));
        assert_eq!(
            Chain::new(&keys, VAULT_ID).anchor(&tx).unwrap(),
            report.anchor
        );
    }
    // The first signed event chains from the last legacy MAC as stored.
    let rows = tx.rows.borrow();
    let (last_legacy, first_signed) = (&rows[&5], &rows[&6]);
    assert_eq!(
        first_signed.mac,
        signed_chain_value(
            &last_legacy.mac,
            6,
            "dr-a",
            &first_signed.details,
            first_signed.writes.as_ref().unwrap()
        )
    );
    drop(rows);

    let log = Chain::new(&dr_a(true), VAULT_ID).events(&tx).unwrap();
    assert_eq!((log.events.len(), log.hidden), (10, 0));
    let log = Chain::new(&dr_a(false), VAULT_ID).events(&tx).unwrap();
    assert_eq!((log.events.len(), log.hidden), (5, 5));
    assert_eq!(log.events[0].seq, 6);
}

#[test]
fn tampering_with_a_migrated_trail_is_found() {
    let intact = migrated();
    let migrated = || intact.copy();
    // A legacy event altered: found with the legacy keys, not without.
    let tx = migrated();
    tx.edit(3, |row| flip(&mut row.details, 100));
    let report = verify(&tx, &dr_a(true), migrated_notes());
    assert!(
        report
            .findings
            .contains(&VerifyFinding::EventAltered { seq: 3 })
    );
    let report = verify(&tx, &biller(), migrated_notes());
    assert!(report.is_intact(), "{:?}", report.findings);
    assert_eq!(report.legacy_unchecked, 5);

    // The last legacy MAC altered: the first signed event no longer chains.
    let tx = migrated();
    tx.edit(5, |row| flip(&mut row.mac, 0));
    let report = verify(&tx, &biller(), migrated_notes());
    assert!(
        report
            .findings
            .contains(&VerifyFinding::EventAltered { seq: 6 })
    );

    // A signed event stripped of its signature, posing as a legacy one.
    let tx = migrated();
    tx.edit(8, |row| {
        row.signer = None;
        row.signature = None;
        row.writes = None;
    });
    for keys in [dr_a(true), biller()] {
        let report = verify(&tx, &keys, migrated_notes());
        assert!(
            report
                .findings
                .contains(&VerifyFinding::EventAltered { seq: 8 }),
            "{:?}",
            report.findings
        );
    }

    // The legacy prefix removed: the first signed event does not chain from the
    // genesis of a signed chain.
    let tx = migrated();
    for seq in 1..=5 {
        tx.rows.borrow_mut().remove(&seq);
    }
    let report = verify(&tx, &biller(), migrated_notes());
    assert!(
        report
            .findings
            .contains(&VerifyFinding::EventsMissing { from: 1, to: 5 })
    );
    assert!(
        report
            .findings
            .contains(&VerifyFinding::EventAltered { seq: 6 })
    );

    // A legacy head over a signed last event.
    let tx = migrated();
    let last = tx.last_audit().unwrap().unwrap();
    tx.set_meta(
        chain::AUDIT_HEAD,
        &seal_legacy_head(&legacy_keys().audit, 10, &last.mac),
    )
    .unwrap();
    let report = verify(&tx, &dr_a(true), migrated_notes());
    assert_eq!(
        report.findings,
        vec![VerifyFinding::HeadMismatch { last_seq: 10 }]
    );
}

#[test]
fn records_are_checked_against_the_signed_write_lists() {
    let tx = signed_chain(10);
    let mut digests = records((1..=10).map(|s| (s as u32, s)));
    digests[3].1 = sha256_hex(b"something else");
    digests.push((
        RecordRef::new(RecordKind::Note, "ffffffff", 1),
        sha256_hex(b"x"),
    ));
    digests.remove(6);
    let report = verify(&tx, &biller(), digests);
    assert_eq!(
        report.findings,
        vec![
            VerifyFinding::RecordChanged {
                record: "note 00000004 version 1".into()
            },
            VerifyFinding::RecordUnaudited {
                record: "note ffffffff version 1".into()
            },
            VerifyFinding::RecordMissing {
                record: "note 00000007 version 1".into()
            },
        ]
    );
}

fn destroy(id: u32) -> Target {
    Target {
        kind: "note".into(),
        id: format!("{id:08x}"),
        version: 1,
        access: TargetAccess::Delete,
        sha256: None,
    }
}

#[test]
fn a_destruction_ends_what_verify_expects_only_when_the_role_allows_it() {
    let tx = signed_chain(5);
    let reviewer = dr_a(false);
    Chain::new(&reviewer, VAULT_ID)
        .append(&tx, &[draft(vec![destroy(3)])])
        .unwrap();
    // Note 3 is gone and was destroyed: nothing to report.
    let all_but_3 = || records([(1, 1), (2, 2), (4, 4), (5, 5)]);
    let report = verify(&tx, &reviewer, all_but_3());
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    // Still in the file after its destruction: not audited any more.
    let report = verify(
        &tx,
        &reviewer,
        records([(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]),
    );
    assert_eq!(
        report.findings,
        vec![VerifyFinding::RecordUnaudited {
            record: "note 00000003 version 1".into()
        }]
    );
    // A destruction signed by a member whose role does not destroy records is
    // refused, and the record it removed is missing.
    let biller = biller();
    Chain::new(&biller, VAULT_ID)
        .append(&tx, &[draft(vec![destroy(4)])])
        .unwrap();
    let report = verify(&tx, &reviewer, records([(1, 1), (2, 2), (5, 5)]));
    assert_eq!(
        report.findings,
        vec![
            VerifyFinding::WriteNotAllowed {
                seq: 7,
                signer: "biller".into(),
                record: "the destruction of note 00000004".into(),
            },
            VerifyFinding::RecordMissing {
                record: "note 00000004 version 1".into()
            },
        ]
    );
}
