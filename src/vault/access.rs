//! [`Access`]: what an operation may do inside [`Session::access`](super::Session):
//! read and write records, each access noted as a target of its audit event.

use rayon::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::seal::{Sealed, Sealer, open_json, random_id};
use super::signing::SessionKeys;
use crate::audit::{self, AuditEvent, Chain, Outcome, Target, TargetAccess, Verifier};
use crate::base::{RecordKind, RecordRef};
use crate::crypto::keys::VaultKeys;
use crate::error::Error;
use crate::model::client::Client;
use crate::model::note::Note;
use crate::store::scan;
use crate::store::{RecordRow, StoreError, Transaction};

type Result<T> = std::result::Result<T, Error>;

/// The vault's identifier among its named values.
pub(crate) const VAULT_ID: &str = "vault_id";

/// Records decrypted at a time by scans of the notes (search, a decision, import's
/// look for earlier imports): enough to keep every core busy, few enough that memory
/// stays bounded (two pages are held while the next is read).
pub(crate) const PAGE: usize = 1024;

/// The target that records a read of `reference`.
pub(super) fn read_target(reference: RecordRef) -> Target {
    Target {
        kind: reference.kind.as_str().into(),
        id: reference.id,
        version: reference.version,
        access: TargetAccess::Read,
        sha256: None,
    }
}

/// What an operation may do inside [`Session::access`]: read and write records, each
/// access noted as a target of the operation's audit event.
pub(crate) struct Access<'a, 'c> {
    /// Storage, reached only through this type's methods, so every read is noted.
    tx: &'a (dyn Transaction + 'c),
    pub(super) keys: &'a VaultKeys,
    /// The session's keys: the member's signing key, the chain's keys.
    pub(super) session: &'a SessionKeys,
    pub(super) targets: Vec<Target>,
    /// The purpose the operation states, for its audit event.
    pub(crate) purpose: Option<String>,
    /// The outcome to record when the operation succeeds (default `ok`), e.g. a
    /// decision's `denied`.
    pub(crate) outcome: Option<Outcome>,
}

impl<'a, 'c> Access<'a, 'c> {
    /// An operation's access, in `tx`, under `keys`: nothing read or written yet.
    pub(super) fn new(tx: &'a (dyn Transaction + 'c), session: &'a SessionKeys) -> Self {
        Access {
            tx,
            keys: &session.vault,
            session,
            targets: Vec::new(),
            purpose: None,
            outcome: None,
        }
    }
}

impl Access<'_, '_> {
    pub(crate) fn decrypt<T: DeserializeOwned>(&mut self, row: &RecordRow) -> Result<T> {
        self.note_read(row);
        open_json(self.keys, row)
    }

    /// Checks that every record this operation read is the newest version the audit
    /// trail says was written: a newest version deleted from the file (a revocation,
    /// a stricter policy, an edit) must not silently count as never written. Costs a
    /// pass over the audit trail, so it guards what releases information.
    pub(crate) fn check_reads_are_latest(&self) -> Result<()> {
        let reads = || {
            self.targets
                .iter()
                .filter(|t| t.access == TargetAccess::Read)
        };
        let vault_id = self
            .tx
            .meta(VAULT_ID)?
            .ok_or_else(|| StoreError::Corrupt("the vault identifier is missing".into()))?;
        // `audit verify`'s own walk, keeping only the writes of the records read. The
        // whole chain is checked on the way, failing closed: an event removed, altered
        // or unreadable could be hiding the write of a newer version.
        let mut verifier = Verifier::new(&self.keys.audit, &vault_id, None)
            .only(reads().filter_map(|t| Some((RecordKind::parse(&t.kind)?, t.id.clone()))));
        Chain::new(self.session, &vault_id).verify_events::<Error>(self.tx, &mut verifier)?;
        if let Some(seq) = verifier.first_broken_event() {
            return Err(Error::AuditTrailBroken { seq });
        }
        if verifier.head_mismatch() {
            return Err(Error::AuditHeadMismatch);
        }
        for t in reads() {
            if let Some(written) =
                RecordKind::parse(&t.kind).and_then(|kind| verifier.newest_audited(kind, &t.id))
                && written > t.version
            {
                return Err(Error::RolledBack {
                    record: format!("{} {}", t.kind, t.id),
                    read: t.version,
                    written,
                });
            }
        }
        Ok(())
    }

