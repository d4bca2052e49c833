//! Test stand-ins for what the vault gives the audit layer: [`EventKeys`] for a member
//! of a small practice (details and write lists sealed with `record::seal` under fixed
//! keys, a roster of Ed25519 keys, optionally the legacy vault keys), and an in-memory
//! [`Transaction`] holding audit rows and named values, whose rows the tests tamper
//! with directly.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};

use ed25519_dalek::{SigningKey, VerifyingKey};
use secrecy::SecretBox;
use zeroize::Zeroizing;

use super::EventKeys;
use crate::base::{RecordKind, RecordRef};
use crate::crypto::keys::{RootSecret, VaultKeys};
use crate::crypto::record::{self, IntegrityError};
use crate::store::{AuditRow, GrantRow, RecordRow, StoreError, Transaction};

/// The practice's members, by name; each signs with a key from a fixed seed.
pub(crate) const MEMBERS: &[&str] = &["dr-a", "dr-b", "biller"];

fn signing_key(name: &str) -> SigningKey {
    let index = MEMBERS.iter().position(|m| *m == name).expect("a member") as u8;
    SigningKey::from_bytes(&[index + 1; 32])
}

fn fixed_key(byte: u8) -> SecretBox<[u8; 32]> {
    SecretBox::new(Box::new([byte; 32]))
}

/// One member's keys.
pub(crate) struct TestKeys {
    name: String,
    signing: SigningKey,
    roster: HashMap<String, VerifyingKey>,
    details: SecretBox<[u8; 32]>,
    writes: SecretBox<[u8; 32]>,
    /// Whether this member's role reviews the trail (reads every event's details).
    reviews: bool,
    legacy: Option<VaultKeys>,
}

impl TestKeys {
    /// `name`'s keys: `reviews` whether they read event details, `legacy` whether they
    /// hold the vault's keys from before practices.
    pub(crate) fn member(name: &str, reviews: bool, legacy: bool) -> Self {
        TestKeys {
            name: name.to_owned(),
            signing: signing_key(name),
            roster: MEMBERS
                .iter()
                .map(|m| (m.to_string(), signing_key(m).verifying_key()))
                .collect(),
            details: fixed_key(0x11),
            writes: fixed_key(0x22),
            reviews,
            legacy: legacy.then(legacy_keys),
        }
    }

    /// The signing key of `name`, to forge with.
    pub(crate) fn signing_key_of(name: &str) -> SigningKey {
        signing_key(name)
    }
}

/// The legacy vault keys every test vault was made with.
pub(crate) fn legacy_keys() -> VaultKeys {
    RootSecret::from_bytes(&[0x33; 32]).subkeys()
}

impl EventKeys for TestKeys {
    fn signer(&self) -> (&str, &SigningKey) {
        (&self.name, &self.signing)
    }

    fn may_write(&self, _: &str, _: &str, _: &str, _: u64) -> bool {
        true
    }

    /// Every member but the biller.
    fn may_destroy(&self, member: &str, _: u64) -> bool {
        member != "biller"
    }

    fn verifying_key(&self, member: &str, _seq: u64) -> Option<VerifyingKey> {
        self.roster.get(member).copied()
    }

    fn seal_details(&self, reference: &RecordRef, plain: &[u8]) -> Vec<u8> {
        record::seal(&self.details, reference, plain)
    }

