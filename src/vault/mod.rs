//! The vault: creating, unlocking, and every operation on an unlocked session.
//!
//! Invariant: every operation on a [`Session`] goes through [`Session::access`], the
//! one place that checks access and appends the audit event, in the same SQLite
//! transaction as the operation's own reads and writes. A failed operation is rolled
//! back and then audited on its own, with its outcome.

use std::path::Path;

use rand::RngCore;
use rand::rngs::OsRng;
use rayon::prelude::*;
use secrecy::SecretString;
use serde::Serialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

use crate::audit::{self, AuditEvent, Target, TargetAccess, VerifyReport};
use crate::base::{ClientId, Date, NoteId};
use crate::base::{RecordKind, RecordRef};
use crate::crypto::hygiene;
use crate::crypto::keys::{RecoveryCode, RootSecret, VaultKeys};
use crate::crypto::keyslot::{self, KdfParams, KeyslotError};
use crate::crypto::record;
use crate::error::Error;
use crate::model::client::{Client, NewClient};
use crate::model::note::{Addendum, NewNote, Note, NoteStatus, NoteType};
use crate::model::policy::DEFAULT_POLICY;
use crate::store::scan;
use crate::store::{AuditRow, RecordRow, Store, StoreError, Tx};

const PASSPHRASE_SLOT: &str = "passphrase";
const RECOVERY_SLOT: &str = "recovery";
const VAULT_ID: &str = "vault_id";
const AUDIT_HEAD: &str = "audit_head";
/// `audit::key_check` of the vault's audit key: unlocking checks the key is this vault's.
const KEY_CHECK: &str = "key_check";
/// Records decrypted at a time by scans of the notes (search, a decision, import's
/// look for earlier imports): enough to keep every core busy, few enough that memory
/// stays bounded (two pages are held while the next is read).
pub(crate) const PAGE: usize = 1024;
/// Rows checked at a time by scans of the audit trail and of every record (`audit
/// verify`, the rollback check): smaller, since one event can list a whole vault's
/// notes (a search's reads).
const CHUNK: usize = 1024;
/// The largest record casevault writes (serialized, before padding).
const MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;

pub(crate) mod consent;
pub(crate) mod disclose;
pub(crate) mod import;

type Result<T> = std::result::Result<T, Error>;

/// Turns core dumps off (soft and hard limit 0, so nothing run later can raise them)
/// and marks the process not dumpable. Idempotent; the change lasts for the life of
/// the process. [`Vault::open`] and [`Vault::create`] call it; a program embedding the
/// library may call it earlier, before it reads a passphrase.
pub fn harden_process() -> Result<()> {
    Ok(hygiene::harden()?)
}

pub(crate) fn now() -> String {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A failed unlock recorded while the vault was locked, reported at the next unlock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedUnlock {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Which keyslot was tried (`passphrase`, `recovery`).
    pub keyslot: String,
}

/// A vault file, opened but locked.
pub struct Vault {
    store: Store,
}

/// An unlocked vault. Holds the subkeys until dropped (they are zeroized then).
pub struct Session {
    store: Store,
    keys: VaultKeys,
    vault_id: Vec<u8>,
    actor: String,
    failed_unlocks: Vec<FailedUnlock>,
}

/// A line of a note that matched a search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    /// The note.
    pub note: NoteId,
    /// The note's session date.
    pub date: Date,
    /// The note's clients.
    pub clients: Vec<ClientId>,
    /// The matching line, trimmed.
    pub line: String,
}

impl Vault {
    /// Creates a new vault at `path` (which must not exist), with a passphrase keyslot
    /// and a recovery-code keyslot. Returns the unlocked session and the recovery code,
    /// which is never stored in the clear and must be shown to the user once. The
    /// passphrase is wrapped in its [`crate::crypto::keyslot::normalize_passphrase`] form.
    pub fn create(
        path: &Path,
        passphrase: &SecretString,
        params: KdfParams,
        actor: &str,
    ) -> Result<(Session, RecoveryCode)> {
        hygiene::harden()?;
        params
            .check()
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let store = Store::create(path)?;
        match Self::initialize(store, passphrase, params, actor) {
            Ok(done) => Ok(done),
            Err(e) => {
                // The file holds no data yet; leaving it would block a retry.
                let _ = std::fs::remove_file(path);
                Err(e)
            }
        }
    }