    /// Checks, as [`Access::check_reads_are_latest`] does, that the audit trail records
    /// no write of any version of the record `kind`/`id`, which the file does not hold:
    /// a record deleted from the file must not count as never written.
    pub(crate) fn check_never_written(&mut self, kind: RecordKind, id: &str) -> Result<()> {
        self.targets.push(read_target(RecordRef::new(kind, id, 0)));
        let checked = self.check_reads_are_latest();
        self.targets.pop();
        checked
    }

    fn note_read(&mut self, row: &RecordRow) {
        self.targets.push(read_target(row.reference.clone()));
    }

    /// Decrypts many records across every core.
    fn decrypt_many<T: DeserializeOwned + Send>(&mut self, rows: &[RecordRow]) -> Result<Vec<T>> {
        for row in rows {
            self.note_read(row);
        }
        let keys = self.keys;
        rows.par_iter().map(|row| open_json(keys, row)).collect()
    }

    /// Decrypts the newest version of every record of `kind`, a page at a time, and
    /// hands each page to `f`: memory stays bounded by the page, not the vault.
    pub(crate) fn for_each_page<T: DeserializeOwned + Send>(
        &mut self,
        kind: RecordKind,
        mut f: impl FnMut(Vec<T>) -> Result<()>,
    ) -> Result<()> {
        let tx = self.tx;
        let keys = self.keys;
        let targets = &mut self.targets;
        // The next page is read while the one before is decrypted.
        scan::overlapped(
            |next| -> Result<()> {
                let mut after = String::new();
                loop {
                    let rows = tx.latest_records_page(kind, &after, Some(PAGE))?;
                    let Some(last) = rows.last() else {
                        return Ok(());
                    };
                    after = last.reference.id.clone();
                    let full = rows.len() == PAGE;
                    next(rows)?;
                    if !full {
                        return Ok(());
                    }
                }
            },
            |rows: Vec<RecordRow>| {
                let values: Result<Vec<T>> =
                    rows.par_iter().map(|row| open_json(keys, row)).collect();
                let references: Vec<RecordRef> = rows.into_iter().map(|r| r.reference).collect();
                (references, values)
            },
            |(references, values)| {
                // Every record of the page counts as read, as in `decrypt_many`.
                for reference in references {
                    targets.push(read_target(reference));
                }
                f(values?)
            },
        )
    }

    /// Decrypts again records this operation has already read (and noted as read):
    /// a second pass over them, a page at a time, where holding them all from the
    /// first would cost the memory of the whole set.
    pub(crate) fn read_again<T: DeserializeOwned + Send>(
        &self,
        references: &[RecordRef],
    ) -> Result<Vec<T>> {
        let rows = references
            .iter()
            .map(|r| {
                self.tx.record(r)?.ok_or_else(|| {
                    Error::from(StoreError::Corrupt(format!(
                        "{r} disappeared while it was being read"
                    )))
                })
            })
            .collect::<Result<Vec<RecordRow>>>()?;
        let keys = self.keys;
        rows.par_iter().map(|row| open_json(keys, row)).collect()
    }

    /// One version of one record, still sealed ([`Access::decrypt`] opens it).
    pub(crate) fn record(&self, reference: &RecordRef) -> Result<Option<RecordRow>> {
        Ok(self.tx.record(reference)?)
    }

    /// The newest version of one record, still sealed ([`Access::decrypt`] opens it).
    pub(crate) fn latest_record(&self, kind: RecordKind, id: &str) -> Result<Option<RecordRow>> {
        Ok(self.tx.latest_record(kind, id)?)
    }