    fn open_details(
        &self,
        reference: &RecordRef,
        sealed: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>, IntegrityError> {
        if !self.reviews {
            return Ok(None);
        }
        record::open(&self.details, reference, sealed).map(Some)
    }

    fn seal_writes(&self, reference: &RecordRef, plain: &[u8]) -> Vec<u8> {
        record::seal(&self.writes, reference, plain)
    }

    fn open_writes(
        &self,
        reference: &RecordRef,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, IntegrityError> {
        record::open(&self.writes, reference, sealed)
    }

    fn legacy(&self) -> Option<&VaultKeys> {
        self.legacy.as_ref()
    }
}

/// A copy of a row.
pub(crate) fn copy_row(row: &AuditRow) -> AuditRow {
    AuditRow {
        seq: row.seq,
        mac: row.mac.clone(),
        details: row.details.clone(),
        signer: row.signer.clone(),
        signature: row.signature.clone(),
        writes: row.writes.clone(),
    }
}

/// Audit rows and named values in memory; nothing else is stored.
#[derive(Default)]
pub(crate) struct MemTx {
    pub(crate) rows: RefCell<BTreeMap<u64, AuditRow>>,
    pub(crate) meta: RefCell<HashMap<String, Vec<u8>>>,
    /// When not zero, the most rows a page of a scan returns: small, so that a walk
    /// crosses chunks.
    pub(crate) page: Cell<usize>,
}

impl MemTx {
    /// A copy of everything stored, to tamper with.
    pub(crate) fn copy(&self) -> MemTx {
        MemTx {
            rows: RefCell::new(
                self.rows
                    .borrow()
                    .values()
                    .map(|r| (r.seq, copy_row(r)))
                    .collect(),
            ),
            meta: self.meta.clone(),
            page: self.page.clone(),
        }
    }

    /// Changes the stored row `seq`.
    pub(crate) fn edit(&self, seq: u64, f: impl FnOnce(&mut AuditRow)) {
        f(self
            .rows
            .borrow_mut()
            .get_mut(&seq)
            .expect("the row exists"));
    }
}

type StoreResult<T> = std::result::Result<T, StoreError>;

impl Transaction for MemTx {
    fn commit(self: Box<Self>) -> StoreResult<()> {
        Ok(())
    }
    fn meta(&self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.meta.borrow().get(name).cloned())
    }
    fn set_meta(&self, name: &str, value: &[u8]) -> StoreResult<()> {
        self.meta
            .borrow_mut()
            .insert(name.to_owned(), value.to_vec());
        Ok(())
    }
    fn set_keyslot(&self, _: &str, _: &[u8]) -> StoreResult<()> {
        unimplemented!()
    }
    fn count_audit_upto(&self, _: u64) -> StoreResult<u64> {
        unimplemented!()
    }
    fn all_meta(&self) -> StoreResult<Vec<(String, Vec<u8>)>> {
        unimplemented!()
    }
    fn delete_meta_tree(&self, _: &str) -> StoreResult<u64> {
        unimplemented!()
    }
    fn all_grants(&self) -> StoreResult<Vec<GrantRow>> {
        unimplemented!()
    }
    fn failed_unlocks(&self) -> StoreResult<Vec<(String, String)>> {
        unimplemented!()
    }
    fn add_failed_unlock(&self, _: &str, _: &str) -> StoreResult<()> {
        unimplemented!()
    }
    fn keyslots(&self) -> StoreResult<Vec<(String, Vec<u8>)>> {
        unimplemented!()
    }
    fn insert_record(&self, _: &RecordRef, _: &[u8]) -> StoreResult<()> {
        unimplemented!()
    }
    fn record_exists(&self, _: RecordKind, _: &str) -> StoreResult<bool> {
        unimplemented!()
    }
    fn count_records(&self, _: RecordKind) -> StoreResult<u64> {
        unimplemented!()
    }
    fn record(&self, _: &RecordRef) -> StoreResult<Option<RecordRow>> {
        unimplemented!()
    }
    fn latest_record(&self, _: RecordKind, _: &str) -> StoreResult<Option<RecordRow>> {
        unimplemented!()
    }
    fn latest_records_page(
        &self,
        _: RecordKind,
        _: &str,
        _: Option<usize>,
    ) -> StoreResult<Vec<RecordRow>> {
        unimplemented!()
    }
    fn records_after(
        &self,
        _: Option<&RecordRef>,
        _: usize,
        _: usize,
    ) -> StoreResult<Vec<RecordRow>> {
        unimplemented!()
    }
    fn append_audit(&self, row: &AuditRow) -> StoreResult<()> {
        let mut rows = self.rows.borrow_mut();
        assert!(!rows.contains_key(&row.seq), "event {} exists", row.seq);
        rows.insert(row.seq, copy_row(row));
        Ok(())
    }
    fn last_audit(&self) -> StoreResult<Option<AuditRow>> {
        Ok(self.rows.borrow().values().next_back().map(copy_row))
    }
    fn audit_rows_after(
        &self,
        after_seq: Option<u64>,
        limit: usize,
        _max_bytes: usize,
    ) -> StoreResult<Vec<AuditRow>> {
        let rows = self.rows.borrow();
        let start = after_seq.map_or(0, |s| s + 1);
        let limit = match self.page.get() {
            0 => limit,
            page => page.min(limit),
        };
        Ok(rows
            .range(start..)
            .take(limit)
            .map(|(_, r)| copy_row(r))
            .collect())
    }
    fn set_grant(&self, _: &GrantRow) -> StoreResult<()> {
        unimplemented!()
    }
    fn grant(&self, _: &str, _: &str) -> StoreResult<Option<GrantRow>> {
        unimplemented!()
    }
    fn grant_exists(&self, _: &str) -> StoreResult<bool> {
        unimplemented!()
    }
    fn grants_of(&self, _: &str, _: &str) -> StoreResult<Vec<GrantRow>> {
        unimplemented!()
    }
    fn delete_grants(&self, _: &str, _: Option<&str>) -> StoreResult<u64> {
        unimplemented!()
    }
    fn destroy_compartment(&self, _: &str) -> StoreResult<u64> {
        unimplemented!()
    }
    fn destroy_record(&self, _: RecordKind, _: &str) -> StoreResult<u32> {
        unimplemented!()
    }
    fn replace_record(&self, _: &RecordRef, _: &[u8]) -> StoreResult<()> {
        unimplemented!()
    }
    fn take_failed_unlocks(&self) -> StoreResult<Vec<(String, String)>> {
        unimplemented!()
    }
}
