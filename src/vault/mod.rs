//! The vault: creating, unlocking, and every operation on an unlocked session.
//!
//! Invariant: every operation on a [`Session`] goes through [`Session::access`], the
//! one place that checks access and appends the audit event, in the same SQLite
//! transaction as the operation's own reads and writes. A failed operation is rolled
//! back and then audited on its own, with its outcome.

use rand::RngCore;
use rand::rngs::OsRng;
use secrecy::SecretString;
use serde::Serialize;

use crate::audit::{self, Action, Chain, EventDraft, Failure, Outcome};
use crate::base::{EventTime, RecordKind, Timestamp};
use crate::crypto::hygiene;
use crate::crypto::keys::{RecoveryCode, RootSecret};
use crate::crypto::keyslot::{self, KdfParams, KeyslotError};
use crate::crypto::member;
use crate::error::Error;
use crate::model::policy::Policy;
use crate::store::{Backend, Location, StoreError};

const PASSPHRASE_SLOT: &str = "passphrase";
const RECOVERY_SLOT: &str = "recovery";
/// The name of the practice's first member, whose keyslots are `passphrase` and
/// `recovery` (a vault made before practices has none: its first member is `owner`).
const FIRST_MEMBER: &str = "first_member";
/// The names of removed members, one a line: their passphrase is refused as such.
const REMOVED_MEMBERS: &str = "removed_members";

/// Whether `name` is a keyslot casevault writes: `passphrase`, `recovery`, or a
/// member's `member/<name>/passphrase` or `/recovery`.
fn is_keyslot_name(name: &str) -> bool {
    match name {
        PASSPHRASE_SLOT | RECOVERY_SLOT => true,
        _ => name.strip_prefix("member/").is_some_and(|rest| {
            rest.rsplit_once('/').is_some_and(|(member, kind)| {
                crate::model::practice::valid_member_name(member).is_ok()
                    && matches!(kind, PASSPHRASE_SLOT | RECOVERY_SLOT)
            })
        }),
    }
}
/// `audit::key_check` of the vault's audit key: unlocking checks the key is this vault's.
const KEY_CHECK: &str = "key_check";

mod access;
mod admin;
pub(crate) mod answer;
pub(crate) mod consent;
pub(crate) mod destroy;
pub(crate) mod disclose;
pub(crate) mod import;
mod index;
mod input;
pub(crate) mod inspect;
mod keyring;
mod members;
mod migrate;
mod notes;
pub(crate) mod owed;
mod parts;
mod pin;
pub(crate) mod profile;
pub(crate) mod record_life;
pub(crate) mod restrict;
pub(crate) mod rights;
mod seal;
mod search;
mod session;
pub(crate) mod trail;

pub(crate) use access::Access;
use access::VAULT_ID;
pub(crate) use input::{check_dates, check_lines};
pub(crate) use seal::random_id;

pub use members::{AccessRequest, Approval, DEFAULT_MEMBER, RekeyReport};
pub use search::{IndexRebuild, SearchHit};
pub use trail::VaultCopy;

use keyring::Keyring;

type Result<T> = std::result::Result<T, Error>;

/// Turns core dumps off (soft and hard limit 0, so nothing run later can raise them)
/// and marks the process not dumpable. Idempotent; the change lasts for the life of
/// the process. [`Vault::open`] and [`Vault::create`] call it; a program embedding the
/// library may call it earlier, before it reads a passphrase.
pub fn harden_process() -> Result<()> {
    Ok(hygiene::harden()?)
}

/// A failed unlock recorded while the vault was locked, reported at the next unlock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedUnlock {
    /// When; [`EventTime::Unreadable`] when the row's time was not a time (the rows
    /// are written without a key, so anyone holding the file can add one).
    pub at: EventTime,
    /// Which keyslot was tried (`passphrase`, `recovery`).
    pub keyslot: String,
}

/// A vault file, opened but locked.
pub struct Vault {
    store: Box<dyn Backend>,
    /// Where this machine keeps its pins of the trail, for the session to come
    /// ([`Vault::with_pins`]).
    pins: Option<std::path::PathBuf>,
}

