//! Storage: the seam between the vault and where its bytes live, the two backends
//! behind it (a SQLite file; a PostgreSQL server, feature `server`), the copy from one
//! to the other, and the scans that read a chunk at a time.
//!
//! Everything above this layer talks to [`Backend`] and [`Transaction`], never to a
//! database: each backend implements the two traits.
//!
//! Invariant: storage knows nothing of keys or plaintext. It holds opaque bytes
//! (keyslots, record ciphertexts, audit rows, named values) and gives them back.

use std::path::Path;
use std::time::Duration;

use crate::base::{RecordKind, RecordRef};

#[cfg(test)]
mod conformance;
pub(crate) mod copy;
mod error;
mod location;
mod open;
#[cfg(feature = "server")]
mod postgres;
pub(crate) mod scan;
mod sqlite;
mod transfer;

pub use error::StoreError;
pub use location::{Location, LocationError, ServerAddress};
pub(crate) use open::{create, open};
pub(crate) use sqlite::SqliteStore;

type Result<T> = std::result::Result<T, StoreError>;

/// How long a backend waits for another process's write lock before giving up.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The most bytes of rows one chunk of a scan holds (past the row that reaches it):
/// one audit event can list a whole vault's notes, and several such in one chunk
/// would hold tens of megabytes.
pub(crate) const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// A raw row of the audit trail.
pub(crate) struct AuditRow {
    pub(crate) seq: u64,
    /// The chain value: a keyed MAC for events written before practices, a hash for
    /// signed events.
    pub(crate) mac: Vec<u8>,
    pub(crate) details: Vec<u8>,
    /// The member who appended the event (`None` for events written before practices).
    pub(crate) signer: Option<String>,
    /// The signer's Ed25519 signature of the chain value.
    pub(crate) signature: Option<Vec<u8>>,
    /// The event's write list, sealed for every member.
    pub(crate) writes: Option<Vec<u8>>,
}

/// A compartment's data key, wrapped to one member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GrantRow {
    pub(crate) member: String,
    /// The compartment's identifier (opaque to the store).
    pub(crate) compartment: String,
    /// How it is wrapped: `x25519` (to the member's public key, by whoever granted it)
    /// or `own` (under the member's own key, once they have taken it in).
    pub(crate) form: String,
    pub(crate) wrapped: Vec<u8>,
}

/// A raw stored record: one version of one record, sealed.
pub(crate) struct RecordRow {
    pub(crate) reference: RecordRef,
    pub(crate) ciphertext: Vec<u8>,
}

/// Where a vault's bytes live.
///
/// What a backend must guarantee, whatever it is built on:
/// - **Atomic transactions.** [`Backend::begin`] opens a transaction that sees its own
///   writes; everything written in it is kept by [`Transaction::commit`] and nothing of
///   it when the transaction is dropped uncommitted, even if the process dies between.
///   A commit is durable when it returns.
/// - **A serialized audit append.** At most one write transaction runs at a time on a
///   vault, across processes (and, for a server, across machines): `begin` waits for
///   the one in progress (up to [`BUSY_TIMEOUT`], then [`StoreError::Busy`]), so two
///   operations never chain audit events from the same tip.
/// - **Insert-only records and events.** [`Transaction::insert_record`] and
///   [`Transaction::append_audit`] refuse a key that exists (a record's kind, id and
///   version; an event's sequence number); only [`Transaction::replace_record`]
///   (re-sealing under new keys) updates a record, and only
///   [`Transaction::destroy_record`] (a client's record destroyed when its retention
///   ends, named in the audit event that does it) deletes one. Events are never deleted.
/// - **Opaque bytes.** What is stored is returned byte for byte; a value of the wrong
///   type or shape is [`StoreError::Corrupt`], never a guess.
pub(crate) trait Backend: Send {
    /// Where the vault is, for messages.
    fn location(&self) -> &Location;

    /// Reads a keyslot outside any transaction (before the vault is unlocked).
    fn keyslot(&self, name: &str) -> Result<Vec<u8>>;

    /// Records a failed unlock: the only write made without a key, outside the chain.
    fn record_failed_unlock(&mut self, keyslot: &str, at: &str) -> Result<()>;

    /// Writes a consistent copy of the vault to `out` (which must not exist), mode
    /// 0600, atomically: the copy appears under its name only once complete.
    fn backup_to(&mut self, out: &Path) -> Result<()>;