    fn initialize(
        store: Store,
        passphrase: &SecretString,
        params: KdfParams,
        actor: &str,
    ) -> Result<(Session, RecoveryCode)> {
        let root = RootSecret::generate();
        let code = RecoveryCode::generate();
        let seal = |secret: &SecretString, slot: &'static str| {
            keyslot::seal(secret, params, &root).map_err(|source| Error::Keyslot { slot, source })
        };
        let passphrase_slot = seal(passphrase, PASSPHRASE_SLOT)?;
        let recovery_slot = seal(code.as_secret(), RECOVERY_SLOT)?;
        let mut vault_id = vec![0u8; 16];
        OsRng.fill_bytes(&mut vault_id);
        let mut session = Session {
            store,
            keys: root.subkeys(),
            vault_id: vault_id.clone(),
            actor: actor.to_owned(),
            failed_unlocks: Vec::new(),
        };
        let check = audit::key_check(&session.keys.audit, &vault_id);
        session.access("vault.init", |a| {
            a.tx.set_meta(VAULT_ID, &vault_id)?;
            a.tx.set_meta(KEY_CHECK, &check)?;
            a.write_policy(1, DEFAULT_POLICY, actor)?;
            a.write_keyslot(PASSPHRASE_SLOT, &passphrase_slot)?;
            a.write_keyslot(RECOVERY_SLOT, &recovery_slot)?;
            Ok(())
        })?;
        Ok((session, code))
    }

    /// Opens the vault at `path` without unlocking it.
    pub fn open(path: &Path) -> Result<Vault> {
        hygiene::harden()?;
        Ok(Vault {
            store: Store::open(path)?,
        })
    }

    /// The vault file's path.
    pub fn path(&self) -> &Path {
        self.store.path()
    }

    fn open_slot(
        &mut self,
        slot: &'static str,
        secret: &SecretString,
        wrong: Error,
    ) -> Result<(RootSecret, keyslot::Form)> {
        let keyslot = self.store.keyslot(slot)?;
        match keyslot::open(secret, &keyslot) {
            Ok(opened) => Ok(opened),
            Err(KeyslotError::WrongSecret) => {
                self.store.record_failed_unlock(slot, &now())?;
                Err(wrong)
            }
            Err(source) => Err(Error::Keyslot { slot, source }),
        }
    }

    /// Unlocks with the passphrase. A wrong passphrase is recorded (the only write made
    /// without a key) and reported at the next successful unlock.
    ///
    /// The passphrase is taken in its [`crate::crypto::keyslot::normalize_passphrase`] form (Unicode
    /// NFC, no byte-order mark or trailing line ending). A keyslot sealed before
    /// passphrases were normalized opens with the passphrase as given; it is then
    /// rewrapped under the normal form (audited as `vault.passwd`), so that from then
    /// on the passphrase opens it however its accents were typed. Should the rewrap
    /// fail (a read-only vault), the unlock still succeeds and the next one tries again.
    pub fn unlock(mut self, passphrase: &SecretString, actor: &str) -> Result<Session> {
        let (root, form) = self.open_slot(PASSPHRASE_SLOT, passphrase, Error::WrongPassphrase)?;
        let rewrapped = match form {
            keyslot::Form::Normalized => None,
            keyslot::Form::AsGiven => {
                let params = self.current_params()?;
                keyslot::seal(passphrase, params, &root).ok()
            }
        };
        let mut session = self.into_session(root, actor, PASSPHRASE_SLOT)?;
        if let Some(slot) = rewrapped {
            // Best effort, see above: the keyslot as it was still opens.
            let _ = session.access("vault.passwd", |a| a.write_keyslot(PASSPHRASE_SLOT, &slot));
        }
        Ok(session)
    }

    /// Unlocks with the recovery code and sets a new passphrase (keeping the
    /// passphrase keyslot's KDF parameters unless `params` is given). The new
    /// passphrase is wrapped in its [`crate::crypto::keyslot::normalize_passphrase`] form.
    pub fn recover(
        mut self,
        code: &RecoveryCode,
        new_passphrase: &SecretString,
        params: Option<KdfParams>,
        actor: &str,
    ) -> Result<Session> {
        let (root, _) =
            self.open_slot(RECOVERY_SLOT, code.as_secret(), Error::WrongRecoveryCode)?;
        let params = match params {
            Some(p) => p,
            None => self.current_params()?,
        };
        let slot =
            keyslot::seal(new_passphrase, params, &root).map_err(|source| Error::Keyslot {
                slot: PASSPHRASE_SLOT,
                source,
            })?;
        let mut session = self.into_session(root, actor, RECOVERY_SLOT)?;
        session.access("vault.recover", |a| a.write_keyslot(PASSPHRASE_SLOT, &slot))?;
        Ok(session)
    }

    fn current_params(&self) -> Result<KdfParams> {
        // Recovery is for when things are broken: a missing or unreadable passphrase
        // keyslot must not stop it, so fall back to the defaults.
        Ok(self
            .store
            .keyslot(PASSPHRASE_SLOT)
            .ok()
            .and_then(|slot| keyslot::params_of(&slot))
            .unwrap_or_default())
    }

    fn into_session(self, root: RootSecret, actor: &str, slot: &'static str) -> Result<Session> {
        let mut session = Session {
            store: self.store,
            keys: root.subkeys(),
            vault_id: Vec::new(),
            actor: actor.to_owned(),
            failed_unlocks: Vec::new(),
        };
        let keys = &session.keys;
        let (vault_id, failed) = session.store.transaction(|tx| -> Result<_> {
            let vault_id = tx
                .meta(VAULT_ID)?
                .ok_or_else(|| StoreError::Corrupt("the vault identifier is missing".into()))?;
            // A keyslot that opens with a key of another vault (copied from a vault
            // with the same passphrase) is refused here, not left to fail later.
            match tx.meta(KEY_CHECK)? {
                Some(stored) if !audit::key_check_matches(&keys.audit, &vault_id, &stored) => {
                    return Err(Error::ForeignKeyslot { slot });
                }
                Some(_) => {}
                // A vault made before the check: add it once the key has proved itself
                // on the audit chain.
                None if chain_accepts_events(tx, keys, &vault_id)? => {
                    tx.set_meta(KEY_CHECK, &audit::key_check(&keys.audit, &vault_id))?;
                }
                None => {}
            }
            // These rows were written without a key, so anyone holding the file can
            // forge them: keep only a well-formed time and a known keyslot name.
            // A chain that no longer matches its head cannot take events; leave the
            // markers for a later unlock so that `audit verify` can still run and say why.
            if !chain_accepts_events(tx, keys, &vault_id)? {
                return Ok((vault_id, Vec::new()));
            }
            let failed: Vec<(String, String)> = tx
                .take_failed_unlocks()?
                .into_iter()
                .map(|(at, slot)| {
                    let at = match OffsetDateTime::parse(&at, &Rfc3339) {
                        Ok(_) => at,
                        Err(_) => "an unreadable time".to_owned(),
                    };
                    let slot = match slot.as_str() {
                        PASSPHRASE_SLOT | RECOVERY_SLOT => slot,
                        _ => "unknown".to_owned(),
                    };
                    (at, slot)
                })
                .collect();
            // Fold failed unlocks into the chain now that there is a key to do it with.
            for (at, slot) in &failed {
                append_event(
                    tx,
                    keys,
                    &vault_id,
                    EventDraft {
                        at: at.clone(),
                        actor: "unknown".into(),
                        action: "vault.unlock".into(),
                        targets: Vec::new(),
                        purpose: None,
                        outcome: match slot.as_str() {
                            RECOVERY_SLOT => "failed: wrong recovery code".into(),
                            _ => "failed: wrong passphrase".into(),
                        },
                    },
                )?;
            }
            Ok((vault_id, failed))
        })?;
        session.vault_id = vault_id;
        session.failed_unlocks = failed
            .into_iter()
            .map(|(at, keyslot)| FailedUnlock { at, keyslot })
            .collect();
        Ok(session)
    }
}

