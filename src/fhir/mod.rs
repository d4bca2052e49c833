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

pub(crate) mod codes;

use serde_json::{Map, Value, json};

use crate::audit::{AuditEvent, KEYSLOT_TARGET, Target, TargetAccess};
use crate::base::{Date, Timestamp};
use crate::model::accounting::AccountingEntry;
use crate::model::consent::{Consent, Relationship};
use crate::model::policy::{ALL_CATEGORIES, Policy};
use codes::FhirCode;

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

/// The FHIR R4 `Consent` for a casevault consent, judged on `today`.
///
/// - `status`: `inactive` once it is revoked (on or before `today`), expired, or
///   revoked before it ever took effect; otherwise `active`, including a consent not
///   yet effective (it is signed; `provision.period` says when it applies, and R4's
///   `proposed` means "not yet agreed").
/// - `provision`: a `permit` to the recipient (`IRCP`), action `disclose`, for the
///   purposes (v3-ActReason), over the permitted categories (casevault codes, with
///   v3-ActCode sensitivity labels for psychotherapy notes, substance use and sexual
///   health), from the effective date to the expiry or the day before the revocation.
///   What the consent does not permit although it names or implies it goes in one
///   nested `deny` provision: the excluded categories; under `all`, the categories
///   the `policy` requires to be named (sole-consent, explicit-consent); a
///   sole-consent category named together with others (rule 3 of the decision
///   engine); a category the policy does not have.
pub fn consent_to_fhir(consent: &Consent, policy: &Policy, today: Date) -> Value {
    let revoked_from = consent.revoked.as_ref().map(|r| r.effective);
    let never_effective = revoked_from.is_some_and(|d| d <= consent.effective);
    let inactive = consent.is_revoked_on(today) || today > consent.expires || never_effective;
    let status = if inactive {
        codes::STATUS_INACTIVE
    } else {
        codes::STATUS_ACTIVE
    };

    let (permitted, denied) = split_categories(consent, policy);
    let mut provision = Map::new();
    provision.insert("type".into(), codes::PROVISION_PERMIT.code.into());
    if !never_effective {
        let last_day = match revoked_from.and_then(|d| d.0.previous_day()) {
            Some(day) if Date(day) < consent.expires => Date(day),
            _ => consent.expires,
        };
        provision.insert(
            "period".into(),
            json!({ "start": consent.effective.to_string(), "end": last_day.to_string() }),
        );
    }
    let recipient = match &consent.recipient.organization {
        Some(org) => format!("{} ({org})", consent.recipient.name),
        None => consent.recipient.name.clone(),
    };
    provision.insert(
        "actor".into(),
        json!([{ "role": concept(codes::ROLE_RECIPIENT), "reference": { "display": recipient } }]),
    );
    provision.insert("action".into(), json!([concept(codes::ACTION_DISCLOSE)]));
    let labels = labels_of(&permitted);
    if !labels.is_empty() {
        provision.insert("securityLabel".into(), Value::Array(labels));
    }
    let mut purposes: Vec<Value> = Vec::new();
    for purpose in &consent.purposes {
        let c = purpose_coding(purpose);
        if !purposes.contains(&c) {
            purposes.push(c);
        }
    }
    provision.insert("purpose".into(), Value::Array(purposes));
    if !permitted.is_empty() {
        provision.insert(
            "code".into(),
            permitted.iter().map(|c| category_concept(c)).collect(),
        );
    }
    if !denied.is_empty() {
        let mut deny = Map::new();
        deny.insert("type".into(), codes::PROVISION_DENY.code.into());
        let labels = labels_of(&denied);
        if !labels.is_empty() {
            deny.insert("securityLabel".into(), Value::Array(labels));
        }
        deny.insert(
            "code".into(),
            denied.iter().map(|c| category_concept(c)).collect(),
        );
        provision.insert("provision".into(), json!([deny]));
    }

    let mut resource = as_object(json!({
        "resourceType": "Consent",
        "id": consent.id,
        "meta": { "versionId": consent.version.to_string() },
        "status": status.code,
        "scope": concept(codes::SCOPE_PRIVACY),
        "category": [
            concept(codes::CATEGORY_PATIENT_CONSENT),
            concept(codes::CATEGORY_RELEASE),
        ],
        "patient": { "reference": patient_reference(&consent.client) },
    }));
    let updated = consent
        .revoked
        .as_ref()
        .map_or(consent.recorded_at, |r| r.recorded_at);
    if let Some(meta) = resource.get_mut("meta") {
        meta["lastUpdated"] = updated.to_string().into();
    }
    set_instant(&mut resource, "dateTime", Some(consent.recorded_at));
    resource.insert("performer".into(), json!([performer(consent)]));
    resource.insert("policyRule".into(), concept(codes::POLICY_HIPAA_AUTH));
    resource.insert("provision".into(), Value::Object(provision));
    Value::Object(resource)
}

