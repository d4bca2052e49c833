//! The audit trail as a session sees it: the log, its verification, an anchor, and a
//! backup of the vault.

use std::path::Path;

use super::Session;
use crate::audit::{self, Action, AuditEvent, Chain, Verifier, VerifyReport};
use crate::error::Error;
use crate::store::{Location, scan};

/// A vault copied to a new place by [`Session::copy_to`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VaultCopy {
    /// Record versions copied.
    pub records: u64,
    /// Audit events copied.
    pub events: u64,
    /// SHA-256 over everything stored, read back from the copy (hex): the same as the
    /// source's.
    pub digest: String,
}

type Result<T> = std::result::Result<T, Error>;

/// Records checked at a time by `audit verify`'s pass over every record.
const CHUNK: usize = 1024;

impl Session {
    /// Every audit event, oldest first (decrypted).
    pub fn audit_log(&mut self) -> Result<Vec<AuditEvent>> {
        Ok(self.audit_log_counted()?.0)
    }

    /// The audit events this member may read, oldest first, and how many others
    /// there are: events of other members are sealed for the members whose role
    /// reviews the trail (and for the member who acted).
    pub fn audit_log_counted(&mut self) -> Result<(Vec<AuditEvent>, u64)> {
        let vault_id = self.vault_id.clone();
        self.access(Action::AuditLog, |a| a.audit_events(&vault_id))
    }

    /// Checks the audit chain, its sealed head, an optional anchor, that every
    /// record's ciphertext is the one its last audited write produced, and this
    /// member's search index (every block opens; every note is in it).
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
        let keys = &self.ring;
        let vault_id = &self.vault_id;
        let report = self.store.transaction(|tx| -> Result<_> {
            // A chunk at a time, so memory is bounded by a chunk, not the vault; the
            // next chunk is read while the one before is checked.
            let mut verifier = Verifier::new(keys, vault_id, anchor_given);
            Chain::new(keys, vault_id).verify_events::<Error>(tx, &mut verifier)?;
            scan::overlapped(
                |next| tx.records_chunked(CHUNK, next),
                audit::digest_records,
                |digests| -> Result<()> {
                    verifier.records(digests);
                    Ok(())
                },
            )?;
            let mut report = verifier.finish(&tx.keyslots()?);
            // The search index: every block opens, every note is in it.
            report.findings.extend(super::index::check(
                tx,
                keys,
                super::parts::compartments_of_record,
            )?);
            Ok(report)
        })?;
        // A broken chain cannot take a new event; the report says why.
        let _ = self.access(Action::AuditVerify, |_| Ok(()));
        Ok(report)
    }

    /// The anchor of the audit trail as it stands after this call's own event.
    pub fn audit_anchor(&mut self) -> Result<String> {
        self.access(Action::AuditAnchor, |_| Ok(()))?;
        let keys = &self.ring;
        let vault_id = &self.vault_id;
        self.store
            .transaction(|tx| -> Result<_> { Ok(Chain::new(keys, vault_id).anchor(tx)?) })
    }

    /// Copies the whole vault to `to`, a new place for it: a file that does not exist
    /// (a vault on a server moving to one machine) or an empty database on a server
    /// (a vault file moving to the practice's server). Every stored byte is copied in
    /// one transaction of this vault (no other command changes it meanwhile), then the
    /// copy is read back and its digest compared with this vault's. The copy opens
    /// with the same passphrases and holds the same trail; this vault records the copy
    /// (`vault.backup`) after it, and stays as it is.
    pub fn copy_to(&mut self, to: &Location) -> Result<VaultCopy> {
        let made = match to {
            Location::File(path) => crate::export::check_directory(path),
            Location::Server(_) => Ok(()),
        }
        .and_then(|()| crate::store::copy::copy_vault(&mut *self.store, to).map_err(Error::from));
        match made {
            Ok(copied) => {
                self.access(Action::VaultBackup, |_| Ok(()))?;
                Ok(VaultCopy {
                    records: copied.records,
                    events: copied.events,
                    digest: data_encoding::HEXLOWER.encode(&copied.digest),
                })
            }
            Err(error) => {
                self.audit_failure(Action::VaultBackup, Vec::new(), None, &error);
                Err(error)
            }
        }
    }

    /// Writes a consistent copy of the vault (ciphertext only, same keyslots) to
    /// `out`, a vault file which must not exist; mode 0600, complete or absent. A
    /// vault on a server is copied into a file that opens anywhere.
    pub fn backup(&mut self, out: &Path) -> Result<()> {
        // The copy is made first, so the event records what happened; the copy itself
        // ends with the event before it.
        let made = crate::export::check_directory(out)
            .and_then(|()| self.store.backup_to(out).map_err(Error::from));
        match made {
            Ok(()) => self.access(Action::VaultBackup, |_| Ok(())),
            Err(error) => {
                self.audit_failure(Action::VaultBackup, Vec::new(), None, &error);
                Err(error)
            }
        }
    }
}