/// An event before it is sealed and chained.
struct EventDraft {
    at: String,
    actor: String,
    action: String,
    targets: Vec<Target>,
    outcome: String,
    purpose: Option<String>,
}

/// True when the chain's last event matches the sealed head, so an event may follow.
fn chain_accepts_events(tx: &Tx<'_>, keys: &VaultKeys, vault_id: &[u8]) -> Result<bool> {
    Ok(chain_tip(tx, keys, vault_id)?.is_some())
}

/// The sequence number and MAC the next event chains from, or `None` when the last
/// event does not match the sealed head.
fn chain_tip(tx: &Tx<'_>, keys: &VaultKeys, vault_id: &[u8]) -> Result<Option<(u64, [u8; 32])>> {
    let last = tx.last_audit()?;
    let head = tx.meta(AUDIT_HEAD)?;
    Ok(match (&last, head) {
        (None, None) => Some((0, audit::genesis(&keys.audit, vault_id))),
        (Some(last), Some(head)) => match audit::open_head(&keys.audit, &head) {
            Some((seq, mac)) if seq == last.seq && bool::from(mac.ct_eq(&last.mac[..])) => {
                Some((seq, mac))
            }
            _ => None,
        },
        _ => None,
    })
}

/// Seals an event and appends it to the chain, refusing if the chain's last event
/// does not match the sealed head (appending would hide a truncation).
fn append_event(tx: &Tx<'_>, keys: &VaultKeys, vault_id: &[u8], draft: EventDraft) -> Result<()> {
    let tip = chain_tip(tx, keys, vault_id)?.ok_or(Error::AuditHeadMismatch)?;
    let sealed = seal_event(keys, tip.0 + 1, &draft)?;
    let tip = chain_event(tx, keys, tip, sealed)?;
    seal_chain_head(tx, keys, tip)
}

/// An event sealed as the `seq`th of the chain, not yet chained.
struct SealedEvent {
    seq: u64,
    details: Vec<u8>,
}

fn seal_event(keys: &VaultKeys, seq: u64, draft: &EventDraft) -> Result<SealedEvent> {
    /// An [`AuditEvent`] as it is written, borrowing the draft: an event can list a
    /// whole vault's notes, and this way they are not copied to be written.
    #[derive(Serialize)]
    struct EventView<'a> {
        seq: u64,
        at: &'a str,
        actor: &'a str,
        action: &'a str,
        targets: &'a [Target],
        outcome: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        purpose: Option<&'a str>,
    }
    let plain = to_json(&EventView {
        seq,
        at: &draft.at,
        actor: &draft.actor,
        action: &draft.action,
        targets: &draft.targets,
        outcome: &draft.outcome,
        purpose: draft.purpose.as_deref(),
    })?;
    let details = record::seal(&keys.records, &AuditEvent::reference(seq), &plain);
    Ok(SealedEvent { seq, details })
}

/// Appends a sealed event after the chain's tip `(seq, mac)`; returns the new tip.
fn chain_event(
    tx: &Tx<'_>,
    keys: &VaultKeys,
    (last_seq, prev): (u64, [u8; 32]),
    event: SealedEvent,
) -> Result<(u64, [u8; 32])> {
    debug_assert_eq!(event.seq, last_seq + 1, "events are sealed in chain order");
    let mac = audit::chain_mac(&keys.audit, &prev, event.seq, &event.details);
    tx.append_audit(&AuditRow {
        seq: event.seq,
        mac: mac.to_vec(),
        details: event.details,
    })?;
    Ok((event.seq, mac))
}