    /// True when some version of the record exists.
    pub(crate) fn record_exists(&self, kind: RecordKind, id: &str) -> Result<bool> {
        Ok(self.tx.record_exists(kind, id)?)
    }

    /// How many records (not versions) of `kind` there are.
    pub(crate) fn count_records(&self, kind: RecordKind) -> Result<u64> {
        Ok(self.tx.count_records(kind)?)
    }

    /// Every audit event, oldest first, decrypted.
    pub(super) fn audit_events(&self, vault_id: &[u8]) -> Result<Vec<AuditEvent>> {
        Ok(Chain::new(self.session, vault_id).events(self.tx)?)
    }

    /// Sets one of the vault's named values (its identifier, its key check).
    pub(super) fn set_meta(&self, name: &str, value: &[u8]) -> Result<()> {
        Ok(self.tx.set_meta(name, value)?)
    }

    pub(crate) fn read_latest<T: DeserializeOwned>(
        &mut self,
        kind: RecordKind,
        id: &str,
    ) -> Result<Option<T>> {
        match self.tx.latest_record(kind, id)? {
            Some(row) => self.decrypt(&row).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn read_all<T: DeserializeOwned + Send>(
        &mut self,
        kind: RecordKind,
    ) -> Result<Vec<T>> {
        let rows = self.tx.latest_records(kind)?;
        self.decrypt_many(&rows)
    }

    pub(crate) fn write<T: Serialize>(&mut self, reference: RecordRef, value: &T) -> Result<()> {
        let sealed = Sealer { keys: self.keys }.seal(reference, value)?;
        self.write_sealed(sealed)
    }

    /// Writes a record sealed beforehand ([`Sealer`]).
    pub(crate) fn write_sealed(&mut self, sealed: Sealed) -> Result<()> {
        let Sealed {
            reference,
            ciphertext,
            sha256,
        } = sealed;
        self.tx.insert_record(&reference, &ciphertext)?;
        self.targets.push(Target {
            kind: reference.kind.as_str().into(),
            id: reference.id,
            version: reference.version,
            access: TargetAccess::Write,
            sha256: Some(sha256),
        });
        Ok(())
    }

    /// Writes a record already sealed (under a key other than the vault's: a member's
    /// private keys, under their personal key).
    pub(crate) fn write_raw(&mut self, reference: RecordRef, ciphertext: Vec<u8>) -> Result<()> {
        let sha256 = audit::sha256_hex(&ciphertext);
        self.write_sealed(Sealed {
            reference,
            ciphertext,
            sha256,
        })
    }

    /// Writes a note version as its record holds it: the body once, no sections.
    pub(crate) fn write_note(&mut self, note: &Note) -> Result<()> {
        let reference = RecordRef::new(RecordKind::Note, &note.id, note.version);
        self.write(reference, &note.record())
    }

    /// Stores a keyslot; the event keeps its digest so `audit verify` catches an old
    /// keyslot put back.
    pub(super) fn write_keyslot(&mut self, name: &str, keyslot: &[u8]) -> Result<()> {
        self.tx.set_keyslot(name, keyslot)?;
        self.targets.push(Target {
            kind: audit::KEYSLOT_TARGET.into(),
            id: name.to_owned(),
            version: 1,
            access: TargetAccess::Write,
            sha256: Some(audit::sha256_hex(keyslot)),
        });
        Ok(())
    }

    pub(crate) fn new_id(&self, kind: RecordKind) -> Result<String> {
        loop {
            let id = random_id();
            if !self.tx.record_exists(kind, &id)? {
                return Ok(id);
            }
        }
    }

    pub(crate) fn client(&mut self, id: &str) -> Result<Client> {
        self.read_latest(RecordKind::Client, id)?
            .ok_or_else(|| Error::ClientNotFound(id.to_owned()))
    }

    pub(crate) fn note(&mut self, id: &str) -> Result<Note> {
        let note: Note = self
            .read_latest(RecordKind::Note, id)?
            .ok_or_else(|| Error::NoteNotFound(id.to_owned()))?;
        Ok(note)
    }
}
