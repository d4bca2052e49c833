//! The accounting of disclosures as FHIR R4 `AuditEvent` resources (docs/FHIR.md,
//! "AuditEvent (accounting of disclosures)"): one Export event per entry.

use serde_json::{Value, json};

use super::codes;
use super::{
    as_object, coding, collection, concept, patient_reference, purpose_coding, set_instant, source,
};
use crate::model::accounting::AccountingEntry;

/// The FHIR R4 `AuditEvent` for one accounting entry (`id` `accounting-<entry id>`):
/// an Export (`110106`, action `R`) on the day of the disclosure, by the clinician who
/// made it (the requestor), to the recipient (`IRCP`), for the purpose, with the client
/// as the entity (its description what left, its details the basis) and the decision
/// that permitted it.
pub fn accounting_entry_to_fhir(entry: &AccountingEntry, vault_id: &str) -> Value {
    let day = entry.disclosed_on.to_string();
    let mut resource = as_object(json!({
        "resourceType": "AuditEvent",
        "id": format!("accounting-{}", entry.id),
        "type": coding(codes::TYPE_EXPORT),
        "action": codes::ACTION_R.code,
        "period": { "start": day, "end": day },
    }));
    set_instant(&mut resource, "recorded", Some(entry.recorded_at));
    resource.insert("outcome".into(), codes::OUTCOME_SUCCESS.code.into());
    resource.insert(
        "purposeOfEvent".into(),
        json!([{ "coding": [purpose_coding(&entry.purpose)], "text": entry.purpose }]),
    );
    resource.insert(
        "agent".into(),
        json!([
            { "who": { "display": entry.recorded_by }, "requestor": true },
            {
                "type": concept(codes::ROLE_RECIPIENT),
                "who": { "display": entry.recipient },
                "requestor": false,
            },
        ]),
    );
    resource.insert("source".into(), source(vault_id));
    resource.insert(
        "entity".into(),
        json!([
            {
                "what": { "reference": patient_reference(&entry.client) },
                "type": coding(codes::ENTITY_PERSON),
                "role": coding(codes::ROLE_PATIENT),
                "description": entry.description,
                "detail": [
                    { "type": "basis", "valueString": entry.basis },
                    { "type": "client-request", "valueString": entry.client_request.to_string() },
                    { "type": "sequence", "valueString": entry.sequence.to_string() },
                ],
            },
            {
                "what": {
                    "identifier": {
                        "system": format!("{}decision", codes::RECORD_SYSTEM_PREFIX),
                        "value": entry.decision,
                    },
                    "display": format!("decision {}", entry.decision),
                },
                "type": coding(codes::ENTITY_OBJECT),
                "role": coding(codes::ROLE_DOMAIN_RESOURCE),
                "description": "the decision that permitted the disclosure",
            },
        ]),
    );
    Value::Object(resource)
}

/// A client's accounting of disclosures as a FHIR R4 Bundle (`collection`) of
/// AuditEvents, one per entry, in the order given.
pub fn accounting_to_fhir(entries: &[AccountingEntry], vault_id: &str) -> Value {
    collection(
        entries
            .iter()
            .map(|e| accounting_entry_to_fhir(e, vault_id))
            .collect(),
    )
}