/// Seals the chain's head at its tip, in the transaction that appended the events.
fn seal_chain_head(tx: &Tx<'_>, keys: &VaultKeys, (seq, mac): (u64, [u8; 32])) -> Result<()> {
    tx.set_meta(AUDIT_HEAD, &audit::seal_head(&keys.audit, seq, &mac))?;
    Ok(())
}

/// A record sealed ahead of the transaction that writes it (on any thread), with the
/// digest its write target will carry.
pub(crate) struct Sealed {
    reference: RecordRef,
    ciphertext: Vec<u8>,
    sha256: String,
}

/// Seals records outside a transaction, so a batch can seal on every core before its
/// one write transaction (import). Holds the keys only by reference.
#[derive(Clone, Copy)]
pub(crate) struct Sealer<'a> {
    keys: &'a VaultKeys,
}

impl Sealer<'_> {
    /// Serializes `value` and seals it as `reference`; refuses a record over the
    /// largest size casevault writes.
    pub(crate) fn seal<T: Serialize>(&self, reference: RecordRef, value: &T) -> Result<Sealed> {
        let plain = to_json(value)?;
        if plain.len() > MAX_RECORD_BYTES {
            return Err(Error::InvalidInput(format!(
                "this {} would take {} MiB; a record holds at most {} MiB (split a long note into several)",
                reference.kind.as_str(),
                plain.len().div_ceil(1024 * 1024),
                MAX_RECORD_BYTES / (1024 * 1024)
            )));
        }
        let ciphertext = record::seal(&self.keys.records, &reference, &plain);
        let sha256 = audit::sha256_hex(&ciphertext);
        Ok(Sealed {
            reference,
            ciphertext,
            sha256,
        })
    }

    /// [`Sealer::seal`] of a note version as its record holds it.
    pub(crate) fn seal_note(&self, note: &Note) -> Result<Sealed> {
        let reference = RecordRef::new(RecordKind::Note, &note.id, note.version);
        self.seal(reference, &note.record())
    }
}

/// A fresh random identifier (eight hexadecimal digits), not yet checked for use.
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 4];
    OsRng.fill_bytes(&mut bytes);
    data_encoding::HEXLOWER.encode(&bytes)
}

/// Serializes into a buffer of exactly the right size, so no partial copy of the
/// plaintext is left behind by a reallocation; the buffer is wiped on drop.
fn to_json<T: Serialize>(value: &T) -> Result<Zeroizing<Vec<u8>>> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value)
        .map_err(|e| Error::InvalidInput(format!("cannot serialize: {e}")))?;
    let mut out = Zeroizing::new(Vec::with_capacity(count.0));
    serde_json::to_writer(&mut *out, value)
        .map_err(|e| Error::InvalidInput(format!("cannot serialize: {e}")))?;
    Ok(out)
}

/// Decrypts one audit event's details and reads only its write targets.
fn open_event_writes(keys: &VaultKeys, row: &AuditRow) -> Option<Vec<Target>> {
    let plain = record::open(&keys.records, &AuditEvent::reference(row.seq), &row.details).ok()?;
    audit::write_targets(&plain)
}

/// Decrypts one audit event's details.
fn open_event(keys: &VaultKeys, row: &AuditRow) -> Result<AuditEvent> {
    open_sealed(keys, &AuditEvent::reference(row.seq), &row.details)
}

/// Decrypts one record and parses its JSON.
fn open_json<T: DeserializeOwned>(keys: &VaultKeys, row: &RecordRow) -> Result<T> {
    open_sealed(keys, &row.reference, &row.ciphertext)
}

fn open_sealed<T: DeserializeOwned>(
    keys: &VaultKeys,
    reference: &RecordRef,
    ciphertext: &[u8],
) -> Result<T> {
    let plain = record::open(&keys.records, reference, ciphertext)?;
    serde_json::from_slice(&plain).map_err(|_| Error::MalformedRecord {
        record: reference.to_string(),
    })
}

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
fn without_bom(body: &str) -> &str {
    body.strip_prefix('\u{feff}').unwrap_or(body)
}

