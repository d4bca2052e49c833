//! What a vault holds, copied from one backend's transaction into another's, byte
//! for byte, and checked by digest: the copy `migrate --to` makes ([`super::copy`])
//! and a backup of a server vault (a vault file that opens anywhere).
//!
//! The copy is made in one transaction of the source (holding its write lock, so no
//! other command changes it meanwhile) into one transaction of a new destination;
//! after the destination commits, it is read back and its digest compared with the
//! source's. The digest covers every stored byte: keyslots, named values, grants,
//! failed unlocks, every record version and every audit row.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::{Backend, SqliteStore, StoreError, Transaction};

type Result<T> = std::result::Result<T, StoreError>;

/// Rows a copy holds at once (fewer when they are large).
const CHUNK: usize = 512;

/// What a copy carried.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Copied {
    /// Record versions.
    pub(crate) records: u64,
    /// Audit events.
    pub(crate) events: u64,
    /// The digest of everything stored, the same on both sides.
    pub(crate) digest: [u8; 32],
}

/// Copies everything `from` holds into `to` (which holds nothing yet).
fn copy_all(from: &dyn Transaction, to: &dyn Transaction) -> Result<Copied> {
    let mut copied = Copied::default();
    for (name, keyslot) in from.keyslots()? {
        to.set_keyslot(&name, &keyslot)?;
    }
    for (name, value) in from.all_meta()? {
        to.set_meta(&name, &value)?;
    }
    for grant in from.all_grants()? {
        to.set_grant(&grant)?;
    }
    for (at, keyslot) in from.failed_unlocks()? {
        to.add_failed_unlock(&at, &keyslot)?;
    }
    from.records_chunked(CHUNK, |rows| -> Result<()> {
        for row in rows {
            to.insert_record(&row.reference, &row.ciphertext)?;
            copied.records += 1;
        }
        Ok(())
    })?;
    from.audit_rows_chunked(CHUNK, |rows| -> Result<()> {
        for row in rows {
            to.append_audit(&row)?;
            copied.events += 1;
        }
        Ok(())
    })?;
    Ok(copied)
}

/// The digest of everything a vault stores, each part length-prefixed, in key order.
pub(crate) fn digest(tx: &dyn Transaction) -> Result<[u8; 32]> {
    let mut h = Sha256::new();
    let mut part = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    part(b"keyslots");
    for (name, keyslot) in tx.keyslots()? {
        part(name.as_bytes());
        part(&keyslot);
    }
    part(b"meta");
    for (name, value) in tx.all_meta()? {
        part(name.as_bytes());
        part(&value);
    }
    part(b"grants");
    for g in tx.all_grants()? {
        for field in [
            g.member.as_bytes(),
            g.compartment.as_bytes(),
            g.form.as_bytes(),
        ] {
            part(field);
        }
        part(&g.wrapped);
    }
    part(b"failed unlocks");
    for (at, keyslot) in tx.failed_unlocks()? {
        part(at.as_bytes());
        part(keyslot.as_bytes());
    }
    part(b"records");
    tx.records_chunked(CHUNK, |rows| -> Result<()> {
        for row in rows {
            part(row.reference.to_string().as_bytes());
            part(&row.ciphertext);
        }
        Ok(())
    })?;
    part(b"audit");
    tx.audit_rows_chunked(CHUNK, |rows| -> Result<()> {
        for row in rows {
            part(&row.seq.to_be_bytes());
            part(&row.mac);
            part(&row.details);
            part(row.signer.as_deref().unwrap_or("\u{0}").as_bytes());
            part(row.signature.as_deref().unwrap_or(b"\x00none"));
            part(row.writes.as_deref().unwrap_or(b"\x00none"));
        }
        Ok(())
    })?;
    Ok(h.finalize().into())
}

pub(super) fn copy_into(from: &mut dyn Backend, dest: &mut dyn Backend) -> Result<Copied> {
    let source = from.begin()?;
    let mut copied = {
        let target = dest.begin()?;
        let copied = copy_all(&*source, &*target)?;
        target.commit()?;
        copied
    };
    let expected = digest(&*source)?;
    drop(source);
    let found = {
        let check = dest.begin()?;
        digest(&*check)?
    };
    if found != expected {
        return Err(StoreError::Corrupt(format!(
            "the copy at {} does not read back as what was copied",
            dest.location()
        )));
    }
    copied.digest = found;
    Ok(copied)
}

/// Writes a vault file at `out` (which must not exist) holding everything `from`
/// holds, mode 0600, atomically: the file appears under its name only once complete
/// and checked.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) fn backup_into_file(from: &mut dyn Backend, out: &Path) -> Result<()> {
    let (dir, io) = super::beside(out)?;
    // A private directory beside the target: the copy is made there, then linked to
    // its name (which fails rather than replace a file that appeared meanwhile).
    let scratch = tempfile::Builder::new()
        .prefix(".casevault-backup-")
        .tempdir_in(&dir)
        .map_err(io)?;
    let partial = scratch.path().join("vault");
    {
        let mut dest = SqliteStore::create(&partial)?;
        copy_into(from, &mut dest)?;
    }
    std::fs::hard_link(&partial, out).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => StoreError::AlreadyExists(out.into()),
        _ => io(e),
    })?;
    if let Ok(d) = std::fs::File::open(&dir) {
        // Make the link durable; failure here leaves a complete file anyway.
        let _ = d.sync_all();
    }
    Ok(())
}