/// Who signed: the client (`Patient/<id>`), or a guardian or representative (a
/// RelatedPerson known only by name; casevault keeps no record of them).
fn performer(consent: &Consent) -> Value {
    match consent.relationship {
        Relationship::Client => json!({
            "reference": patient_reference(&consent.client),
            "display": consent.signed_by,
        }),
        Relationship::Guardian | Relationship::Representative => json!({
            "type": "RelatedPerson",
            "display": format!(
                "{} ({} of the client)",
                consent.signed_by,
                match consent.relationship {
                    Relationship::Guardian => "guardian",
                    _ => "legal representative",
                }
            ),
        }),
    }
}

/// The consent's categories, split into what it permits and what it names or implies
/// but does not permit, each in order and without repeats.
fn split_categories(consent: &Consent, policy: &Policy) -> (Vec<String>, Vec<String>) {
    let named: Vec<&str> = consent
        .categories
        .iter()
        .map(String::as_str)
        .filter(|c| *c != ALL_CATEGORIES)
        .collect();
    let has_all = consent.categories.iter().any(|c| c == ALL_CATEGORIES);
    let must_be_named = |c: &str| {
        policy.sole_consent.iter().any(|s| s == c) || policy.explicit_consent.iter().any(|s| s == c)
    };
    let mut permitted = Vec::new();
    let mut denied = Vec::new();
    fn push(list: &mut Vec<String>, c: &str) {
        if !list.iter().any(|x| x == c) {
            list.push(c.to_owned());
        }
    }
    let excluded = |c: &str| consent.excluded.iter().any(|x| x == c);
    for c in &named {
        let sole_with_others =
            policy.sole_consent.iter().any(|s| s == c) && consent.categories.iter().any(|x| x != c);
        if excluded(c) || sole_with_others || !policy.has_category(c) {
            push(&mut denied, c);
        } else {
            push(&mut permitted, c);
        }
    }
    if has_all {
        for c in &policy.categories {
            if named.contains(&c.as_str()) {
                continue;
            }
            if must_be_named(c) || excluded(c) {
                push(&mut denied, c);
            } else {
                push(&mut permitted, c);
            }
        }
    }
    for c in &consent.excluded {
        permitted.retain(|p| p != c);
        push(&mut denied, c);
    }
    (permitted, denied)
}