/// The target that records a read of `reference`.
fn read_target(reference: RecordRef) -> Target {
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
    keys: &'a VaultKeys,
    targets: Vec<Target>,
    /// The purpose the operation states, for its audit event.
    pub(crate) purpose: Option<String>,
    /// The outcome to record when the operation succeeds (default `ok`), e.g. a
    /// decision's `denied`.
    pub(crate) outcome: Option<String>,
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
    fn write_keyslot(&mut self, name: &str, keyslot: &[u8]) -> Result<()> {
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

impl Session {
    /// Failed unlocks recorded since the previous successful unlock, oldest first.
    /// They have been entered in the audit trail by this unlock.
    pub fn failed_unlocks(&self) -> &[FailedUnlock] {
        &self.failed_unlocks
    }

    /// Seals records outside any transaction, with this session's keys.
    pub(crate) fn sealer(&self) -> Sealer<'_> {
        Sealer { keys: &self.keys }
    }

    /// The actor named in this session's audit events.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The vault's identifier (random, hex).
    pub fn vault_id(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.vault_id)
    }

    /// The one gate every operation passes: runs `op` in a transaction and appends
    /// the audit event in the same transaction. On failure the operation's writes
    /// are rolled back and the failure is audited in a transaction of its own.
    ///
    /// Access control for group practices (roles, per-role keys) belongs here.
    pub(crate) fn access<T>(
        &mut self,
        action: &str,
        op: impl FnOnce(&mut Access<'_, '_>) -> Result<T>,
    ) -> Result<T> {
        let keys = &self.keys;
        let vault_id = &self.vault_id;
        let actor = &self.actor;
        let mut attempted = Vec::new();
        let mut purpose = None;
        let result = self.store.transaction(|tx| {
            let mut access = Access {
                tx,
                keys,
                targets: Vec::new(),
                purpose: None,
                outcome: None,
            };
            let value = op(&mut access);
            attempted = access.targets;
            purpose = access.purpose;
            let value = value?;
            let draft = EventDraft {
                at: now(),
                actor: actor.clone(),
                action: action.to_owned(),
                targets: std::mem::take(&mut attempted),
                outcome: access.outcome.unwrap_or_else(|| "ok".into()),
                purpose: purpose.clone(),
            };
            let tip = chain_tip(tx, keys, vault_id)?.ok_or(Error::AuditHeadMismatch);
            let appended = tip.and_then(|tip| {
                let sealed = seal_event(keys, tip.0 + 1, &draft)?;
                let tip = chain_event(tx, keys, tip, sealed)?;
                seal_chain_head(tx, keys, tip)
            });
            // Kept for the failure's own event, should appending fail.
            attempted = draft.targets;
            appended?;
            Ok(value)
        });
        if let Err(error) = &result {
            // The writes were rolled back: keep only what was read.
            attempted.retain(|t| t.access == TargetAccess::Read);
            self.audit_failure(action, attempted, purpose, error);
        }
        result
    }

    /// [`Session::access`] for many items in one transaction: each item is its own
    /// operation with its own audit event. An item that fails with bad input is
    /// audited as failed and skipped; a storage failure rolls the whole batch back.
    /// `op` must write only as its last step, so a failed item writes nothing. The
    /// events, one per item in the items' order, are sealed on every core once every
    /// item has run, then chained, all in the same transaction.
    pub(crate) fn access_each<I, T>(
        &mut self,
        action: &str,
        items: I,
        mut op: impl FnMut(&mut Access<'_, '_>, &mut I::Item) -> Result<T>,
    ) -> Result<Vec<(I::Item, Result<T>)>>
    where
        I: IntoIterator,
    {
        let keys = &self.keys;
        let vault_id = &self.vault_id;
        let actor = &self.actor;
        self.store.transaction(|tx| {
            let mut done = Vec::new();
            let mut drafts = Vec::new();
            for mut item in items {
                let mut access = Access {
                    tx,
                    keys,
                    targets: Vec::new(),
                    purpose: None,
                    outcome: None,
                };
                let value = op(&mut access, &mut item);
                let outcome = match &value {
                    Ok(_) => access.outcome.take().unwrap_or_else(|| "ok".into()),
                    Err(Error::Store(_)) => return Err(value.err().expect("an error")),
                    Err(e) => {
                        access.targets.retain(|t| t.access == TargetAccess::Read);
                        e.audit_outcome()
                    }
                };
                drafts.push(EventDraft {
                    at: now(),
                    actor: actor.clone(),
                    action: action.to_owned(),
                    targets: access.targets,
                    outcome,
                    purpose: access.purpose,
                });
                done.push((item, value));
            }
            if drafts.is_empty() {
                return Ok(done);
            }
            let tip = chain_tip(tx, keys, vault_id)?.ok_or(Error::AuditHeadMismatch)?;
            let sealed: Vec<SealedEvent> = (tip.0 + 1..)
                .zip(drafts)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|(seq, draft)| seal_event(keys, seq, &draft))
                .collect::<Result<_>>()?;
            let mut tip = tip;
            for event in sealed {
                tip = chain_event(tx, keys, tip, event)?;
            }
            seal_chain_head(tx, keys, tip)?;
            Ok(done)
        })
    }

    fn audit_failure(
        &mut self,
        action: &str,
        targets: Vec<Target>,
        purpose: Option<String>,
        error: &Error,
    ) {
        if matches!(error, Error::Store(StoreError::Busy)) {
            // The lock it waited for is still held: a second wait would only double
            // the user's; the command changed nothing.
            return;
        }
        let draft = EventDraft {
            at: now(),
            actor: self.actor.clone(),
            action: action.to_owned(),
            targets,
            outcome: error.audit_outcome(),
            purpose,
        };
        let (keys, vault_id) = (&self.keys, &self.vault_id);
        // If even this fails (a broken chain), the original error is what matters.
        let _ = self
            .store
            .transaction(|tx| append_event(tx, keys, vault_id, draft));
    }

    /// Sets a new passphrase: rewraps the root secret, nothing else changes. Keeps the
    /// keyslot's KDF parameters unless `params` is given. Both passphrases are taken in
    /// their [`crate::crypto::keyslot::normalize_passphrase`] form (the current one as given too, for a
    /// keyslot sealed before passphrases were normalized).
    pub fn change_passphrase(
        &mut self,
        current: &SecretString,
        new: &SecretString,
        params: Option<KdfParams>,
    ) -> Result<()> {
        let slot = self.store.keyslot(PASSPHRASE_SLOT)?;
        let params = match params {
            Some(p) => p,
            None => keyslot::params_of(&slot).unwrap_or_default(),
        };
        // Reopen rather than keep the root secret around for the whole session.
        let (root, _) = keyslot::open(current, &slot).map_err(|source| match source {
            KeyslotError::WrongSecret => Error::WrongPassphrase,
            source => Error::Keyslot {
                slot: PASSPHRASE_SLOT,
                source,
            },
        })?;
        let sealed = keyslot::seal(new, params, &root).map_err(|source| Error::Keyslot {
            slot: PASSPHRASE_SLOT,
            source,
        })?;
        self.access("vault.passwd", |a| {
            a.write_keyslot(PASSPHRASE_SLOT, &sealed)
        })
    }

    /// Adds a client; returns the new client's identifier.
    pub fn add_client(&mut self, new: NewClient) -> Result<ClientId> {
        check_dates(&[("date of birth", new.date_of_birth)])?;
        let name = new.name.trim().to_owned();
        if crate::base::fold::is_blank(&name) {
            return Err(Error::InvalidInput("the client's name is empty".into()));
        }
        if new
            .third_parties
            .iter()
            .any(|n| crate::base::fold::is_blank(n))
        {
            return Err(Error::InvalidInput("a third-party name is empty".into()));
        }
        crate::base::fold::check_lines(
            [("client's name", new.name.as_str())]
                .into_iter()
                .chain(new.contact.as_deref().map(|c| ("contact", c)))
                .chain(
                    new.third_parties
                        .iter()
                        .map(|n| ("third-party name", n.as_str())),
                ),
        )?;
        self.access("client.add", |a| {
            let id = a.new_id(RecordKind::Client)?;
            let client = Client {
                id: id.clone(),
                name,
                date_of_birth: new.date_of_birth,
                contact: new.contact.filter(|c| !crate::base::fold::is_blank(c)),
                third_parties: new
                    .third_parties
                    .iter()
                    .map(|n| n.trim().to_owned())
                    .collect(),
                created_at: now(),
            };
            a.write(RecordRef::new(RecordKind::Client, &id, 1), &client)?;
            Ok(id)
        })
    }

    /// Every client, by name.
    pub fn list_clients(&mut self) -> Result<Vec<Client>> {
        let mut clients: Vec<Client> =
            self.access("client.list", |a| a.read_all(RecordKind::Client))?;
        clients.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then(a.id.cmp(&b.id))
        });
        Ok(clients)
    }

    /// One client's profile.
    pub fn client(&mut self, id: &str) -> Result<Client> {
        self.access("client.show", |a| a.client(id))
    }

    /// Adds a draft note; returns its identifier.
    pub fn add_note(&mut self, new: NewNote) -> Result<NoteId> {
        check_dates(&[("session date", Some(new.date))])?;
        let mut clients: Vec<ClientId> = Vec::with_capacity(new.clients.len());
        for client in &new.clients {
            if !clients.contains(client) {
                clients.push(client.clone());
            }
        }
        if clients.is_empty() {
            return Err(Error::InvalidInput(
                "a note needs at least one client".into(),
            ));
        }
        let note_type = match (new.note_type, clients.len()) {
            (Some(NoteType::Individual), n) if n > 1 => {
                return Err(Error::InvalidInput(format!(
                    "an individual note has one client, not {n}; say --type couples, family or group"
                )));
            }
            (Some(t), 1) if t != NoteType::Individual => {
                return Err(Error::InvalidInput(format!(
                    "a {} note has more than one client; add each with --client",
                    t.as_str()
                )));
            }
            (Some(t), _) => t,
            (None, 1) => NoteType::Individual,
            (None, _) => {
                return Err(Error::InvalidInput(
                    "a note with several clients needs --type couples, family or group".into(),
                ));
            }
        };
        let actor = self.actor.clone();
        let body = without_bom(&new.body);
        self.access("note.add", |a| {
            let sections = a.sections(body)?;
            for client in &clients {
                a.client(client)?;
            }
            let id = a.new_id(RecordKind::Note)?;
            let note = Note {
                id: id.clone(),
                version: 1,
                clients,
                date: new.date,
                note_type,
                body: body.to_owned(),
                sections,
                status: NoteStatus::Draft,
                addenda: Vec::new(),
                written_at: now(),
                written_by: actor,
                source: None,
            };
            a.write_note(&note)?;
            Ok(id)
        })
    }

    /// The current version of a note.
    pub fn note(&mut self, id: &str) -> Result<Note> {
        self.access("note.show", |a| a.note(id))
    }

    /// One earlier (or the current) version of a note.
    pub fn note_version(&mut self, id: &str, version: u32) -> Result<Note> {
        self.access("note.show", |a| {
            let reference = RecordRef::new(RecordKind::Note, id, version);
            match a.tx.record(&reference)? {
                Some(row) => a.decrypt(&row),
                None if a.tx.record_exists(RecordKind::Note, id)? => Err(Error::NoSuchVersion {
                    note: id.to_owned(),
                    version,
                }),
                None => Err(Error::NoteNotFound(id.to_owned())),
            }
        })
    }

    /// The current version of every note of `client`, by session date.
    pub fn notes_for_client(&mut self, client: &str) -> Result<Vec<Note>> {
        let mut notes = self.access("note.list", |a| {
            a.client(client)?;
            let notes: Vec<Note> = a.read_all(RecordKind::Note)?;
            Ok(notes
                .into_iter()
                .filter(|n| n.clients.iter().any(|c| c == client))
                .collect::<Vec<_>>())
        })?;
        notes.sort_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)));
        Ok(notes)
    }

    /// Replaces a draft note's body, keeping the earlier version.
    pub fn edit_note(&mut self, id: &str, body: &str) -> Result<u32> {
        let body = without_bom(body);
        let actor = self.actor.clone();
        self.access("note.edit", |a| {
            let sections = a.sections(body)?;
            let mut note = a.note(id)?;
            if note.is_signed() {
                return Err(Error::NoteSigned(id.to_owned()));
            }
            note.version += 1;
            note.body = body.to_owned();
            note.sections = sections;
            note.written_at = now();
            note.written_by = actor;
            a.write_note(&note)?;
            Ok(note.version)
        })
    }

    /// Signs a note, closing it for edits.
    pub fn sign_note(&mut self, id: &str) -> Result<u32> {
        let actor = self.actor.clone();
        self.access("note.sign", |a| {
            let mut note = a.note(id)?;
            if note.is_signed() {
                return Err(Error::NoteSigned(id.to_owned()));
            }
            let at = now();
            note.version += 1;
            note.status = NoteStatus::Signed {
                at: at.clone(),
                by: actor.clone(),
            };
            note.written_at = at;
            note.written_by = actor;
            a.write_note(&note)?;
            Ok(note.version)
        })
    }

    /// Appends an addendum to a signed note.
    pub fn amend_note(&mut self, id: &str, body: &str) -> Result<u32> {
        let body = without_bom(body);
        let actor = self.actor.clone();
        self.access("note.amend", |a| {
            let sections = a.sections(body)?;
            let mut note = a.note(id)?;
            if !note.is_signed() {
                return Err(Error::NoteNotSigned(id.to_owned()));
            }
            let at = now();
            note.version += 1;
            note.addenda.push(Addendum {
                written_at: at.clone(),
                written_by: actor.clone(),
                body: body.to_owned(),
                sections,
            });
            note.written_at = at;
            note.written_by = actor;
            a.write_note(&note)?;
            Ok(note.version)
        })
    }

    /// Searches the decrypted text of every note's current version (body and
    /// addenda), case-insensitively; optionally only one client's notes. There is no
    /// index: nothing derived from the plaintext is ever stored.
    ///
    /// ```
    /// # use casevault::*;
    /// # use secrecy::SecretString;
    /// # fn main() -> Result<(), Error> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let pass = SecretString::from("correct horse battery staple");
    /// # let (mut session, _) =
    /// #     Vault::create(&dir.path().join("v"), &pass, KdfParams::default(), "dr-rivera")?;
    /// let ada = session.add_client(NewClient { name: "Ada Example".into(), ..NewClient::default() })?;
    /// let note = session.add_note(NewNote::individual(
    ///     &ada,
    ///     "2026-03-01".parse().unwrap(),
    ///     "Slept better.\n## medication\nSertraline 50 mg.\n",
    /// ))?;
    /// let hits = session.search("SERTRALINE", Some(&ada))?;
    /// assert_eq!(hits.len(), 1);
    /// assert_eq!(hits[0].note, note);
    /// assert_eq!(hits[0].line, "Sertraline 50 mg.");
    /// # Ok(())
    /// # }
    /// ```
    pub fn search(&mut self, query: &str, client: Option<&str>) -> Result<Vec<SearchHit>> {
        let needle = query.trim().to_lowercase();
        if crate::base::fold::is_blank(&needle) {
            return Err(Error::InvalidInput("the search query is empty".into()));
        }
        let mut hits = self.access("note.search", |a| {
            if let Some(client) = client {
                a.client(client)?;
            }
            let mut hits = Vec::new();
            a.for_each_page(RecordKind::Note, |notes: Vec<NoteText>| {
                let page: Vec<SearchHit> = notes
                    .par_iter()
                    .filter(|note| client.is_none_or(|c| note.clients.iter().any(|n| n == c)))
                    .flat_map_iter(|note| search_note(note, &needle))
                    .collect();
                hits.extend(page);
                Ok(())
            })?;
            Ok(hits)
        })?;
        hits.sort_by(|a, b| a.date.cmp(&b.date).then(a.note.cmp(&b.note)));
        Ok(hits)
    }

    /// Every audit event, oldest first (decrypted).
    pub fn audit_log(&mut self) -> Result<Vec<AuditEvent>> {
        self.access("audit.log", |a| {
            let rows = a.tx.audit_rows()?;
            let keys = a.keys;
            rows.par_iter().map(|row| open_event(keys, row)).collect()
        })
    }

    /// Checks the audit chain, its sealed head, an optional anchor, and that every
    /// record's ciphertext is the one its last audited write produced.
    ///
    /// ```
    /// # use casevault::*;
    /// # use secrecy::SecretString;
    /// # fn main() -> Result<(), Error> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let pass = SecretString::from("correct horse battery staple");
    /// # let (mut session, _) =
    /// #     Vault::create(&dir.path().join("v"), &pass, KdfParams::default(), "dr-rivera")?;
    /// // Keep an anchor outside the vault (on paper, in another account) ...
    /// let anchor = session.audit_anchor()?;
    /// session.add_client(NewClient { name: "Ada Example".into(), ..NewClient::default() })?;
    /// // ... and check later that the trail still extends it.
    /// let report = session.verify_audit(Some(&anchor))?;
    /// assert!(report.is_intact());
    /// # Ok(())
    /// # }
    /// ```
    pub fn verify_audit(&mut self, anchor: Option<&str>) -> Result<VerifyReport> {
        let anchor_given = match anchor {
            Some(text) => Some(audit::parse_anchor(text).ok_or_else(|| {
                Error::InvalidInput(format!(
                    "{text:?} is not an anchor; `casevault audit anchor` prints one like 42-0123456789abcdef0123456789abcdef"
                ))
            })?),
            None => None,
        };
        let keys = &self.keys;
        let vault_id = &self.vault_id;
        let report = self.store.transaction(|tx| -> Result<_> {
            // A chunk at a time, so memory is bounded by a chunk, not the vault; the
            // next chunk is read while the one before is checked.
            let mut verifier = audit::Verifier::new(&keys.audit, vault_id, anchor_given);
            let mut prev = verifier.chain_start();
            scan::overlapped(
                |next| {
                    tx.audit_rows_chunked(CHUNK, |rows| {
                        let chunk_prev = prev;
                        prev = rows.last().map_or(prev, audit::stored_mac);
                        next((chunk_prev, rows))
                    })
                },
                |(prev, rows)| {
                    audit::check_events(&keys.audit, prev, rows, |row| open_event_writes(keys, row))
                },
                |checked| -> Result<()> {
                    verifier.events(checked);
                    Ok(())
                },
            )?;
            verifier.head(tx.meta(AUDIT_HEAD)?.as_deref());
            scan::overlapped(
                |next| tx.records_chunked(CHUNK, next),
                audit::digest_records,
                |digests| -> Result<()> {
                    verifier.records(digests);
                    Ok(())
                },
            )?;
            Ok(verifier.finish(&tx.keyslots()?))
        })?;
        // A broken chain cannot take a new event; the report says why.
        let _ = self.access("audit.verify", |_| Ok(()));
        Ok(report)
    }

    /// The anchor of the audit trail as it stands after this call's own event.
    pub fn audit_anchor(&mut self) -> Result<String> {
        self.access("audit.anchor", |_| Ok(()))?;
        let keys = &self.keys;
        self.store.transaction(|tx| -> Result<_> {
            let head = tx.meta(AUDIT_HEAD)?.ok_or(Error::AuditHeadMismatch)?;
            let (seq, mac) =
                audit::open_head(&keys.audit, &head).ok_or(Error::AuditHeadMismatch)?;
            Ok(audit::anchor(seq, &mac))
        })
    }

    /// Writes a consistent copy of the vault (ciphertext only, same keyslots) to
    /// `out`, which must not exist; mode 0600, complete or absent.
    pub fn backup(&mut self, out: &Path) -> Result<()> {
        // The copy is made first, so the event records what happened; the copy itself
        // ends with the event before it.
        let made = crate::export::check_directory(out)
            .and_then(|()| self.store.backup_to(out).map_err(Error::from));
        match made {
            Ok(()) => self.access("vault.backup", |_| Ok(())),
            Err(error) => {
                self.audit_failure("vault.backup", Vec::new(), None, &error);
                Err(error)
            }
        }
    }
}

