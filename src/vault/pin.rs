//! Pins: what this machine last saw of a shared vault's audit trail, kept outside the
//! server, so that a server that rolls back, drops, reorders or forks the trail is
//! caught at the next operation.
//!
//! A pin is a file in a directory of the member's own (the command line's: the data
//! directory), one per member and vault, named by a digest of the member's personal
//! key (which the server cannot change: it is what the member's passphrase opens),
//! never by anything the server serves:
//!
//! ```text
//! casevault pin 1
//! vault <vault id, hex>
//! event <sequence number>
//! hash <the event's chain value, hex>
//! ```
//!
//! The vault identifier the server serves must be the one pinned. Before anything is
//! appended at unlock, and before every operation of a session that keeps pins, the
//! trail must hold the
//! pinned event with that chain value and extend it properly (each later event the
//! next, chained from the one before, signed by the member it names); after the
//! operation commits, the pin moves to the new last event. The first session on a
//! machine trusts the trail as it finds it (and `audit verify` checks it whole);
//! every later one holds the server to it.
//!
//! Invariant: a pin only moves forward along a trail that extends it, except by
//! [`Session::reset_pin`], which the member asks for and which is audited.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{Result, Session};
use crate::audit::{Chain, Extension};
use crate::error::{Error, TrailSeen};

/// The pin of one member's session: where it is kept, and under which name.
#[derive(Clone, Debug)]
pub(crate) struct Pins {
    dir: PathBuf,
    name: String,
}

/// One vault's pin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pin {
    seq: u64,
    value: [u8; 32],
}

const HEADER: &str = "casevault pin 1";

impl Pins {
    /// The pins kept in `dir` for the member whose personal key is `personal`.
    pub(super) fn new(dir: &Path, personal: &crate::crypto::compartment::DataKey) -> Pins {
        use hmac::Mac;
        use secrecy::ExposeSecret;
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(personal.expose_secret())
            .expect("HMAC takes a key of any length");
        mac.update(b"casevault.org/v2/pin");
        let digest = mac.finalize().into_bytes();
        Pins {
            dir: dir.to_owned(),
            name: data_encoding::HEXLOWER.encode(&digest[..16]),
        }
    }

    fn file(&self) -> PathBuf {
        self.dir.join(&self.name)
    }

    /// This member's pin of the vault, if this machine has one. A file that is not
    /// exactly a pin is refused, not ignored; a pin of another vault identifier means
    /// the server now serves this member's vault under another one.
    fn read(&self, vault_id: &[u8]) -> Result<Option<Pin>> {
        let path = self.file();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::PinUnreadable {
                    path,
                    why: e.kind().to_string(),
                });
            }
        };
        let (pinned_vault, pin) = parse(&text).ok_or_else(|| Error::PinUnreadable {
            path,
            why: "it is not a pin of this vault".into(),
        })?;
        if pinned_vault != data_encoding::HEXLOWER.encode(vault_id) {
            return Err(Error::TrailNotExtended {
                pinned: pin.seq,
                seen: TrailSeen::OtherVault,
            });
        }
        Ok(Some(pin))
    }

    /// Moves the pin forward to `pin` (never back: two commands on this machine may
    /// finish in either order), holding the pin's lock file meanwhile.
    fn advance(&self, vault_id: &[u8], pin: Pin) -> Result<()> {
        self.locked(|| match self.read(vault_id) {
            Ok(Some(current)) if current.seq >= pin.seq => Ok(()),
            _ => self.write(vault_id, pin),
        })
    }

    /// Runs `f` holding an exclusive lock on the pin's lock file (`<pin>.lock`).
    fn locked<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let lock_path = self.dir.join(format!("{}.lock", self.name));
        let fail = |e: std::io::Error| Error::PinUnreadable {
            path: lock_path.clone(),
            why: format!("it cannot be locked ({})", e.kind()),
        };
        std::fs::create_dir_all(&self.dir).map_err(fail)?;
        let _ = std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700));
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(fail)?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| fail(e.into()))?;
        // Released when `lock` is closed.
        f()
    }

    /// Writes the vault's pin atomically (a private file renamed into place).
    fn write(&self, vault_id: &[u8], pin: Pin) -> Result<()> {
        let path = self.file();
        let fail = |e: std::io::Error| Error::PinUnreadable {
            path: path.clone(),
            why: format!("it cannot be written ({})", e.kind()),
        };
        std::fs::create_dir_all(&self.dir).map_err(fail)?;
        let text = format!(
            "{HEADER}\nvault {}\nevent {}\nhash {}\n",
            data_encoding::HEXLOWER.encode(vault_id),
            pin.seq,
            data_encoding::HEXLOWER.encode(&pin.value)
        );
        let mut partial = tempfile::Builder::new()
            .prefix(".pin-")
            .permissions(std::fs::Permissions::from_mode(0o600))
            .tempfile_in(&self.dir)
            .map_err(fail)?;
        partial.write_all(text.as_bytes()).map_err(fail)?;
        partial.as_file().sync_all().map_err(fail)?;
        partial.persist(&path).map_err(|e| fail(e.error))?;
        Ok(())
    }
}

/// A pin's vault identifier (hex, as written) and what it pins.
fn parse(text: &str) -> Option<(&str, Pin)> {
    let mut lines = text.strip_suffix('\n')?.split('\n');
    if lines.next()? != HEADER {
        return None;
    }
    let vault = lines.next()?.strip_prefix("vault ")?;
    let seq = lines.next()?.strip_prefix("event ")?;
    let hash = lines.next()?.strip_prefix("hash ")?;
    if lines.next().is_some()
        || vault.is_empty()
        || !vault
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        || seq.is_empty()
        || !seq.bytes().all(|b| b.is_ascii_digit())
        || (seq.len() > 1 && seq.starts_with('0'))
    {
        return None;
    }
    let value = data_encoding::HEXLOWER.decode(hash.as_bytes()).ok()?;
    Some((
        vault,
        Pin {
            seq: seq.parse().ok()?,
            value: value.try_into().ok()?,
        },
    ))
}

