//! [`Access`]: what an operation may do inside [`Session::access`](super::Session):
//! read and write records, each access noted as a target of its audit event.

use rayon::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::events::open_event_writes;
use super::seal::{Sealed, Sealer, open_json, random_id};
use super::{AUDIT_HEAD, CHUNK, PAGE, VAULT_ID};
use crate::audit::{self, Outcome, Target, TargetAccess};
use crate::base::Date;
use crate::base::{RecordKind, RecordRef};
use crate::crypto::keys::VaultKeys;
use crate::error::Error;
use crate::model::client::Client;
use crate::model::note::Note;
use crate::store::scan;
use crate::store::{RecordRow, StoreError, Tx};

type Result<T> = std::result::Result<T, Error>;

/// Refuses a date outside what casevault keeps ([`Date::in_range`]), naming what it is:
/// dates from the library's callers are bounded as those typed on the command line are.
pub(crate) fn check_dates(dates: &[(&str, Option<Date>)]) -> Result<()> {
    for (what, date) in dates {
        if let Some(date) = date
            && !date.in_range()
        {
            return Err(Error::InvalidInput(format!(
                "the {what} {date} is outside the dates casevault keeps ({} to {}); check the year",
                Date::EARLIEST,
                Date::LATEST
            )));
        }
    }
    Ok(())
}

/// A note body without the byte-order mark some editors start a file with: it is
/// the file's encoding, not text, and left in place it would hide a first-line
/// section heading from the splitter (and have the note refused).
pub(super) fn without_bom(body: &str) -> &str {
    body.strip_prefix('\u{feff}').unwrap_or(body)
}

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
    pub(crate) tx: &'a Tx<'c>,
    pub(super) keys: &'a VaultKeys,
    pub(super) targets: Vec<Target>,
    /// The purpose the operation states, for its audit event.
    pub(crate) purpose: Option<String>,
    /// The outcome to record when the operation succeeds (default `ok`), e.g. a
    /// decision's `denied`.
    pub(crate) outcome: Option<Outcome>,
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
        use std::collections::HashMap;
        // The newest version written of each record read, by kind then id.
        let mut newest: HashMap<&str, HashMap<&str, u32>> = HashMap::new();
        for t in self
            .targets
            .iter()
            .filter(|t| t.access == TargetAccess::Read)
        {
            newest.entry(&t.kind).or_default().insert(&t.id, 0);
        }
        let keys = self.keys;
        let read = &newest;
        let mut written: Vec<(String, String, u32)> = Vec::new();
        // The whole chain is checked on the way, failing closed: an event removed,
        // altered or unreadable could be hiding the write of a newer version.
        let vault_id = self
            .tx
            .meta(VAULT_ID)?
            .ok_or_else(|| StoreError::Corrupt("the vault identifier is missing".into()))?;
        let mut prev = audit::genesis(&keys.audit, &vault_id);
        let (mut expected, mut last_seq, mut last_mac) = (1u64, 0u64, prev);
        let mut broken: Option<u64> = None;
        // A chunk of events at a time, so memory is bounded by a chunk, not the trail;
        // the next chunk is read while the one before is checked and decrypted.
        scan::overlapped(
            |next| {
                self.tx.audit_rows_chunked(CHUNK, |rows| {
                    let chunk_prev = prev;
                    prev = rows.last().map_or(prev, audit::stored_mac);
                    next((chunk_prev, rows))
                })
            },
            |(prev, rows)| {
                audit::check_events(&keys.audit, prev, rows, |row| open_event_writes(keys, row))
            },
            |checked| -> Result<()> {
                for (row, mac_ok, writes) in checked.into_rows() {
                    if row.seq != expected || !mac_ok || writes.is_none() {
                        broken.get_or_insert(row.seq.min(expected));
                    }
                    expected = row.seq + 1;
                    last_seq = row.seq;
                    last_mac = audit::stored_mac(&row);
                    written.extend(
                        writes
                            .into_iter()
                            .flatten()
                            .filter(|t| {
                                t.access == TargetAccess::Write
                                    && read
                                        .get(t.kind.as_str())
                                        .is_some_and(|ids| ids.contains_key(t.id.as_str()))
                            })
                            .map(|t| (t.kind, t.id, t.version)),
                    );
                }
                Ok(())
            },
        )?;
        if let Some(seq) = broken {
            return Err(Error::AuditTrailBroken { seq });
        }
        let head_ok = match self.tx.meta(AUDIT_HEAD)? {
            Some(head) => audit::open_head(&keys.audit, &head)
                .is_some_and(|(seq, mac)| seq == last_seq && bool::from(mac.ct_eq(&last_mac[..]))),
            None => last_seq == 0,
        };
        if !head_ok {
            return Err(Error::AuditHeadMismatch);
        }
        for (kind, id, version) in &written {
            if let Some(v) = newest
                .get_mut(kind.as_str())
                .and_then(|ids| ids.get_mut(id.as_str()))
            {
                *v = (*v).max(*version);
            }
        }
        for t in self
            .targets
            .iter()
            .filter(|t| t.access == TargetAccess::Read)
        {
            if let Some(&written) = newest
                .get(t.kind.as_str())
                .and_then(|ids| ids.get(t.id.as_str()))
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