/// What search reads of a note: its text and what a hit names. Deserializing only
/// this skips deriving the sections, which search does not need.
#[derive(serde::Deserialize)]
struct NoteText {
    id: NoteId,
    date: Date,
    clients: Vec<ClientId>,
    body: String,
    #[serde(default)]
    addenda: Vec<AddendumText>,
}

#[derive(serde::Deserialize)]
struct AddendumText {
    body: String,
}

/// The lines of a note (body and addenda) that contain `needle` (already lowercase).
fn search_note(note: &NoteText, needle: &str) -> Vec<SearchHit> {
    let texts =
        std::iter::once(note.body.as_str()).chain(note.addenda.iter().map(|a| a.body.as_str()));
    texts
        .filter(|text| may_contain(text, needle))
        .flat_map(str::lines)
        .filter(|line| line.to_lowercase().contains(needle))
        .map(|line| SearchHit {
            note: note.id.clone(),
            date: note.date,
            clients: note.clients.clone(),
            line: line.trim().to_owned(),
        })
        .collect()
}

/// False only when no line of `text` can contain `needle` (lowercase): most notes do
/// not, and lowercasing a whole ASCII text once costs less than lowercasing each line.
/// A text that is not ASCII goes line by line, since some non-ASCII letters lowercase
/// to ASCII ones (the Kelvin sign to `k`).
fn may_contain(text: &str, needle: &str) -> bool {
    !text.is_ascii() || text.to_ascii_lowercase().contains(needle)
}
