//! HL7 FHIR R4 JSON for consents, the audit trail and the accounting of disclosures.
//!
//! Pure functions from the library's own values to `serde_json::Value`: no I/O, no
//! clock (the day a consent's status is judged on is an argument), no vault. The
//! mapping, and why each code was chosen, is docs/FHIR.md; every code comes from the
//! table in [`codes`](crate::FHIR_CODES).
//!
//! **What it deliberately does not do:** it never writes note text, and it resolves no
//! references: `Patient/<client id>` names the client by the vault's own identifier, and
//! no Patient resource is produced (a client's profile is identity information, which
//! leaves only through a disclosure).
//!
//! Here: the pieces every resource shares (codings, the client's reference, instants,
//! the collection Bundle, the source). `consent`, `audit_event` and `accounting` build
//! the resources; `codes` is the table of every code they use.

mod accounting;
mod audit_event;
pub(crate) mod codes;
mod consent;

use serde_json::{Map, Value, json};

use crate::base::Timestamp;
pub use accounting::{accounting_entry_to_fhir, accounting_to_fhir};
pub use audit_event::{audit_event_to_fhir, audit_log_to_fhir};
use codes::FhirCode;
pub use consent::consent_to_fhir;

/// A Coding: system, code and display.
fn coding(c: FhirCode) -> Value {
    json!({ "system": c.system, "code": c.code, "display": c.display })
}

/// A CodeableConcept of one coding.
fn concept(c: FhirCode) -> Value {
    json!({ "coding": [coding(c)] })
}

/// A casevault category as a CodeableConcept of the local code system.
fn category_concept(category: &str) -> Value {
    json!({
        "coding": [{ "system": codes::CATEGORY_SYSTEM, "code": category }],
        "text": category,
    })
}

/// A purpose as a Coding: its v3-ActReason code, or the local code for a purpose a
/// custom policy added.
fn purpose_coding(purpose: &str) -> Value {
    match codes::purpose_of_use(purpose) {
        Some(c) => coding(c),
        None => json!({ "system": codes::PURPOSE_SYSTEM, "code": purpose }),
    }
}

/// `Patient/<client id>`: how every resource here names the client.
fn patient_reference(client: &str) -> String {
    format!("Patient/{client}")
}

/// Sets `key` to a time as a FHIR `instant` (a [`Timestamp`]'s text: UTC, `Z`, whole
/// seconds). A time that could not be read (only a failed unlock's can be, see
/// [`crate::EventTime`]) leaves the element present but without a value, with a
/// data-absent-reason extension (`_key`), so a required element is never missing and
/// never invented.
fn set_instant(object: &mut Map<String, Value>, key: &str, time: Option<Timestamp>) {
    match time {
        Some(time) => {
            object.insert(key.to_owned(), Value::String(time.to_string()));
        }
        None => {
            object.insert(
                format!("_{key}"),
                json!({ "extension": [{
                    "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                    "valueCode": codes::ABSENT_UNKNOWN.code,
                }]}),
            );
        }
    }
}

fn as_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        // Only called on `json!({ … })` literals.
        _ => Map::new(),
    }
}

/// A Bundle of type `collection` holding `resources`.
fn collection(resources: Vec<Value>) -> Value {
    let entries: Vec<Value> = resources
        .into_iter()
        .map(|resource| json!({ "resource": resource }))
        .collect();
    json!({
        "resourceType": "Bundle",
        "type": codes::BUNDLE_COLLECTION.code,
        "entry": entries,
    })
}

/// `source`: casevault as the observer, naming the vault.
fn source(vault_id: &str) -> Value {
    json!({
        "site": vault_id,
        "observer": {
            "identifier": { "system": codes::VAULT_SYSTEM, "value": vault_id },
            "display": "casevault",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_utc_with_seconds_and_bad_times_are_marked_absent() {
        let mut object = Map::new();
        set_instant(&mut object, "at", "2026-03-01T08:00:00Z".parse().ok());
        assert_eq!(object["at"], json!("2026-03-01T08:00:00Z"));
        set_instant(
            &mut object,
            "recorded",
            crate::base::EventTime::Unreadable.timestamp(),
        );
        assert!(object.get("recorded").is_none());
        assert_eq!(
            object["_recorded"]["extension"][0]["valueCode"],
            json!("unknown")
        );
    }
}
