//! A vault made before practices becoming a practice of one: every record, sealed
//! under the vault's one records key, sealed again into its compartment, in the one
//! audited operation that founds the practice.
//!
//! Invariant: the whole pass is one transaction: it commits complete or not at all,
//! so an interrupted migration leaves the vault as it was and the next unlock starts
//! it again. Every record re-sealed is listed as a write of the operation's event with
//! its new digest, so `audit verify` checks the new ciphertexts from then on.

use secrecy::ExposeSecret;
use serde_json::Value;

use super::Access;
use super::access::compartment_of;
use crate::base::{RecordKind, RecordRef};
use crate::crypto::record;
use crate::error::Error;
use crate::model::note::Note;
use crate::model::practice::Compartment;
use crate::store::{RecordRow, StoreError};

type Result<T> = std::result::Result<T, Error>;

/// Rows re-sealed at a time.
const CHUNK: usize = 256;

/// Seals every record written before the vault was a practice into its compartment.
pub(super) fn reseal(a: &mut Access<'_, '_>) -> Result<()> {
    let legacy = a
        .ring()
        .legacy_keys()
        .ok_or_else(|| Error::KeyDenied {
            what: "the records written before the vault was a practice".into(),
        })?
        .records
        .expose_secret();
    let legacy =
        secrecy::SecretBox::init_with_mut(|key: &mut [u8; 32]| key.copy_from_slice(legacy));
    // The clients first: their compartments' keys must exist before anything of
    // theirs is sealed into them.
    let mut clients = Vec::new();
    let mut after: Option<RecordRef> = None;
    loop {
        let rows = a
            .tx()
            .records_after(after.as_ref(), CHUNK, crate::store::CHUNK_BYTES)?;
        let Some(last) = rows.last() else { break };
        after = Some(last.reference.clone());
        for row in rows {
            if row.reference.kind == RecordKind::Client && row.reference.version == 1 {
                clients.push(row.reference.id);
            }
        }
    }
    for client in &clients {
        a.create_client_compartments(client)?;
    }
    // The keyslots' last audited writes are legacy events, which only the first
    // member can read: written again (the same bytes) in this signed event, every
    // member checks them from now on.
    for (name, keyslot) in a.tx().keyslots()? {
        a.write_keyslot(&name, &keyslot)?;
    }
    // Then everything but notes (the policy among them, which sealing a note reads),
    // then the notes.
    for notes in [false, true] {
        let mut after: Option<RecordRef> = None;
        loop {
            let rows = a
                .tx()
                .records_after(after.as_ref(), CHUNK, crate::store::CHUNK_BYTES)?;
            let Some(last) = rows.last() else { break };
            after = Some(last.reference.clone());
            for row in rows {
                if (row.reference.kind == RecordKind::Note) != notes
                    || !record::compartments_of(&row.ciphertext).is_empty()
                    || matches!(row.reference.kind, RecordKind::Member | RecordKind::Roster)
                {
                    continue;
                }
                reseal_row(a, &legacy, row)?;
            }
        }
    }
    Ok(())
}

/// The compartment a record (not a note) belongs to: a client's, by its kind and the
/// client it names, or the practice's.
pub(super) fn compartment_for(reference: &RecordRef, value: &Value) -> Result<Compartment> {
    let client = match reference.kind {
        RecordKind::Client => Some(reference.id.clone()),
        RecordKind::Decision => value
            .pointer("/decision/request/client")
            .and_then(Value::as_str)
            .map(str::to_owned),
        RecordKind::Consent
        | RecordKind::Intake
        | RecordKind::Accounting
        | RecordKind::Restriction
        | RecordKind::RightsRequest
        | RecordKind::AccountingSuspension => value
            .get("client")
            .and_then(Value::as_str)
            .map(str::to_owned),
        RecordKind::Policy | RecordKind::Roster | RecordKind::Caseload => {
            return Ok(Compartment::Practice);
        }
        // Sealed otherwise (a note in parts, a member's keys under their own key, an
        // emergency access request to its readers' public keys): never re-sealed into
        // one compartment. Every kind is named here, so a new one cannot fall into the
        // practice's compartment, which every member holds, by default.
        RecordKind::Note
        | RecordKind::AuditEvent
        | RecordKind::Member
        | RecordKind::Grant
        | RecordKind::AccessRequest => None,
    };
    match client {
        Some(client) => Ok(compartment_of(reference.kind, &client)),
        None => Err(Error::MalformedRecord {
            record: reference.to_string(),
        }),
    }
}

/// Seals one record again, under its compartment's key.
fn reseal_row(
    a: &mut Access<'_, '_>,
    legacy: &secrecy::SecretBox<[u8; 32]>,
    row: RecordRow,
) -> Result<()> {
    let reference = row.reference;
    let plain = record::open(legacy, &reference, &row.ciphertext)?;
    let malformed = || Error::MalformedRecord {
        record: reference.to_string(),
    };
    let sealed = match reference.kind {
        RecordKind::Note => {
            let note: Note = serde_json::from_slice(&plain).map_err(|_| malformed())?;
            a.seal_note(&note)?
        }
        _ => {
            let value: Value = serde_json::from_slice(&plain).map_err(|_| malformed())?;
            let compartment = compartment_for(&reference, &value)?;
            a.seal_in(&[compartment], reference.clone(), &plain)?
        }
    };
    if sealed.reference != reference {
        return Err(StoreError::Corrupt(format!("{reference} changed its reference")).into());
    }
    a.replace_sealed(sealed)
}
