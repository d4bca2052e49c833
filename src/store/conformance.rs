//! What every backend must do, as tests: the guarantees written on [`Backend`] and
//! [`Transaction`], checked through the traits alone, so a second backend runs the same
//! checks by adding one line to [`backends`].

use super::{AuditRow, Backend, StoreError, Transaction};
use crate::base::{RecordKind, RecordRef};

/// A fresh, empty vault of one backend: the backend, a way to open the same vault
/// again (as another process would), and what keeps it alive (its directory).
struct Fixture {
    backend: Box<dyn Backend>,
    reopen: Box<dyn Fn() -> Box<dyn Backend>>,
    _dir: tempfile::TempDir,
}

/// One fixture of each backend.
fn backends() -> Vec<Fixture> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("vault");
    let sqlite = super::SqliteStore::create(&path).expect("a new vault");
    let mut fixtures = vec![Fixture {
        backend: Box::new(sqlite),
        reopen: Box::new(move || {
            Box::new(super::SqliteStore::open(&path).expect("the vault opens again"))
        }),
        _dir: dir,
    }];
    // A vault file whose `records` table has the layout vaults were made with before
    // (WITHOUT ROWID): the same statements must keep every guarantee on it.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("vault");
    let earlier = super::SqliteStore::create_with_earlier_records(&path).expect("a new vault");
    fixtures.push(Fixture {
        backend: Box::new(earlier),
        reopen: Box::new(move || {
            Box::new(super::SqliteStore::open(&path).expect("the vault opens again"))
        }),
        _dir: dir,
    });
    // The server backend, on a private PostgreSQL the tests start (skipped with a
    // note where its programs are missing, unless CASEVAULT_REQUIRE_POSTGRES=1).
    #[cfg(feature = "server")]
    if let Some(server) = casevault_pgtest::PgServer::shared() {
        let url = server.url(&server.create_database());
        let location =
            super::Location::parse(std::ffi::OsStr::new(&url)).expect("a server address");
        let super::Location::Server(address) = location else {
            panic!("{url} reads as a server address");
        };
        let pg = super::postgres::PgStore::create(&address).expect("a new server vault");
        fixtures.push(Fixture {
            backend: Box::new(pg),
            reopen: Box::new(move || {
                Box::new(super::postgres::PgStore::open(&address).expect("the vault opens again"))
            }),
            _dir: tempfile::tempdir().expect("a temporary directory"),
        });
    }
    fixtures
}

fn grant(member: &str, compartment: &str, form: &str, wrapped: &[u8]) -> crate::store::GrantRow {
    crate::store::GrantRow {
        member: member.into(),
        compartment: compartment.into(),
        form: form.into(),
        wrapped: wrapped.to_vec(),
    }
}

fn note(id: &str, version: u32) -> RecordRef {
    RecordRef::new(RecordKind::Note, id, version)
}

fn event(seq: u64, details: &[u8]) -> AuditRow {
    AuditRow {
        seq,
        mac: vec![seq as u8; 32],
        details: details.to_vec(),
        signer: None,
        signature: None,
        writes: None,
    }
}

fn in_tx<T>(backend: &mut dyn Backend, f: impl FnOnce(&dyn Transaction) -> T) -> T {
    let tx = backend.begin().expect("a transaction");
    let value = f(&*tx);
    tx.commit().expect("a commit");
    value
}

#[test]
fn a_commit_keeps_and_a_dropped_transaction_discards() {
    for Fixture { mut backend, .. } in backends() {
        in_tx(&mut *backend, |tx| {
            tx.insert_record(&note("a", 1), b"kept").unwrap();
            tx.set_meta("name", b"kept").unwrap();
        });
        {
            let tx = backend.begin().unwrap();
            tx.insert_record(&note("b", 1), b"dropped").unwrap();
            tx.set_meta("name", b"dropped").unwrap();
            tx.append_audit(&event(1, b"dropped")).unwrap();
            // Dropped without a commit.
        }
        in_tx(&mut *backend, |tx| {
            assert_eq!(
                tx.record(&note("a", 1)).unwrap().unwrap().ciphertext,
                b"kept"
            );
            assert!(!tx.record_exists(RecordKind::Note, "b").unwrap());
            assert_eq!(tx.meta("name").unwrap().as_deref(), Some(&b"kept"[..]));
            assert!(tx.last_audit().unwrap().is_none());
        });
    }
}

