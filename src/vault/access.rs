//! [`Access`]: what an operation may do inside [`Session::access`](super::Session):
//! read and write records, each access noted as a target of its audit event.

use rayon::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use zeroize::Zeroizing;

use super::index;
use super::keyring::Keyring;
use super::parts;
use super::seal::{Sealed, random_id, to_json};
use crate::audit::{self, AuditEvent, Chain, Outcome, Target, TargetAccess, Verifier};
use crate::base::{RecordKind, RecordRef};
use crate::error::Error;
use crate::model::client::Client;
use crate::model::note::Note;
use crate::model::practice::Compartment;
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
    /// What the member's passphrase opened: every record is read and written through it.
    pub(super) ring: &'a Keyring,
    pub(super) targets: Vec<Target>,
    /// The purpose the operation states, for its audit event.
    pub(crate) purpose: Option<String>,
    /// The outcome to record when the operation succeeds (default `ok`), e.g. a
    /// decision's `denied`.
    pub(crate) outcome: Option<Outcome>,
    /// The note versions written, for the search index: added when the operation
    /// succeeds, in its transaction.
    pub(super) index: Vec<index::Entry>,
}

impl<'a, 'c> Access<'a, 'c> {
    /// An operation's access, in `tx`, under `keys`: nothing read or written yet.
    pub(super) fn new(tx: &'a (dyn Transaction + 'c), ring: &'a Keyring) -> Self {
        Access {
            tx,
            ring,
            targets: Vec::new(),
            purpose: None,
            outcome: None,
            index: Vec::new(),
        }
    }
}

impl Access<'_, '_> {
    pub(crate) fn decrypt<T: DeserializeOwned>(&mut self, row: &RecordRow) -> Result<T> {
        self.note_read(row);
        let plain = opened(self.tx, self.ring, std::slice::from_ref(row))?
            .pop()
            .expect("one row opened")?;
        parse(row, &plain)
    }

    /// Checks that every record this operation read is the newest version the audit
    /// trail says was written: a newest version deleted from the file (a revocation,
    /// a stricter policy, an edit) must not silently count as never written. Costs a
    /// pass over the audit trail, so it guards what releases information.
    pub(crate) fn check_reads_are_latest(&self) -> Result<()> {
        let reads: Vec<&Target> = self
            .targets
            .iter()
            .filter(|t| t.access == TargetAccess::Read)
            .collect();
        self.check_latest(&reads)
    }

    /// [`Access::check_reads_are_latest`] for the reads `targets`.
    fn check_latest(&self, targets: &[&Target]) -> Result<()> {
        let reads = || targets.iter().copied();
        let vault_id = self
            .tx
            .meta(VAULT_ID)?
            .ok_or_else(|| StoreError::Corrupt("the vault identifier is missing".into()))?;
        // `audit verify`'s own walk, keeping only the writes of the records read. The
        // whole chain is checked on the way, failing closed: an event removed, altered
        // or unreadable could be hiding the write of a newer version.
        let mut verifier = Verifier::new(self.ring, &vault_id, None)
            .only(reads().filter_map(|t| Some((RecordKind::parse(&t.kind)?, t.id.clone()))));
        Chain::new(self.ring, &vault_id).verify_events::<Error>(self.tx, &mut verifier)?;
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
        let target = read_target(RecordRef::new(kind, id, 0));
        self.check_latest(&[&target])
    }

    /// Notes a read of the policy served from the keyring's cache.
    pub(crate) fn note_policy_read(&mut self, row: &RecordRow) {
        self.note_read(row);
    }

    fn note_read(&mut self, row: &RecordRow) {
        self.targets.push(read_target(row.reference.clone()));
    }

    /// Decrypts many records across every core: those this member's keys open (a
    /// scan passes over the others, which are not theirs to see, and does not count
    /// them as read).
    fn decrypt_many<T: DeserializeOwned + Send>(&mut self, rows: &[RecordRow]) -> Result<Vec<T>> {
        let plains = opened(self.tx, self.ring, rows)?;
        let held = held(rows, plains)?;
        for (row, _) in &held {
            self.note_read(row);
        }
        held.par_iter()
            .map(|(row, plain)| parse(row, plain))
            .collect()
    }