    /// Opens the write transaction, waiting for any other one to end.
    fn begin(&mut self) -> Result<Box<dyn Transaction + '_>>;

    /// Removes a vault this process has just created and that holds no audit event
    /// (its creation or copy failed): the file, or the tables, so that a retry finds
    /// the place as it was. A vault holding an event is left as it is.
    fn discard(self: Box<Self>) -> Result<()>;
}

/// An open write transaction: every read and write of an operation goes through one.
pub(crate) trait Transaction {
    /// Keeps everything written in the transaction. Dropping it instead discards it.
    fn commit(self: Box<Self>) -> Result<()>;

    /// A named value (the vault's identifier, the sealed audit head, a key check).
    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>>;

    /// Sets a named value, replacing the one before.
    fn set_meta(&self, name: &str, value: &[u8]) -> Result<()>;

    /// Every named value, in name order (a copy of the vault takes them all).
    fn all_meta(&self) -> Result<Vec<(String, Vec<u8>)>>;

    /// Deletes the named value `name`, and every one whose name starts with
    /// `name` followed by `/`; returns how many.
    fn delete_meta_tree(&self, name: &str) -> Result<u64>;

    /// Sets a keyslot, replacing the one of the same name.
    fn set_keyslot(&self, name: &str, keyslot: &[u8]) -> Result<()>;

    /// Every keyslot, by name, in name order.
    fn keyslots(&self) -> Result<Vec<(String, Vec<u8>)>>;

    /// Stores one version of a record; refuses one that exists.
    fn insert_record(&self, reference: &RecordRef, ciphertext: &[u8]) -> Result<()>;

    /// True when some version of the record exists.
    fn record_exists(&self, kind: RecordKind, id: &str) -> Result<bool>;

    /// How many records (not versions) of `kind` there are.
    fn count_records(&self, kind: RecordKind) -> Result<u64>;

    /// One version of one record.
    fn record(&self, reference: &RecordRef) -> Result<Option<RecordRow>>;

    /// The newest version of one record.
    fn latest_record(&self, kind: RecordKind, id: &str) -> Result<Option<RecordRow>>;

    /// The newest version of the records of `kind` whose id sorts after `after`, in id
    /// order, at most `limit` of them: a page, so that a scan need not hold every
    /// ciphertext at once.
    fn latest_records_page(
        &self,
        kind: RecordKind,
        after: &str,
        limit: Option<usize>,
    ) -> Result<Vec<RecordRow>>;