#[test]
fn records_and_events_are_insert_only() {
    for Fixture { mut backend, .. } in backends() {
        in_tx(&mut *backend, |tx| {
            tx.insert_record(&note("a", 1), b"first").unwrap();
            tx.append_audit(&event(1, b"first")).unwrap();
        });
        let tx = backend.begin().unwrap();
        assert!(tx.insert_record(&note("a", 1), b"second").is_err());
        assert!(tx.append_audit(&event(1, b"second")).is_err());
        drop(tx);
        in_tx(&mut *backend, |tx| {
            assert_eq!(
                tx.record(&note("a", 1)).unwrap().unwrap().ciphertext,
                b"first"
            );
            assert_eq!(tx.last_audit().unwrap().unwrap().details, b"first");
        });
    }
}

#[test]
fn bytes_come_back_as_stored_and_versions_in_order() {
    let odd: Vec<u8> = (0..=255).collect();
    for Fixture { mut backend, .. } in backends() {
        in_tx(&mut *backend, |tx| {
            for (id, version) in [("b", 1), ("a", 2), ("a", 1), ("c", 1), ("a", 10)] {
                let mut bytes = odd.clone();
                bytes.extend(format!("{id}{version}").bytes());
                tx.insert_record(&note(id, version), &bytes).unwrap();
            }
            tx.insert_record(&RecordRef::new(RecordKind::Client, "a", 1), b"client")
                .unwrap();
        });
        in_tx(&mut *backend, |tx| {
            let latest = tx.latest_record(RecordKind::Note, "a").unwrap().unwrap();
            assert_eq!(latest.reference, note("a", 10));
            assert!(latest.ciphertext.starts_with(&odd));
            assert_eq!(tx.count_records(RecordKind::Note).unwrap(), 3);
            let page = tx
                .latest_records_page(RecordKind::Note, "a", Some(1))
                .unwrap();
            assert_eq!(page.len(), 1);
            assert_eq!(page[0].reference, note("b", 1));
            assert!(tx.latest_record(RecordKind::Note, "z").unwrap().is_none());
        });
    }
}

#[test]
fn pages_follow_the_key_order_and_stop_at_their_limits() {
    for Fixture { mut backend, .. } in backends() {
        in_tx(&mut *backend, |tx| {
            for id in ["d", "a", "c", "b"] {
                for version in [2, 1] {
                    tx.insert_record(&note(id, version), &[0u8; 100]).unwrap();
                }
            }
            for seq in [3, 1, 2, 5, 4] {
                tx.append_audit(&event(seq, &[0u8; 100])).unwrap();
            }
        });
        in_tx(&mut *backend, |tx| {
            let mut seen = Vec::new();
            tx.records_chunked(3, |rows| -> Result<(), StoreError> {
                assert!(rows.len() <= 3);
                seen.extend(
                    rows.into_iter()
                        .map(|r| (r.reference.id, r.reference.version)),
                );
                Ok(())
            })
            .unwrap();
            let expected: Vec<(String, u32)> = ["a", "b", "c", "d"]
                .iter()
                .flat_map(|id| [(id.to_string(), 1), (id.to_string(), 2)])
                .collect();
            assert_eq!(seen, expected);

            let mut seqs = Vec::new();
            tx.audit_rows_chunked(2, |rows| -> Result<(), StoreError> {
                seqs.push(rows.iter().map(|r| r.seq).collect::<Vec<_>>());
                Ok(())
            })
            .unwrap();
            assert_eq!(seqs, vec![vec![1, 2], vec![3, 4], vec![5]]);

            // The byte limit ends a page at the row that reaches it.
            let rows = tx.records_after(None, 100, 150).unwrap();
            assert_eq!(rows.len(), 2);
            let rows = tx.audit_rows_after(Some(3), 100, 1).unwrap();
            assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![4]);
        });
    }
}

#[test]
fn one_write_transaction_at_a_time() {
    for Fixture {
        mut backend,
        reopen,
        ..
    } in backends()
    {
        let mut other = reopen();
        let held = backend.begin().unwrap();
        // Another opener of the same vault waits for the lock, then gives up.
        match other.begin() {
            Err(StoreError::Busy) => {}
            Err(e) => panic!("expected Busy, got {e}"),
            Ok(_) => panic!("a second write transaction began while one was open"),
        }
        held.commit().unwrap();
        // Once the first has ended, the other may write.
        other.begin().unwrap().commit().unwrap();
    }
}