/// An unlocked vault. Holds the subkeys until dropped (they are zeroized then).
pub struct Session {
    store: Box<dyn Backend>,
    ring: Keyring,
    vault_id: Vec<u8>,
    actor: String,
    failed_unlocks: Vec<FailedUnlock>,
    access_notices: Vec<AccessRequest>,
    /// This member's passphrase keyslot (`passphrase` for the first member).
    passphrase_slot: String,
    /// Where this machine keeps its pins of the vault's trail, once asked to.
    pins: Option<pin::Pins>,
}

impl Vault {
    /// Creates a new vault at `path` (which must not exist), with a passphrase keyslot
    /// and a recovery-code keyslot. Returns the unlocked session and the recovery code,
    /// which is never stored in the clear and must be shown to the user once. The
    /// passphrase is wrapped in its [`crate::crypto::keyslot::normalize_passphrase`] form.
    pub fn create(
        location: impl Into<Location>,
        passphrase: &SecretString,
        params: KdfParams,
        actor: &str,
    ) -> Result<(Session, RecoveryCode)> {
        Self::create_practice(location, passphrase, params, actor, DEFAULT_MEMBER)
    }

    /// [`Vault::create`], naming the practice's first member (role `owner`), whom the
    /// passphrase and recovery code open. The location is a file that must not exist,
    /// or an empty database on a server (feature `server`).
    pub fn create_practice(
        location: impl Into<Location>,
        passphrase: &SecretString,
        params: KdfParams,
        actor: &str,
        member: &str,
    ) -> Result<(Session, RecoveryCode)> {
        hygiene::harden()?;
        crate::model::practice::valid_member_name(member).map_err(Error::InvalidInput)?;
        params
            .check()
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let location = location.into();
        let store = crate::store::create(&location)?;
        match Self::initialize(store, passphrase, params, actor, member) {
            Ok(done) => Ok(done),
            Err(e) => {
                // The vault holds no data yet; leaving it would block a retry.
                match (crate::store::open(&location), &location) {
                    (Ok(store), _) => {
                        let _ = store.discard();
                    }
                    (Err(_), Location::File(path)) => {
                        let _ = std::fs::remove_file(path);
                    }
                    (Err(_), Location::Server(_)) => {}
                }
                Err(e)
            }
        }
    }

    fn initialize(
        store: Box<dyn Backend>,
        passphrase: &SecretString,
        params: KdfParams,
        actor: &str,
        member: &str,
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
        let legacy = root.subkeys();
        let check = audit::key_check(&legacy.audit, &vault_id);
        let (ring, founding) = Keyring::found(member, member::personal_key(&root), Some(legacy))?;
        let mut session = Session {
            store,
            ring,
            vault_id: vault_id.clone(),
            actor: actor.to_owned(),
            failed_unlocks: Vec::new(),
            access_notices: Vec::new(),
            passphrase_slot: PASSPHRASE_SLOT.to_owned(),
            pins: None,
        };
        session.access(Action::VaultInit, |a| {
            a.set_meta(VAULT_ID, &vault_id)?;
            a.set_meta(KEY_CHECK, &check)?;
            a.set_meta(FIRST_MEMBER, member.as_bytes())?;
            // Every note this vault will hold is indexed as it is written.
            index::mark_new_vault(a.tx())?;
            members::write_founding(a, &founding)?;
            a.write_policy(1, &Policy::default_policy(), actor)?;
            a.write_keyslot(PASSPHRASE_SLOT, &passphrase_slot)?;
            a.write_keyslot(RECOVERY_SLOT, &recovery_slot)?;
            Ok(())
        })?;
        Ok((session, code))
    }

    /// Opens the vault at `location` (a file's path, or a server's database with the
    /// feature `server`) without unlocking it.
    pub fn open(location: impl Into<Location>) -> Result<Vault> {
        hygiene::harden()?;
        Ok(Vault {
            store: crate::store::open(&location.into())?,
            pins: None,
        })
    }