    /// Stored records, every version, in (kind, id, version) order, starting after
    /// `after` (from the first when `None`): at most `limit` rows, and no more once
    /// their ciphertexts reach `max_bytes` (the row that reaches it included).
    fn records_after(
        &self,
        after: Option<&RecordRef>,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<RecordRow>>;

    /// Appends an audit row; refuses a sequence number that exists.
    fn append_audit(&self, row: &AuditRow) -> Result<()>;

    /// The audit row with the highest sequence number.
    fn last_audit(&self) -> Result<Option<AuditRow>>;

    /// How many audit rows are numbered 1 to `seq`.
    fn count_audit_upto(&self, seq: u64) -> Result<u64>;

    /// Audit rows in sequence order, starting after `after_seq` (from the first when
    /// `None`): at most `limit`, and no more once their details reach `max_bytes` (the
    /// row that reaches it included).
    fn audit_rows_after(
        &self,
        after_seq: Option<u64>,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<AuditRow>>;

    /// Sets a member's grant of a compartment, replacing the one before.
    fn set_grant(&self, grant: &GrantRow) -> Result<()>;

    /// A member's grant of a compartment.
    fn grant(&self, member: &str, compartment: &str) -> Result<Option<GrantRow>>;

    /// True when some member holds a grant of `compartment`.
    fn grant_exists(&self, compartment: &str) -> Result<bool>;

    /// Every grant of `member` in wrapping `form`.
    fn grants_of(&self, member: &str, form: &str) -> Result<Vec<GrantRow>>;

    /// Every grant of every member, in (member, compartment) order.
    fn all_grants(&self) -> Result<Vec<GrantRow>>;

    /// Deletes a member's grant of one compartment, or all of them; returns how many.
    fn delete_grants(&self, member: &str, compartment: Option<&str>) -> Result<u64>;

    /// Deletes every grant of `compartment`, to every member: the compartment's key is
    /// gone for good (a client's record destroyed). Returns how many.
    fn destroy_compartment(&self, compartment: &str) -> Result<u64>;

    /// Deletes every version of the record `kind`/`id`, overwriting the freed space
    /// (the destruction of a client's record); returns how many versions.
    fn destroy_record(&self, kind: RecordKind, id: &str) -> Result<u32>;

    /// Replaces the ciphertext of an existing record version: only re-sealing under
    /// new keys (migration, `rekey`) does this, and its audit event lists every
    /// record it re-sealed with the new digest.
    fn replace_record(&self, reference: &RecordRef, ciphertext: &[u8]) -> Result<()>;

    /// Every recorded failed unlock (time, keyslot), oldest first, left in place.
    fn failed_unlocks(&self) -> Result<Vec<(String, String)>>;

    /// Removes and returns every recorded failed unlock (time, keyslot), oldest first.
    fn take_failed_unlocks(&self) -> Result<Vec<(String, String)>>;

    /// Records a failed unlock inside the transaction (a copy of the vault keeps them).
    fn add_failed_unlock(&self, at: &str, keyslot: &str) -> Result<()>;
}

/// The rows until they hold `max_bytes` (`size` says how much a row holds), the row
/// that reaches it included: the rest is left unread. Every backend's pages end so.
pub(crate) fn up_to<T, E>(
    rows: impl IntoIterator<Item = std::result::Result<T, E>>,
    max_bytes: usize,
    size: impl Fn(&T) -> usize,
) -> std::result::Result<Vec<T>, E> {
    let mut out = Vec::new();
    let mut bytes = 0;
    for row in rows {
        let row = row?;
        bytes += size(&row);
        out.push(row);
        if bytes >= max_bytes {
            break;
        }
    }
    Ok(out)
}

/// The names from `prefix` (included) to the first name past every one that starts
/// with it (`None`: no end): a range in byte order (SQLite's and the server's
/// `COLLATE "C"`).
pub(crate) fn prefix_range(prefix: &str) -> (String, Option<String>) {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0x7f {
            end.push(last + 1);
            return (prefix.to_owned(), String::from_utf8(end).ok());
        }
    }
    (prefix.to_owned(), None)
}

/// What re-sealing one record version must have changed: exactly its row.
pub(crate) fn replaced_one(changed: u64, reference: &RecordRef) -> Result<()> {
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "{reference} disappeared while it was being re-sealed"
        )))
    }
}

/// The directory a new file `out` (which must not exist) is made beside, and an I/O
/// error about `out` (its kind only: the error's own text would name casevault's
/// temporary file).
pub(crate) fn beside(
    out: &Path,
) -> Result<(
    std::path::PathBuf,
    impl Fn(std::io::Error) -> StoreError + Copy + '_,
)> {
    if out.exists() {
        return Err(StoreError::AlreadyExists(out.into()));
    }
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let io = |source: std::io::Error| StoreError::Io {
        path: out.to_owned(),
        source: source.kind().into(),
    };
    Ok((dir, io))
}

impl dyn Backend + '_ {
    /// Runs `f` in one write transaction, committed only if `f` succeeds.
    pub(crate) fn transaction<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&dyn Transaction) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let tx = self.begin()?;
        let value = f(&*tx)?;
        tx.commit()?;
        Ok(value)
    }
}

impl dyn Transaction + '_ {
    /// The newest version of every record of `kind`.
    pub(crate) fn latest_records(&self, kind: RecordKind) -> Result<Vec<RecordRow>> {
        self.latest_records_page(kind, "", None)
    }

    /// Every stored record, every version, in (kind, id, version) order, handed to `f`
    /// `chunk` rows at a time (fewer when they are large), so a scan holds one chunk
    /// of ciphertexts, not the vault.
    pub(crate) fn records_chunked<E: From<StoreError>>(
        &self,
        chunk: usize,
        mut f: impl FnMut(Vec<RecordRow>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut after: Option<RecordRef> = None;
        loop {
            let rows = self.records_after(after.as_ref(), chunk, CHUNK_BYTES)?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = Some(last.reference.clone());
            f(rows)?;
        }
    }

    /// Every audit row, in order, handed to `f` `chunk` rows at a time, fewer when
    /// they are large.
    pub(crate) fn audit_rows_chunked<E: From<StoreError>>(
        &self,
        chunk: usize,
        mut f: impl FnMut(Vec<AuditRow>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut after = None;
        loop {
            let rows = self.audit_rows_after(after, chunk, CHUNK_BYTES)?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = Some(last.seq);
            f(rows)?;
        }
    }
}