fn labels_of(categories: &[String]) -> Vec<Value> {
    categories
        .iter()
        .flat_map(|c| codes::security_labels(c))
        .map(|l| coding(*l))
        .collect()
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

/// The DICOM event type, REST subtype and action of a casevault action.
fn classify(action: &str) -> (FhirCode, Option<FhirCode>, FhirCode) {
    use codes::*;
    let subtype = match action.rsplit('.').next().unwrap_or("") {
        "add" => Some(SUBTYPE_CREATE),
        "show" => Some(SUBTYPE_READ),
        "list" | "search" => Some(SUBTYPE_SEARCH),
        "edit" | "sign" | "amend" | "revoke" => Some(SUBTYPE_UPDATE),
        _ => None,
    };
    let verb = match subtype {
        Some(s) if s == SUBTYPE_CREATE => ACTION_C,
        Some(s) if s == SUBTYPE_UPDATE => ACTION_U,
        Some(_) => ACTION_R,
        None => ACTION_E,
    };
    match action {
        "vault.unlock" | "vault.recover" => (TYPE_AUTHENTICATION, None, ACTION_E),
        "vault.passwd" => (TYPE_SECURITY_ALERT, None, ACTION_U),
        "vault.init" => (TYPE_APPLICATION, None, ACTION_C),
        "vault.backup" => (TYPE_EXPORT, None, ACTION_R),
        "disclose" => (TYPE_EXPORT, None, ACTION_R),
        "disclose.dry-run" => (TYPE_PATIENT_RECORD, None, ACTION_E),
        "note.search" => (TYPE_QUERY, subtype, ACTION_R),
        "note.import" => (TYPE_IMPORT, None, ACTION_C),
        "policy.set" => (TYPE_SECURITY_ALERT, None, ACTION_U),
        "policy.show" => (TYPE_APPLICATION, subtype, verb),
        "accounting.show" => (TYPE_PATIENT_RECORD, Some(SUBTYPE_SEARCH), ACTION_R),
        a if a.starts_with("audit.") => (TYPE_AUDIT_LOG, None, ACTION_R),
        a if ["client.", "note.", "consent.", "intake."]
            .iter()
            .any(|p| a.starts_with(p)) =>
        {
            (TYPE_PATIENT_RECORD, subtype, verb)
        }
        _ => (TYPE_APPLICATION, None, ACTION_E),
    }
}

/// The AuditEvent outcome of an event's outcome text: `0` for `ok` and `permitted`,
/// `8` when the vault's integrity or storage failed, `4` for anything else that was
/// refused or failed (a denial, a wrong passphrase, a missing record, bad input).
fn outcome(text: &str) -> FhirCode {
    const SERIOUS: [&str; 6] = [
        "integrity failure",
        "audit head mismatch",
        "storage error",
        "keyslot unusable",
        "rolled back",
        "process hardening failed",
    ];
    if text == "ok" || text.starts_with("permitted") {
        codes::OUTCOME_SUCCESS
    } else if SERIOUS.iter().any(|s| text.contains(s)) {
        codes::OUTCOME_SERIOUS
    } else {
        codes::OUTCOME_MINOR
    }
}

/// One AuditEvent entity for a record an event touched.
fn target_entity(t: &Target) -> Value {
    let (what, kind, role) = match t.kind.as_str() {
        "client" => (
            json!({ "reference": patient_reference(&t.id) }),
            codes::ENTITY_PERSON,
            codes::ROLE_PATIENT,
        ),
        kind => (
            json!({
                "identifier": {
                    "system": format!("{}{kind}", codes::RECORD_SYSTEM_PREFIX),
                    "value": t.id,
                },
                "display": format!("{kind} {} version {}", t.id, t.version),
            }),
            codes::ENTITY_OBJECT,
            if kind == KEYSLOT_TARGET {
                codes::ROLE_SECURITY_RESOURCE
            } else {
                codes::ROLE_DOMAIN_RESOURCE
            },
        ),
    };
    let mut detail = vec![
        json!({ "type": "version", "valueString": t.version.to_string() }),
        json!({ "type": "access", "valueString": match t.access {
            TargetAccess::Read => "read",
            TargetAccess::Write => "write",
        }}),
    ];
    if let Some(sha) = &t.sha256 {
        detail.push(json!({ "type": "sha256", "valueString": sha }));
    }
    json!({
        "what": what,
        "type": coding(kind),
        "role": coding(role),
        "detail": detail,
    })
}

/// The FHIR R4 `AuditEvent` for one event of the audit trail (`id` `audit-<seq>`).
pub fn audit_event_to_fhir(event: &AuditEvent, vault_id: &str) -> Value {
    let (kind, subtype, action) = classify(&event.action);
    let mut resource = as_object(json!({
        "resourceType": "AuditEvent",
        "id": format!("audit-{}", event.seq),
        "type": coding(kind),
    }));
    if let Some(subtype) = subtype {
        resource.insert("subtype".into(), json!([coding(subtype)]));
    }
    resource.insert("action".into(), action.code.into());
    set_instant(&mut resource, "recorded", event.at.timestamp());
    resource.insert("outcome".into(), outcome(&event.outcome).code.into());
    resource.insert(
        "outcomeDesc".into(),
        format!("{}: {}", event.action, event.outcome).into(),
    );
    if let Some(purpose) = &event.purpose {
        resource.insert(
            "purposeOfEvent".into(),
            json!([{ "coding": [purpose_coding(purpose)], "text": purpose }]),
        );
    }
    resource.insert(
        "agent".into(),
        json!([{ "who": { "display": event.actor }, "requestor": true }]),
    );
    resource.insert("source".into(), source(vault_id));
    if !event.targets.is_empty() {
        resource.insert(
            "entity".into(),
            event.targets.iter().map(target_entity).collect(),
        );
    }
    Value::Object(resource)
}

/// The audit trail as a FHIR R4 Bundle (`collection`) of AuditEvents, one per event,
/// in the order given.
pub fn audit_log_to_fhir(events: &[AuditEvent], vault_id: &str) -> Value {
    collection(
        events
            .iter()
            .map(|e| audit_event_to_fhir(e, vault_id))
            .collect(),
    )
}

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

    #[test]
    fn outcomes() {
        assert_eq!(outcome("ok"), codes::OUTCOME_SUCCESS);
        assert_eq!(
            outcome("permitted (1 joint note(s) withheld)"),
            codes::OUTCOME_SUCCESS
        );
        assert_eq!(outcome("denied"), codes::OUTCOME_MINOR);
        assert_eq!(outcome("failed: wrong passphrase"), codes::OUTCOME_MINOR);
        assert_eq!(outcome("failed: integrity failure"), codes::OUTCOME_SERIOUS);
    }

    #[test]
    fn every_action_of_the_vault_has_a_type() {
        for action in ["client.add", "note.show", "consent.revoke", "audit.verify"] {
            let (kind, _, _) = classify(action);
            assert_ne!(kind, codes::TYPE_APPLICATION, "{action}");
        }
        assert_eq!(classify("note.edit").2, codes::ACTION_U);
        assert_eq!(classify("client.list").1, Some(codes::SUBTYPE_SEARCH));
    }
}