    /// Holds the session this vault unlocks to this machine's pin of its trail, kept
    /// in `dir` (see [`Session::keep_pins`]): checked at the unlock, before anything
    /// is written to the vault, then before every operation. For a vault on a server.
    pub fn with_pins(mut self, dir: &std::path::Path) -> Vault {
        self.pins = Some(dir.to_owned());
        self
    }

    /// Where the vault is.
    pub fn location(&self) -> &Location {
        self.store.location()
    }

    fn open_slot(
        &mut self,
        slot: &str,
        secret: &SecretString,
        wrong: Error,
    ) -> Result<(RootSecret, keyslot::Form)> {
        let keyslot = self.store.keyslot(slot)?;
        match keyslot::open(secret, &keyslot) {
            Ok(opened) => Ok(opened),
            Err(KeyslotError::WrongSecret) => {
                self.store
                    .record_failed_unlock(slot, &Timestamp::now().to_string())?;
                Err(wrong)
            }
            Err(source) => Err(Error::Keyslot {
                slot: if slot.ends_with(RECOVERY_SLOT) {
                    RECOVERY_SLOT
                } else {
                    PASSPHRASE_SLOT
                },
                source,
            }),
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
    pub fn unlock(self, passphrase: &SecretString, actor: &str) -> Result<Session> {
        self.unlock_member(passphrase, actor, None)
    }

    /// The member [`Vault::unlock_member`] unlocks as, given `member`: the one named,
    /// or the practice's only member. It reads only the names of the vault's keyslots
    /// (nothing is decrypted, so nothing is audited), so a caller can name the member
    /// in the audit trail before unlocking. Fails as `unlock_member` would:
    /// [`Error::MemberNeeded`], [`Error::NoSuchMember`], [`Error::MemberRemoved`].
    pub fn member_to_unlock(&mut self, member: Option<&str>) -> Result<String> {
        Ok(self.member_slot(member, PASSPHRASE_SLOT)?.0)
    }

    /// [`Vault::unlock`] as the member `member` (by default the practice's only
    /// member; [`Error::MemberNeeded`] when it has several). A vault made before
    /// practices becomes a practice of one here, its passphrase opening the member
    /// [`DEFAULT_MEMBER`].
    pub fn unlock_member(
        mut self,
        passphrase: &SecretString,
        actor: &str,
        member: Option<&str>,
    ) -> Result<Session> {
        let (name, slot) = self.member_slot(member, PASSPHRASE_SLOT)?;
        let (root, form) = self.open_slot(&slot, passphrase, Error::WrongPassphrase)?;
        let rewrapped = match form {
            keyslot::Form::Normalized => None,
            keyslot::Form::AsGiven => {
                let params = self.current_params(&slot)?;
                keyslot::seal(passphrase, params, &root).ok()
            }
        };
        let mut session = self.into_session(root, actor, PASSPHRASE_SLOT, &name)?;
        session.passphrase_slot = slot.clone();
        if let Some(sealed) = rewrapped {
            // Best effort, see above: the keyslot as it was still opens.
            let _ = session.access(Action::VaultPasswd, |a| a.write_keyslot(&slot, &sealed));
        }
        Ok(session)
    }

    /// Unlocks with the recovery code and sets a new passphrase (keeping the
    /// passphrase keyslot's KDF parameters unless `params` is given). The new
    /// passphrase is wrapped in its [`crate::crypto::keyslot::normalize_passphrase`] form.
    pub fn recover(
        self,
        code: &RecoveryCode,
        new_passphrase: &SecretString,
        params: Option<KdfParams>,
        actor: &str,
    ) -> Result<Session> {
        self.recover_member(code, new_passphrase, params, actor, None)
    }

    /// [`Vault::recover`] for the member `member` (by default the only member).
    pub fn recover_member(
        mut self,
        code: &RecoveryCode,
        new_passphrase: &SecretString,
        params: Option<KdfParams>,
        actor: &str,
        member: Option<&str>,
    ) -> Result<Session> {
        let (name, recovery) = self.member_slot(member, RECOVERY_SLOT)?;
        let (_, passphrase_slot) = self.member_slot(Some(&name), PASSPHRASE_SLOT)?;
        let (root, _) = self.open_slot(&recovery, code.as_secret(), Error::WrongRecoveryCode)?;
        let params = match params {
            Some(p) => p,
            None => self.current_params(&passphrase_slot)?,
        };
        let sealed =
            keyslot::seal(new_passphrase, params, &root).map_err(|source| Error::Keyslot {
                slot: PASSPHRASE_SLOT,
                source,
            })?;
        let mut session = self.into_session(root, actor, RECOVERY_SLOT, &name)?;
        session.passphrase_slot = passphrase_slot.clone();
        session.access(Action::VaultRecover, |a| {
            a.write_keyslot(&passphrase_slot, &sealed)
        })?;
        Ok(session)
    }

    fn current_params(&self, slot: &str) -> Result<KdfParams> {
        // Recovery is for when things are broken: a missing or unreadable passphrase
        // keyslot must not stop it, so fall back to the defaults.
        Ok(self
            .store
            .keyslot(slot)
            .ok()
            .and_then(|slot| keyslot::params_of(&slot))
            .unwrap_or_default())
    }

    /// The member to unlock as, and their keyslot of `kind` (`passphrase`,
    /// `recovery`): the one named, or the practice's only member.
    fn member_slot(
        &mut self,
        member: Option<&str>,
        kind: &'static str,
    ) -> Result<(String, String)> {
        let (first, removed, others) = self.store.transaction(|tx| -> Result<_> {
            let first = tx
                .meta(FIRST_MEMBER)?
                .map(|name| String::from_utf8_lossy(&name).into_owned())
                .unwrap_or_else(|| DEFAULT_MEMBER.to_owned());
            let removed = tx
                .meta(REMOVED_MEMBERS)?
                .map(|names| String::from_utf8_lossy(&names).into_owned())
                .unwrap_or_default();
            let others: Vec<String> = tx
                .keyslots()?
                .into_iter()
                .filter_map(|(name, _)| {
                    let member = name.strip_prefix("member/")?.strip_suffix("/passphrase")?;
                    Some(member.to_owned())
                })
                .collect();
            Ok((first, removed, others))
        })?;
        let name = match member {
            Some(name) => name.to_owned(),
            None if others.is_empty() => first.clone(),
            None => return Err(Error::MemberNeeded),
        };
        if removed.split('\n').any(|r| r == name) {
            return Err(Error::MemberRemoved(name));
        }
        if name != first && !others.contains(&name) {
            return Err(Error::NoSuchMember(name));
        }
        let slot = members::slot_name(&name, &first, kind);
        Ok((name, slot))
    }

    fn into_session(
        mut self,
        root: RootSecret,
        actor: &str,
        slot: &'static str,
        name: &str,
    ) -> Result<Session> {
        let pins = self.pins.take();
        let personal = member::personal_key(&root);
        // The first member's secret is the vault's root secret: they hold the keys of
        // the events and records written before the vault was a practice.
        let (ring, founding, vault_id) = self.store.transaction(|tx| -> Result<_> {
            let vault_id = tx
                .meta(VAULT_ID)?
                .ok_or_else(|| StoreError::Corrupt("the vault identifier is missing".into()))?;
            let first = tx
                .meta(FIRST_MEMBER)?
                .is_none_or(|first| first == name.as_bytes());
            let legacy = first.then(|| root.subkeys());
            // A keyslot that opens with a key of another vault (copied from a vault
            // with the same passphrase) is refused here, not left to fail later. (Any
            // other member's keyslot from elsewhere fails to open their keys, named.)
            if let (Some(legacy), Some(stored)) = (&legacy, tx.meta(KEY_CHECK)?)
                && !audit::key_check_matches(&legacy.audit, &vault_id, &stored)
            {
                return Err(Error::ForeignKeyslot { slot });
            }
            if tx
                .latest_record(RecordKind::Roster, keyring::PRACTICE_RECORD)?
                .is_some()
            {
                Ok((Keyring::unlock(tx, name, personal, legacy)?, None, vault_id))
            } else {
                // Made before practices: it becomes a practice of one, below.
                let (ring, founding) = Keyring::found(DEFAULT_MEMBER, personal, legacy)?;
                Ok((ring, Some(founding), vault_id))
            }
        })?;
        let mut session = Session {
            store: self.store,
            ring,
            vault_id,
            actor: actor.to_owned(),
            failed_unlocks: Vec::new(),
            access_notices: Vec::new(),
            passphrase_slot: PASSPHRASE_SLOT.to_owned(),
            pins: None,
        };
        // Before anything is appended (failed unlocks, the founding of a practice):
        // a trail that does not extend this machine's pin takes nothing more.
        if let Some(dir) = &pins {
            session.keep_pins(dir)?;
        }
        let ring = &session.ring;
        let vault_id = &session.vault_id;
        let failed = session.store.transaction(|tx| -> Result<_> {
            let chain = Chain::new(ring, vault_id);
            // A keyslot that opens with a key of another vault (copied from a vault
            // with the same passphrase) is refused here, not left to fail later.
            if let Some(legacy) = ring.legacy_keys() {
                match tx.meta(KEY_CHECK)? {
                    Some(stored) if !audit::key_check_matches(&legacy.audit, vault_id, &stored) => {
                        return Err(Error::ForeignKeyslot { slot });
                    }
                    Some(_) => {}
                    // A vault made before the check: add it once the key has proved
                    // itself on the audit chain.
                    None if chain.accepts_events(tx)? => {
                        tx.set_meta(KEY_CHECK, &audit::key_check(&legacy.audit, vault_id))?;
                    }
                    None => {}
                }
            }
            Ok(())
        });
        failed?;
        if let Some(founding) = founding {
            session.access(Action::PracticeFound, |a| {
                a.set_meta(FIRST_MEMBER, DEFAULT_MEMBER.as_bytes())?;
                members::write_founding(a, &founding)?;
                migrate::reseal(a)
            })?;
        }
        let ring = &session.ring;
        let vault_id = &session.vault_id;
        let failed = session.store.transaction(|tx| -> Result<_> {
            let chain = Chain::new(ring, vault_id);
            // These rows were written without a key, so anyone holding the file can
            // forge them: keep only a well-formed time and a known keyslot name.
            // A chain that no longer matches its head cannot take events; leave the
            // markers for a later unlock so that `audit verify` can still run and say why.
            if !chain.accepts_events(tx)? {
                return Ok(Vec::new());
            }
            let failed: Vec<(EventTime, String)> = tx
                .take_failed_unlocks()?
                .into_iter()
                .map(|(at, slot)| {
                    let at = EventTime::from_untrusted(&at);
                    let slot = if is_keyslot_name(&slot) {
                        slot
                    } else {
                        "unknown".to_owned()
                    };
                    (at, slot)
                })
                .collect();
            // Fold failed unlocks into the chain now that there is a key to do it with.
            let drafts: Vec<EventDraft> = failed
                .iter()
                .map(|(at, slot)| EventDraft {
                    at: *at,
                    actor: "unknown".into(),
                    action: Action::VaultUnlock,
                    targets: Vec::new(),
                    purpose: None,
                    outcome: Outcome::Failed(if slot.ends_with(RECOVERY_SLOT) {
                        Failure::WrongRecoveryCode
                    } else {
                        Failure::WrongPassphrase
                    }),
                })
                .collect();
            chain.append(tx, &drafts)?;
            Ok(failed)
        })?;
        session.failed_unlocks = failed
            .into_iter()
            .map(|(at, keyslot)| FailedUnlock { at, keyslot })
            .collect();
        session.emergency_access_at_unlock();
        Ok(session)
    }
}
