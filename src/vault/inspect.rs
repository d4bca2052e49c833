//! What a member's passphrase leads to, read straight from the file: for the tests
//! that check need-to-know is a property of the keys (not of the code that uses them).
//! Not used by the vault itself.

use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use super::keyring::{FORM_OWN, member_reference};
use crate::crypto::compartment;
use crate::crypto::keyslot;
use crate::crypto::member::{self, MemberKeys};
use crate::crypto::record;
use crate::error::Error;
use crate::store::Backend;

/// Every compartment key `member`'s passphrase unwraps, by compartment identifier:
/// the keyslot opens their secret, the secret their personal key, the personal key
/// their private keys and every grant made to them (in either form).
pub fn unwrap_all(
    path: &Path,
    member: &str,
    keyslot_name: &str,
    passphrase: &SecretString,
) -> Result<Vec<(String, [u8; 32])>, Error> {
    let mut store = crate::store::open(&path.into())?;
    let slot = store.keyslot(keyslot_name)?;
    let (root, _) = keyslot::open(passphrase, &slot).map_err(|_| Error::WrongPassphrase)?;
    let personal = member::personal_key(&root);
    let backend: &mut dyn Backend = &mut *store;
    let tx = backend.begin()?;
    let reference = member_reference(member);
    let row = tx
        .record(&reference)?
        .ok_or_else(|| Error::NoSuchMember(member.to_owned()))?;
    let keys = MemberKeys::from_json(&record::open(&personal, &reference, &row.ciphertext)?)
        .ok_or(Error::MalformedRecord {
            record: reference.to_string(),
        })?;
    let mut out = Vec::new();
    for form in [FORM_OWN, super::keyring::FORM_X25519] {
        for grant in tx.grants_of(member, form)? {
            let key = if form == FORM_OWN {
                compartment::unwrap_own(&personal, &grant.compartment, &grant.wrapped)?
            } else {
                let signed = compartment::SignedGrant::read(&grant.wrapped);
                let wrapped = signed.map_or(grant.wrapped.as_slice(), |s| s.wrapped);
                compartment::unwrap_from(&keys.identity, &grant.compartment, wrapped)?
            };
            out.push((grant.compartment, *key.expose_secret()));
        }
    }
    Ok(out)
}

/// Opens a stored record's ciphertext with one compartment key, as its stanza for that
/// compartment allows; `None` when the key does not open it.
pub fn open_record_with(
    compartment: &str,
    key: &[u8; 32],
    reference: &crate::base::RecordRef,
    ciphertext: &[u8],
) -> Option<Vec<u8>> {
    let key = compartment::from_bytes(key)?;
    record::open_in(compartment, &key, reference, ciphertext)
        .ok()
        .map(|plain| plain.to_vec())
}

/// The parts of a note record's decrypted JSON: (place, compartment, sealed bytes),
/// place being `body` or `addendum/<i>`.
pub fn note_parts(plain: &[u8]) -> Vec<(String, String, Vec<u8>)> {
    super::parts::raw_parts(plain)
}

/// Opens one part of a note with one key; the category and text it holds, or `None`.
pub fn open_part_with(
    key: &[u8; 32],
    reference: &crate::base::RecordRef,
    place: &str,
    compartment: &str,
    sealed: &[u8],
) -> Option<(String, String)> {
    let key = compartment::from_bytes(key)?;
    super::parts::open_one(&key, reference, place, compartment, sealed)
}