    /// Decrypts the newest version of every record of `kind`, a page at a time, and
    /// hands each page to `f`: memory stays bounded by the page, not the vault.
    pub(crate) fn for_each_page<T: DeserializeOwned + Send>(
        &mut self,
        kind: RecordKind,
        f: impl FnMut(Vec<T>) -> Result<()>,
    ) -> Result<()> {
        self.for_each_page_as(kind, true, f)
    }

    /// [`Access::for_each_page`] of notes without their text: their dates, clients,
    /// status and source only (no part is opened).
    pub(crate) fn for_each_note_header_page<T: DeserializeOwned + Send>(
        &mut self,
        f: impl FnMut(Vec<T>) -> Result<()>,
    ) -> Result<()> {
        self.for_each_page_as(RecordKind::Note, false, f)
    }

    fn for_each_page_as<T: DeserializeOwned + Send>(
        &mut self,
        kind: RecordKind,
        text: bool,
        mut f: impl FnMut(Vec<T>) -> Result<()>,
    ) -> Result<()> {
        let tx = self.tx;
        let ring = self.ring;
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
                    let plains = opened_as(tx, ring, &rows, text)?;
                    next((rows, plains))?;
                    if !full {
                        return Ok(());
                    }
                }
            },
            |(rows, plains): (Vec<RecordRow>, Vec<Opened>)| {
                let held = match held(&rows, plains) {
                    Ok(held) => held,
                    Err(e) => return (Vec::new(), Err(e)),
                };
                let values: Result<Vec<T>> = held
                    .par_iter()
                    .map(|(row, plain)| parse(row, plain))
                    .collect();
                let references: Vec<RecordRef> =
                    held.iter().map(|(r, _)| r.reference.clone()).collect();
                (references, values)
            },
            |(references, values)| {
                // Every record of the page this member opened counts as read, as in
                // `decrypt_many`.
                for reference in references {
                    targets.push(read_target(reference));
                }
                f(values?)
            },
        )
    }

    /// Decrypts the newest version of each note of `notes`, opening only the parts of
    /// the compartments named with it (what the search index found there), and hands
    /// them to `f` a page at a time. A note no longer stored, or whose record this
    /// member's keys do not open, is passed over; each note opened is noted as read.
    pub(crate) fn for_each_note_with_parts<T: DeserializeOwned + Send>(
        &mut self,
        notes: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        mut f: impl FnMut(Vec<T>) -> Result<()>,
    ) -> Result<()> {
        let notes: Vec<(&String, &std::collections::BTreeSet<String>)> = notes.iter().collect();
        let (tx, ring) = (self.tx, self.ring);
        for page in notes.chunks(PAGE) {
            let mut rows = Vec::with_capacity(page.len());
            let mut wanted = Vec::with_capacity(page.len());
            for (id, parts) in page {
                if let Some(row) = tx.latest_record(RecordKind::Note, id)? {
                    rows.push(row);
                    wanted.push(*parts);
                }
            }
            ring.prefetch(tx, &rows)?;
            let named: std::collections::BTreeSet<&String> =
                wanted.iter().flat_map(|p| p.iter()).collect();
            for compartment in named {
                ring.key(tx, compartment)?;
            }
            let mut plains: Vec<Opened> = rows
                .par_iter()
                .zip(&wanted)
                .map(|(row, parts)| {
                    let outer = ring.open_cached(row)?;
                    let key_of = |c: &str| {
                        if parts.contains(c) {
                            ring.cached(c)
                        } else {
                            None
                        }
                    };
                    Ok(parts::assemble(&row.reference, outer, &key_of)?.0)
                })
                .collect();
            for (row, plain) in rows.iter().zip(plains.iter_mut()) {
                if matches!(plain, Err(Error::KeyDenied { .. })) {
                    *plain = Err(super::keyring::denied_or_altered(tx, row)?);
                }
            }
            let held = held(&rows, plains)?;
            for (row, _) in &held {
                self.note_read(row);
            }
            let values = held
                .par_iter()
                .map(|(row, plain)| parse(row, plain))
                .collect::<Result<Vec<T>>>()?;
            f(values)?;
        }
        Ok(())
    }

    /// The compartments named by the newest note records this member's keys do not
    /// open (read from the records' stanzas, nothing decrypted).
    pub(crate) fn unread_note_compartments(&self) -> Result<std::collections::BTreeSet<String>> {
        let (tx, ring) = (self.tx, self.ring);
        let mut out = std::collections::BTreeSet::new();
        let mut after = String::new();
        loop {
            let rows = tx.latest_records_page(RecordKind::Note, &after, Some(PAGE))?;
            let Some(last) = rows.last() else {
                return Ok(out);
            };
            after = last.reference.id.clone();
            for row in &rows {
                let named = crate::crypto::record::compartments_of(&row.ciphertext);
                let mut opens = false;
                for id in &named {
                    opens |= ring.key(tx, id)?.is_some();
                }
                if !opens {
                    out.extend(named.into_iter().map(str::to_owned));
                }
            }
            if rows.len() < PAGE {
                return Ok(out);
            }
        }
    }

    /// Reads every note this member's keys open, a page at a time, and hands `f` (with
    /// the transaction) what each adds to the search index (the parts they hold); each
    /// note is noted as read.
    pub(crate) fn for_each_index_page(
        &mut self,
        mut f: impl FnMut(&dyn Transaction, Vec<index::Entry>) -> Result<()>,
    ) -> Result<()> {
        let (tx, ring) = (self.tx, self.ring);
        let mut after = String::new();
        loop {
            let rows = tx.latest_records_page(RecordKind::Note, &after, Some(PAGE))?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.reference.id.clone();
            let full = rows.len() == PAGE;
            let outers = opened_as(tx, ring, &rows, false)?;
            let held = held(&rows, outers)?;
            let named: std::collections::BTreeSet<String> = held
                .iter()
                .flat_map(|(_, plain)| parts::compartments_of_record(plain))
                .collect();
            for compartment in &named {
                ring.key(tx, compartment)?;
            }
            let entries = held
                .par_iter()
                .map(|(row, plain)| {
                    parts::index_entry_of_record(&row.reference, plain, &|c| ring.cached(c))
                })
                .collect::<Result<Vec<_>>>()?;
            for (row, _) in &held {
                self.note_read(row);
            }
            f(tx, entries)?;
            if !full {
                return Ok(());
            }
        }
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
        let plains = opened(self.tx, self.ring, &rows)?;
        rows.par_iter()
            .zip(plains)
            .map(|(row, plain)| parse(row, &plain?))
            .collect()
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

    /// Every audit event this member may read, oldest first, decrypted.
    pub(super) fn audit_events(&self, vault_id: &[u8]) -> Result<(Vec<AuditEvent>, u64)> {
        let log = Chain::new(self.ring, vault_id).events(self.tx)?;
        Ok((log.events, log.hidden))
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

    /// Writes a record of the practice (the policy, the roster, caseloads, requests),
    /// sealed under the practice compartment's key.
    pub(crate) fn write<T: Serialize>(&mut self, reference: RecordRef, value: &T) -> Result<()> {
        self.write_in(&[Compartment::Practice], reference, value)
    }

    /// Writes a record of `client` (a profile, consent, intake, decision or accounting
    /// entry), sealed under the key of the client's compartment its kind belongs to.
    pub(crate) fn write_for<T: Serialize>(
        &mut self,
        client: &str,
        reference: RecordRef,
        value: &T,
    ) -> Result<()> {
        let compartment = compartment_of(reference.kind, client);
        if let Compartment::Client { name, .. } = &compartment {
            self.require_write(name)?;
        }
        self.write_in(&[compartment], reference, value)
    }

    /// [`Error::KeyDenied`] unless this member holds the current key of the
    /// compartment of `client` that records of `kind` are sealed in.
    pub(crate) fn require_key_for(&mut self, kind: RecordKind, client: &str) -> Result<()> {
        self.ring.current(self.tx, &compartment_of(kind, client))?;
        Ok(())
    }

    /// Refuses unless this member's role writes the compartment `name` (a category,
    /// `consents` or `disclosures`): reads are decided by the keys a member holds;
    /// a key opens and seals alike, so writes are the role's to allow (and each is
    /// signed by its member in the audit trail).
    pub(crate) fn require_write(&mut self, name: &str) -> Result<()> {
        let (_, policy) = self.policy()?;
        let ring = self.ring;
        if crate::model::practice::can_write(&policy, &ring.roster, ring.member(), name) {
            return Ok(());
        }
        let role = ring
            .roster
            .member(ring.member())
            .map_or_else(|| "none".to_owned(), |m| m.role.clone());
        Err(Error::RoleDenied {
            role,
            what: format!("writing {name}"),
        })
    }

    /// Writes a record sealed for each of `compartments`.
    pub(crate) fn write_in<T: Serialize>(
        &mut self,
        compartments: &[Compartment],
        reference: RecordRef,
        value: &T,
    ) -> Result<()> {
        let plain = to_json(value)?;
        let sealed = self.seal_in(compartments, reference, &plain)?;
        self.write_sealed(sealed)
    }

    /// Seals `plain` as `reference` for each of `compartments`, without writing it.
    pub(crate) fn seal_in(
        &self,
        compartments: &[Compartment],
        reference: RecordRef,
        plain: &[u8],
    ) -> Result<Sealed> {
        super::seal::check_size(&reference, plain.len())?;
        let ciphertext = self.ring.seal(self.tx, compartments, &reference, plain)?;
        let sha256 = audit::sha256_hex(&ciphertext);
        Ok(Sealed {
            reference,
            ciphertext,
            sha256,
            index: None,
        })
    }

    /// Replaces a record version's ciphertext with `sealed` (the same plaintext,
    /// sealed again under other keys), noted as a write with its new digest.
    pub(crate) fn replace_sealed(&mut self, sealed: Sealed) -> Result<()> {
        let Sealed {
            reference,
            ciphertext,
            sha256,
            index,
        } = sealed;
        self.tx.replace_record(&reference, &ciphertext)?;
        self.note_indexed(&reference, &ciphertext, index)?;
        self.targets.push(Target {
            kind: reference.kind.as_str().into(),
            id: reference.id,
            version: reference.version,
            access: TargetAccess::Write,
            sha256: Some(sha256),
        });
        Ok(())
    }

    /// Makes the keys of a new client's compartments (every category but
    /// psychotherapy notes, which are per author, and the consents and disclosures
    /// compartments) and grants each to the members the policy, roster and caseloads
    /// entitle to it.
    pub(crate) fn create_client_compartments(&mut self, client: &str) -> Result<()> {
        let caseload = self.ring.caseload.clone();
        self.create_client_compartments_with(client, &caseload)
    }

    /// [`Access::create_client_compartments`] under the caseloads `caseload` (a new
    /// client assigned as it is added).
    pub(crate) fn create_client_compartments_with(
        &mut self,
        client: &str,
        caseload: &crate::model::practice::Caseload,
    ) -> Result<()> {
        let (_, policy) = self.policy()?;
        let roster = self.ring.roster.clone();
        let epoch = roster.epoch;
        for compartment in crate::model::practice::compartments_of_client(&policy, &client.into()) {
            let key = std::sync::Arc::new(crate::crypto::compartment::generate());
            let id = self.ring.id_of(&compartment, epoch);
            let holders = crate::model::practice::holders(
                &policy,
                &roster,
                caseload,
                &compartment,
                crate::base::Date::today(),
            );
            for holder in holders {
                self.ring.grant_to(self.tx, &holder, &id, &key)?;
            }
            index::created(self.tx, &id, &key)?;
        }
        Ok(())
    }

    /// Assigns a new client to this member when their role sees only its caseload
    /// (a clinician adding a client), so that they hold its keys; returns the
    /// caseloads as they are after.
    pub(crate) fn assign_self_if_caseload(&mut self, client: &str) -> Result<()> {
        let (_, policy) = self.policy()?;
        let member = self.ring.member().to_owned();
        let scope = self
            .ring
            .roster
            .member(&member)
            .and_then(|m| policy.role(&m.role))
            .map(|r| r.clients);
        let mut caseload = self.ring.caseload.clone();
        if scope == Some(crate::model::role::ClientScope::Caseload) {
            caseload
                .assignments
                .push(crate::model::practice::Assignment {
                    member,
                    client: client.into(),
                    until: None,
                });
            let version =
                self.count_versions(RecordKind::Caseload, super::keyring::PRACTICE_RECORD)? + 1;
            self.write(
                RecordRef::new(
                    RecordKind::Caseload,
                    super::keyring::PRACTICE_RECORD,
                    version,
                ),
                &caseload,
            )?;
        }
        self.create_client_compartments_with(client, &caseload)
    }

    /// How many versions of a record there are (0 when none).
    pub(crate) fn count_versions(&self, kind: RecordKind, id: &str) -> Result<u32> {
        Ok(self
            .tx
            .latest_record(kind, id)?
            .map_or(0, |row| row.reference.version))
    }

    /// Writes a record sealed beforehand ([`Sealer`]).
    pub(crate) fn write_sealed(&mut self, sealed: Sealed) -> Result<()> {
        let Sealed {
            reference,
            ciphertext,
            sha256,
            index,
        } = sealed;
        self.tx.insert_record(&reference, &ciphertext)?;
        self.note_indexed(&reference, &ciphertext, index)?;
        self.targets.push(Target {
            kind: reference.kind.as_str().into(),
            id: reference.id,
            version: reference.version,
            access: TargetAccess::Write,
            sha256: Some(sha256),
        });
        Ok(())
    }

    /// Keeps what a note version just written adds to the search index: `entry` if
    /// its sealing said, otherwise read from the record itself (its parts this member
    /// holds). Any other record adds nothing.
    fn note_indexed(
        &mut self,
        reference: &RecordRef,
        ciphertext: &[u8],
        entry: Option<index::Entry>,
    ) -> Result<()> {
        if reference.kind != RecordKind::Note {
            return Ok(());
        }
        let entry = match entry {
            Some(entry) => entry,
            None => {
                let row = RecordRow {
                    reference: reference.clone(),
                    ciphertext: ciphertext.to_vec(),
                };
                let outer = self.ring.open(self.tx, &row)?;
                for compartment in parts::compartments_of_record(&outer) {
                    self.ring.key(self.tx, &compartment)?;
                }
                let ring = self.ring;
                parts::index_entry_of_record(reference, &outer, &|c| ring.cached(c))?
            }
        };
        self.index.push(entry);
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
            index: None,
        })
    }

    /// Writes a note version: its record, sealed for each client's attendance
    /// compartment, holding its text in parts, one per client and category, each
    /// under that compartment's key (psychotherapy notes under their author's).
    pub(crate) fn write_note(&mut self, note: &Note) -> Result<()> {
        let sealed = self.seal_note(note)?;
        self.write_sealed(sealed)
    }

    /// Seals a note version as [`Access::write_note`] writes it.
    pub(crate) fn seal_note(&mut self, note: &Note) -> Result<Sealed> {
        let (_, policy) = self.policy()?;
        self.seal_note_with(note, &policy)
    }

    /// [`Access::seal_note`] under `policy`, read beforehand (an import reads it once
    /// for the whole batch).
    pub(crate) fn seal_note_with(
        &mut self,
        note: &Note,
        policy: &crate::model::policy::Policy,
    ) -> Result<Sealed> {
        let keys = self.note_keys(&note.clients, policy)?;
        let (ring, tx) = (self.ring, self.tx);
        let author = ring.member().to_owned();
        keys.seal(note, &mut |client: &str, category: &str| {
            part_key(
                tx,
                ring,
                policy,
                &part_compartment(client, category, &author),
            )
        })
    }

    /// Checks that this member may write notes of `clients`, and fetches the keys a
    /// note of theirs is sealed under ([`parts::NoteKeys`]): a part per client and
    /// category of `policy`, each under that compartment's key (psychotherapy notes
    /// under their author's), and the record for each client's attendance
    /// compartment. With them, notes seal without the transaction (an import seals a
    /// batch on every core).
    pub(crate) fn note_keys(
        &mut self,
        clients: &[crate::base::ClientId],
        policy: &crate::model::policy::Policy,
    ) -> Result<parts::NoteKeys> {
        let ring = self.ring;
        if !crate::model::practice::may(
            policy,
            &ring.roster,
            ring.member(),
            crate::model::role::Permission::WriteNotes,
        ) {
            self.require(policy, crate::model::role::Permission::WriteNotes)?;
        }
        // A participant whose record was destroyed gets no part and no seal: their keys
        // are gone for everyone.
        let mut kept: Vec<String> = Vec::with_capacity(clients.len());
        for client in clients {
            if !self.destroyed(client.as_str())? {
                kept.push(client.to_string());
            }
        }
        let tx = self.tx;
        let author = ring.member().to_owned();
        let mut part_keys = std::collections::HashMap::new();
        for client in &kept {
            for category in &policy.categories {
                let key = part_key(
                    tx,
                    ring,
                    policy,
                    &part_compartment(client, category, &author),
                )?;
                part_keys.insert((client.clone(), category.clone()), key);
            }
        }
        let record = kept
            .iter()
            .map(|client| {
                ring.current(
                    tx,
                    &Compartment::Client {
                        client: client.as_str().into(),
                        name: "attendance".into(),
                    },
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(parts::NoteKeys {
            clients: kept,
            categories: policy.categories.clone(),
            parts: part_keys,
            record,
        })
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

    /// The newest version of a note, every part of it: what a change to the note
    /// (an edit, a signature, an addendum) needs, since it seals every part again.
    /// [`Error::KeyDenied`] when this member's keys do not open all of it.
    pub(crate) fn whole_note(&mut self, id: &str) -> Result<Note> {
        let row = self
            .tx
            .latest_record(RecordKind::Note, id)?
            .ok_or_else(|| Error::NoteNotFound(id.to_owned()))?;
        self.note_read(&row);
        let outer = self.ring.open(self.tx, &row)?;
        let named = parts::compartments_of_record(&outer);
        for compartment in &named {
            self.ring.key(self.tx, compartment)?;
        }
        let ring = self.ring;
        let (plain, mut whole) = parts::assemble(&row.reference, outer, &|c| ring.cached(c))?;
        if !whole {
            // The parts of a participant whose record was destroyed open for nobody;
            // the other participants' parts hold the same text.
            let note: Note = parse(&row, &plain)?;
            let clients: Vec<String> = note.clients.iter().map(ToString::to_string).collect();
            let gone = self.compartments_of_destroyed(&clients)?;
            whole = named
                .iter()
                .all(|c| ring.cached(c).is_some() || gone.contains(c));
        }
        if !whole {
            return Err(Error::KeyDenied {
                what: format!(
                    "part of note {id} (another author's psychotherapy notes, or a client you are not assigned)"
                ),
            });
        }
        parse(&row, &plain)
    }

    /// True when `client`, named in a note, was destroyed (`client destroy`): their
    /// profile is not in the file and the audit trail records its destruction. A
    /// profile deleted from the file without that is [`Error::RolledBack`]: a note's
    /// participant never disappears silently.
    pub(crate) fn destroyed(&mut self, client: &str) -> Result<bool> {
        if self.tx.record_exists(RecordKind::Client, client)? {
            return Ok(false);
        }
        self.check_never_written(RecordKind::Client, client)?;
        Ok(true)
    }

    /// Every identifier `client`'s compartments have had: each category of the
    /// policy in force and of every earlier version, the consents and disclosures
    /// compartments, each member's psychotherapy notes, in every key epoch.
    pub(crate) fn compartment_ids_of_client(
        &mut self,
        policy: &crate::model::policy::Policy,
        client: &str,
    ) -> Result<std::collections::BTreeSet<String>> {
        use crate::model::role::{CONSENTS, DISCLOSURES, PSYCHOTHERAPY_NOTES};
        let mut names: std::collections::BTreeSet<String> =
            policy.categories.iter().cloned().collect();
        for old in self.earlier_policies()? {
            names.extend(old.categories);
        }
        names.remove(PSYCHOTHERAPY_NOTES);
        names.insert(CONSENTS.to_owned());
        names.insert(DISCLOSURES.to_owned());
        let ring = self.ring;
        let mut compartments: Vec<Compartment> = names
            .into_iter()
            .map(|name| Compartment::Client {
                client: client.into(),
                name,
            })
            .collect();
        compartments.extend(
            ring.roster
                .members
                .iter()
                .map(|m| Compartment::PsychotherapyNotes {
                    client: client.into(),
                    author: m.name.clone(),
                }),
        );
        let mut ids = std::collections::BTreeSet::new();
        for epoch in 1..=ring.roster.epoch {
            for compartment in &compartments {
                ids.insert(ring.id_of(compartment, epoch));
            }
        }
        Ok(ids)
    }

    /// The compartments of the destroyed participants among `clients`: their parts
    /// of a joint note no longer open, for anyone, and are not missed.
    pub(crate) fn compartments_of_destroyed(
        &mut self,
        clients: &[String],
    ) -> Result<std::collections::BTreeSet<String>> {
        let mut gone = std::collections::BTreeSet::new();
        let mut policy = None;
        for client in clients {
            if self.destroyed(client)? {
                let policy = match &policy {
                    Some(p) => p,
                    None => policy.insert(self.policy()?.1),
                };
                gone.extend(self.compartment_ids_of_client(&policy.clone(), client)?);
            }
        }
        Ok(gone)
    }

    /// The keyring this operation reads and writes through.
    pub(crate) fn ring(&self) -> &Keyring {
        self.ring
    }

    /// The transaction, for the keyring's grants.
    pub(super) fn tx(&self) -> &dyn Transaction {
        self.tx
    }
}

/// The current key of a note part's compartment; one made now (this author's first
/// psychotherapy notes of the client) gets its search index with it.
fn part_key(
    tx: &dyn Transaction,
    ring: &Keyring,
    policy: &crate::model::policy::Policy,
    compartment: &Compartment,
) -> Result<(String, std::sync::Arc<crate::crypto::compartment::DataKey>)> {
    let new = matches!(ring.current(tx, compartment), Err(Error::KeyDenied { .. }));
    let (id, key) = ring.current_or_own(tx, policy, compartment)?;
    if new {
        index::created(tx, &id, &key)?;
    }
    Ok((id, key))
}

/// The compartment a note's part of `category` for `client` is sealed in:
/// psychotherapy notes in their author's, every other category in the client's.
fn part_compartment(client: &str, category: &str, author: &str) -> Compartment {
    if category == crate::model::role::PSYCHOTHERAPY_NOTES {
        Compartment::PsychotherapyNotes {
            client: client.into(),
            author: author.to_owned(),
        }
    } else {
        Compartment::Client {
            client: client.into(),
            name: category.to_owned(),
        }
    }
}

/// The compartment a record of a client belongs to, by its kind.
pub(crate) fn compartment_of(kind: RecordKind, client: &str) -> Compartment {
    let name = match kind {
        RecordKind::Client => "identity",
        RecordKind::Note => "attendance",
        RecordKind::Consent | RecordKind::Intake | RecordKind::Restriction => {
            crate::model::role::CONSENTS
        }
        RecordKind::Decision
        | RecordKind::Accounting
        | RecordKind::RightsRequest
        | RecordKind::AccountingSuspension => crate::model::role::DISCLOSURES,
        _ => return Compartment::Practice,
    };
    Compartment::Client {
        client: client.into(),
        name: name.to_owned(),
    }
}

/// Opens `rows` with the keys `ring` holds: each record's own compartment key, and for
/// a note the keys of its parts (the text of the categories this member may read), all
/// fetched from the grants first so that the opening runs on every core.
pub(super) fn opened(
    tx: &dyn Transaction,
    ring: &Keyring,
    rows: &[RecordRow],
) -> Result<Vec<Result<Zeroizing<Vec<u8>>>>> {
    opened_as(tx, ring, rows, true)
}

/// [`opened`]; with `text` false, a note's parts are left sealed (a scan that reads
/// only the notes' dates, clients or sources opens no part: the record's JSON keeps
/// its `parts`, which such a reader passes over).
fn opened_as(
    tx: &dyn Transaction,
    ring: &Keyring,
    rows: &[RecordRow],
    text: bool,
) -> Result<Vec<Result<Zeroizing<Vec<u8>>>>> {
    ring.prefetch(tx, rows)?;
    let mut outers: Vec<Result<Zeroizing<Vec<u8>>>> =
        rows.par_iter().map(|row| ring.open_cached(row)).collect();
    // Not this member's to open only if it is sealed for a compartment some member
    // holds; a stanza naming no compartment anyone holds was altered.
    for (row, outer) in rows.iter().zip(outers.iter_mut()) {
        if matches!(outer, Err(Error::KeyDenied { .. })) {
            *outer = Err(super::keyring::denied_or_altered(tx, row)?);
        }
    }
    if !text {
        return Ok(outers);
    }
    // The parts' compartments, read on every core, fetched once each.
    let named: Vec<Vec<String>> = rows
        .par_iter()
        .zip(&outers)
        .map(|(row, outer)| match outer {
            Ok(plain) if row.reference.kind == RecordKind::Note => {
                parts::compartments_of_record(plain)
            }
            _ => Vec::new(),
        })
        .collect();
    let named: std::collections::BTreeSet<&String> = named.iter().flatten().collect();
    for compartment in named {
        ring.key(tx, compartment)?;
    }
    Ok(rows
        .par_iter()
        .zip(outers)
        .map(|(row, outer)| {
            let plain = outer?;
            if row.reference.kind == RecordKind::Note {
                Ok(parts::assemble(&row.reference, plain, &|c| ring.cached(c))?.0)
            } else {
                Ok(plain)
            }
        })
        .collect())
}

/// A record opened, or why not.
type Opened = Result<Zeroizing<Vec<u8>>>;

/// A row this member's keys opened, with its plaintext.
type Held<'r> = (&'r RecordRow, Zeroizing<Vec<u8>>);

/// The rows this member's keys opened, with their plaintext: a row no key of theirs
/// opens is passed over; any other failure (integrity) fails the whole.
fn held(rows: &[RecordRow], plains: Vec<Opened>) -> Result<Vec<Held<'_>>> {
    let mut out = Vec::with_capacity(rows.len());
    for (row, plain) in rows.iter().zip(plains) {
        match plain {
            Ok(plain) => out.push((row, plain)),
            Err(Error::KeyDenied { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Parses an opened record's JSON.
fn parse<T: DeserializeOwned>(row: &RecordRow, plain: &[u8]) -> Result<T> {
    serde_json::from_slice(plain).map_err(|_| Error::MalformedRecord {
        record: row.reference.to_string(),
    })
}