#[test]
fn grants_are_per_member_and_compartment_and_replace_only_their_own() {
    for Fixture { mut backend, .. } in backends() {
        in_tx(&mut *backend, |tx| {
            tx.set_grant(&grant("ada", "c1", "x25519", b"to ada"))
                .unwrap();
            tx.set_grant(&grant("ada", "c2", "x25519", b"to ada 2"))
                .unwrap();
            tx.set_grant(&grant("ben", "c1", "own", b"ben's")).unwrap();
            // Taken in: the same grant, rewrapped.
            tx.set_grant(&grant("ada", "c1", "own", b"ada's")).unwrap();
        });
        in_tx(&mut *backend, |tx| {
            assert_eq!(
                tx.grant("ada", "c1").unwrap(),
                Some(grant("ada", "c1", "own", b"ada's"))
            );
            assert_eq!(tx.grant("ben", "c2").unwrap(), None);
            assert_eq!(
                tx.grants_of("ada", "x25519").unwrap(),
                vec![grant("ada", "c2", "x25519", b"to ada 2")]
            );
            assert!(tx.grant_exists("c2").unwrap());
            assert!(!tx.grant_exists("c3").unwrap());
            assert_eq!(tx.delete_grants("ada", Some("c2")).unwrap(), 1);
            assert!(!tx.grant_exists("c2").unwrap());
            assert_eq!(tx.delete_grants("ben", None).unwrap(), 1);
            assert_eq!(tx.grant("ada", "c1").unwrap().unwrap().wrapped, b"ada's");
        });
    }
}

#[test]
fn destruction_removes_every_version_and_every_grant_of_what_it_names_only() {
    for Fixture { mut backend, .. } in backends() {
        in_tx(&mut *backend, |tx| {
            for (id, version) in [("a", 1), ("a", 2), ("a", 3), ("b", 1)] {
                tx.insert_record(&note(id, version), b"sealed").unwrap();
            }
            tx.set_grant(&grant("ada", "c1", "own", b"ada's")).unwrap();
            tx.set_grant(&grant("ben", "c1", "x25519", b"to ben"))
                .unwrap();
            tx.set_grant(&grant("ben", "c2", "own", b"ben's")).unwrap();
        });
        in_tx(&mut *backend, |tx| {
            assert_eq!(tx.destroy_record(RecordKind::Note, "a").unwrap(), 3);
            assert_eq!(tx.destroy_compartment("c1").unwrap(), 2);
        });
        in_tx(&mut *backend, |tx| {
            assert!(!tx.record_exists(RecordKind::Note, "a").unwrap());
            assert!(tx.record_exists(RecordKind::Note, "b").unwrap());
            assert!(!tx.grant_exists("c1").unwrap());
            assert_eq!(tx.grant("ben", "c2").unwrap().unwrap().wrapped, b"ben's");
            // Nothing left to destroy: none, not an error.
            assert_eq!(tx.destroy_record(RecordKind::Note, "a").unwrap(), 0);
        });
    }
}

#[test]
fn only_replace_changes_a_stored_record_and_only_one_that_exists() {
    for Fixture { mut backend, .. } in backends() {
        in_tx(&mut *backend, |tx| {
            tx.insert_record(&note("a", 1), b"first").unwrap();
        });
        in_tx(&mut *backend, |tx| {
            tx.replace_record(&note("a", 1), b"sealed again").unwrap();
            assert!(
                tx.replace_record(&note("a", 2), b"no such version")
                    .is_err()
            );
            assert_eq!(
                tx.record(&note("a", 1)).unwrap().unwrap().ciphertext,
                b"sealed again"
            );
            assert!(!tx.record_exists(RecordKind::Note, "b").unwrap());
        });
    }
}

#[test]
fn named_values_are_deleted_by_tree() {
    for Fixture { mut backend, .. } in backends() {
        let names = [
            "index/a",
            "index/a/1",
            "index/a/2",
            "index/ab",
            "index/a0",
            "index/b/1",
            "vault_id",
        ];
        in_tx(&mut *backend, |tx| {
            for name in names {
                tx.set_meta(name, name.as_bytes()).unwrap();
            }
            assert_eq!(tx.delete_meta_tree("index/a").unwrap(), 3);
            assert_eq!(tx.delete_meta_tree("index/none").unwrap(), 0);
        });
        in_tx(&mut *backend, |tx| {
            let left: Vec<String> = tx.all_meta().unwrap().into_iter().map(|(n, _)| n).collect();
            assert_eq!(left, ["index/a0", "index/ab", "index/b/1", "vault_id"]);
        });
    }
}