/// Refuses a trail that does not extend `pin`.
fn check(chain: &Chain<'_>, tx: &dyn crate::store::Transaction, pin: Pin) -> Result<()> {
    let seen = match chain.extends(tx, pin.seq, &pin.value)? {
        Extension::Extends { .. } => return Ok(()),
        Extension::Shorter { last } => TrailSeen::EndsEarlier { last },
        Extension::Differs => TrailSeen::Replaced,
        Extension::Thinned => TrailSeen::RemovedBefore,
        Extension::BrokenAt(seq) => TrailSeen::BrokenAfter { seq },
    };
    Err(Error::TrailNotExtended {
        pinned: pin.seq,
        seen,
    })
}

impl Session {
    /// Holds the vault to a pin kept in `dir` (a directory of this member's own, on
    /// this machine, never on the server): checks now that the trail extends the
    /// vault's pin there ([`Error::TrailNotExtended`] otherwise, nothing changed),
    /// moves the pin to the trail's last event, and from then on checks before, and
    /// moves after, every operation. With no pin yet, the trail is taken as it is.
    pub fn keep_pins(&mut self, dir: &Path) -> Result<()> {
        let pins = Pins::new(dir, self.ring.personal());
        let (ring, vault_id) = (&self.ring, &self.vault_id);
        let pinned = pins.read(vault_id)?;
        let head = self.store.transaction(|tx| -> Result<_> {
            let chain = Chain::new(ring, vault_id);
            if let Some(pin) = pinned {
                check(&chain, tx, pin)?;
            }
            Ok(chain.last_value(tx)?)
        })?;
        if let Some((seq, value)) = head {
            pins.advance(vault_id, Pin { seq, value })?;
        }
        self.pins = Some(pins);
        Ok(())
    }

    /// Replaces the vault's pin in `dir` by the trail as it stands now, whatever the
    /// pin was, and records that in the trail (`audit.anchor`): for a server restored
    /// from an older copy on purpose, once the practice has found out why. From then
    /// on the session keeps pins there.
    pub fn reset_pin(&mut self, dir: &Path) -> Result<String> {
        self.pins = Some(Pins::new(dir, self.ring.personal()));
        let vault_id = self.vault_id.clone();
        let pins = self.pins.clone().expect("just set");
        let ring = &self.ring;
        let head = self
            .store
            .transaction(|tx| -> Result<_> { Ok(Chain::new(ring, &vault_id).last_value(tx)?) })?;
        if let Some((seq, value)) = head {
            pins.locked(|| pins.write(&vault_id, Pin { seq, value }))?;
        }
        self.audit_anchor()
    }

    /// Checks the pin before an operation, inside its transaction.
    pub(super) fn check_pin(
        pins: Option<&Pins>,
        chain: &Chain<'_>,
        tx: &dyn crate::store::Transaction,
        vault_id: &[u8],
    ) -> Result<()> {
        match pins {
            Some(pins) => match pins.read(vault_id)? {
                Some(pin) => check(chain, tx, pin),
                None => Ok(()),
            },
            None => Ok(()),
        }
    }

    /// Moves the pin to `head` after an operation committed. Best effort: the
    /// operation is done, and a pin left behind still holds the server to what it
    /// names ([`Session::keep_pins`], at the next unlock, fails loudly if the pin
    /// cannot be written at all).
    pub(super) fn move_pin(&self, head: Option<(u64, [u8; 32])>) {
        if let (Some(pins), Some((seq, value))) = (&self.pins, head) {
            let _ = pins.advance(&self.vault_id, Pin { seq, value });
        }
    }
}

/// Reads the chain's last event inside an operation's transaction, for
/// [`Session::move_pin`] once it commits.
pub(super) fn head_after(
    pins: Option<&Pins>,
    chain: &Chain<'_>,
    tx: &dyn crate::store::Transaction,
) -> Result<Option<(u64, [u8; 32])>> {
    match pins {
        Some(_) => Ok(chain.last_value(tx)?),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_reads_back_exactly_and_nothing_else_reads() {
        let dir = tempfile::tempdir().unwrap();
        let pins = Pins {
            dir: dir.path().join("pins"),
            name: "member".into(),
        };
        let id = [7u8; 16];
        let pin = Pin {
            seq: 42,
            value: [9u8; 32],
        };
        pins.write(&id, pin).unwrap();
        assert_eq!(pins.read(&id).unwrap(), Some(pin));
        let path = pins.file();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        for bad in [
            text.replace("event 42", "event 042"),
            text.replace("event 42", "event -1"),
            text.replace("event 42", "event 4 2"),
            text.replace(HEADER, "casevault pin 2"),
            text.replace('\n', "\r\n"),
            format!("{text}extra\n"),
            text.replace(&data_encoding::HEXLOWER.encode(&[9u8; 32]), "00"),
        ] {
            assert_eq!(parse(&bad), None, "{bad:?}");
        }
        assert!(matches!(
            pins.read(&[8u8; 16]),
            Err(Error::TrailNotExtended {
                pinned: 42,
                seen: TrailSeen::OtherVault
            })
        ));
        std::fs::write(&path, "garbage").unwrap();
        assert!(matches!(pins.read(&id), Err(Error::PinUnreadable { .. })));
    }
}
