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

use crate::audit::{Action, AuditEvent, Failure, KEYSLOT_TARGET, Outcome, Target, TargetAccess};
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

/// The DICOM event type, REST subtype and action of a casevault action (the table in
/// docs/FHIR.md).
fn classify(action: &Action) -> (FhirCode, Option<FhirCode>, FhirCode) {
    use codes::*;
    // A patient's record: created, read, listed or searched, or updated.
    let create = (TYPE_PATIENT_RECORD, Some(SUBTYPE_CREATE), ACTION_C);
    let read = (TYPE_PATIENT_RECORD, Some(SUBTYPE_READ), ACTION_R);
    let search = (TYPE_PATIENT_RECORD, Some(SUBTYPE_SEARCH), ACTION_R);
    let update = (TYPE_PATIENT_RECORD, Some(SUBTYPE_UPDATE), ACTION_U);
    match action {
        Action::ClientAdd | Action::NoteAdd | Action::ConsentAdd | Action::IntakeAdd => create,
        Action::ClientShow | Action::NoteShow | Action::ConsentShow => read,
        Action::ClientList | Action::NoteList | Action::ConsentList | Action::AccountingShow => {
            search
        }
        Action::NoteEdit | Action::NoteSign | Action::NoteAmend | Action::ConsentRevoke => update,
        Action::NoteImportPrepare | Action::DiscloseDryRun => (TYPE_PATIENT_RECORD, None, ACTION_E),
        Action::NoteSearch => (TYPE_QUERY, Some(SUBTYPE_SEARCH), ACTION_R),
        Action::NoteImport => (TYPE_IMPORT, None, ACTION_C),
        Action::VaultUnlock | Action::VaultRecover => (TYPE_AUTHENTICATION, None, ACTION_E),
        Action::VaultPasswd | Action::PolicySet => (TYPE_SECURITY_ALERT, None, ACTION_U),
        Action::VaultInit => (TYPE_APPLICATION, None, ACTION_C),
        Action::VaultBackup | Action::Disclose => (TYPE_EXPORT, None, ACTION_R),
        Action::PolicyShow => (TYPE_APPLICATION, Some(SUBTYPE_READ), ACTION_R),
        Action::AuditLog | Action::AuditVerify | Action::AuditAnchor => {
            (TYPE_AUDIT_LOG, None, ACTION_R)
        }
        Action::Unrecognized(_) => (TYPE_APPLICATION, None, ACTION_E),
    }
}

/// The AuditEvent outcome of an event's outcome: `0` for `ok` and `permitted`, `8`
/// when the vault's integrity or storage failed, `4` for anything else that was
/// refused or failed (a denial, a wrong passphrase, a missing record, bad input).
fn outcome(outcome: &Outcome) -> FhirCode {
    use codes::{OUTCOME_MINOR as MINOR, OUTCOME_SERIOUS as SERIOUS, OUTCOME_SUCCESS as SUCCESS};
    match outcome {
        Outcome::Ok | Outcome::Permitted { .. } => SUCCESS,
        Outcome::Denied { .. } => MINOR,
        Outcome::Failed(failure) => match failure {
            // The vault itself failed: what it holds, or the process holding it,
            // cannot be trusted until someone looks.
            Failure::Storage
            | Failure::KeyslotUnusable
            | Failure::Integrity
            | Failure::AuditHeadMismatch
            | Failure::PolicyMissing
            | Failure::AuditTrailBroken
            | Failure::RolledBack
            | Failure::Hardening
            | Failure::ForeignKeyslot => SERIOUS,
            // Refused or failed, with the vault intact.
            Failure::WrongPassphrase
            | Failure::WrongRecoveryCode
            | Failure::UnknownName
            | Failure::NoSuchClient
            | Failure::NoSuchNote
            | Failure::NoteSigned
            | Failure::NoteNotSigned
            | Failure::MalformedNoteBody
            | Failure::NoSuchConsent
            | Failure::MalformedPolicy
            | Failure::DeniedByPolicy
            | Failure::InvalidInput
            | Failure::NoSuchVersion
            | Failure::NoSuchDirectory => MINOR,
        },
        // Serious, not minor and never success: an event whose outcome this version
        // cannot read (written by a newer casevault) may be a failure of the vault
        // itself, and an auditor who looks at serious failures first must see it
        // rather than have it pass as routine; `outcomeDesc` carries its text.
        Outcome::Unrecognized(_) => SERIOUS,
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
        assert_eq!(outcome(&Outcome::Ok), codes::OUTCOME_SUCCESS);
        assert_eq!(
            outcome(&Outcome::Permitted {
                withheld_joint_notes: 1
            }),
            codes::OUTCOME_SUCCESS
        );
        assert_eq!(
            outcome(&Outcome::Denied {
                withheld_joint_notes: 0
            }),
            codes::OUTCOME_MINOR
        );
        assert_eq!(
            outcome(&Outcome::Unrecognized("restricted".into())),
            codes::OUTCOME_SERIOUS
        );
        let serious = [
            Failure::Storage,
            Failure::KeyslotUnusable,
            Failure::Integrity,
            Failure::AuditHeadMismatch,
            Failure::PolicyMissing,
            Failure::AuditTrailBroken,
            Failure::RolledBack,
            Failure::Hardening,
            Failure::ForeignKeyslot,
        ];
        for failure in Failure::ALL {
            let expected = if serious.contains(failure) {
                codes::OUTCOME_SERIOUS
            } else {
                codes::OUTCOME_MINOR
            };
            assert_eq!(outcome(&Outcome::Failed(*failure)), expected, "{failure}");
        }
    }

    /// Every error of the integrity class, and every failure of storage or of the
    /// process, is a serious failure (a broken trail and a foreign keyslot were once
    /// reported as minor).
    #[test]
    fn failures_of_the_vault_itself_are_serious() {
        use crate::base::{RecordKind, RecordRef};
        use crate::crypto::keyslot::KeyslotError;
        use crate::crypto::record::IntegrityError;
        use crate::error::{Error, ErrorClass};
        use crate::store::StoreError;

        let integrity = [
            Error::Keyslot {
                slot: "passphrase",
                source: KeyslotError::Malformed("truncated"),
            },
            Error::Integrity(IntegrityError {
                reference: RecordRef::new(RecordKind::Note, "0a0b0c0d", 1),
            }),
            Error::MalformedRecord {
                record: "note 0a0b0c0d version 1".into(),
            },
            Error::RolledBack {
                record: "note 0a0b0c0d".into(),
                read: 1,
                written: 2,
            },
            Error::AuditTrailBroken { seq: 7 },
            Error::PolicyMissing,
            Error::AuditHeadMismatch,
            Error::ForeignKeyslot { slot: "passphrase" },
            Error::Store(StoreError::Corrupt(
                "the vault identifier is missing".into(),
            )),
        ];
        let system = [
            Error::Store(StoreError::Busy),
            Error::Store(StoreError::DiskFull),
            Error::Hardening {
                what: "turn core dumps off",
                source: std::io::Error::other("refused"),
            },
        ];
        for error in &integrity {
            assert_eq!(error.class(), ErrorClass::Integrity, "{error}");
        }
        for error in integrity.iter().chain(&system) {
            let event = AuditEvent {
                seq: 3,
                at: crate::base::EventTime::At("2026-03-01T10:00:00Z".parse().expect("a time")),
                actor: "ada".into(),
                action: Action::NoteShow,
                targets: Vec::new(),
                outcome: error.audit_outcome(),
                purpose: None,
            };
            let resource = audit_event_to_fhir(&event, "00112233");
            assert_eq!(resource["outcome"], json!("8"), "{error}");
        }
        for error in [Error::WrongPassphrase, Error::InvalidInput("no".into())] {
            assert_eq!(outcome(&error.audit_outcome()), codes::OUTCOME_MINOR);
        }
    }

    #[test]
    fn a_broken_trail_and_a_foreign_keyslot_are_serious_in_the_resource() {
        for (text, failure) in [
            ("failed: audit trail broken", Failure::AuditTrailBroken),
            ("failed: keyslot of another vault", Failure::ForeignKeyslot),
        ] {
            // As an event is read from the trail: from its stored text.
            let event: AuditEvent = serde_json::from_value(json!({
                "seq": 9, "at": "2026-03-01T10:00:00Z", "actor": "ada",
                "action": "disclose", "targets": [], "outcome": text,
            }))
            .unwrap();
            assert_eq!(event.outcome, Outcome::Failed(failure));
            let resource = audit_event_to_fhir(&event, "00112233");
            assert_eq!(resource["outcome"], json!("8"), "{text}");
            assert_eq!(resource["outcomeDesc"], json!(format!("disclose: {text}")));
        }
    }

    /// Every action the vault records has its row of the table in docs/FHIR.md, and
    /// only an action this version does not know is "anything else".
    #[test]
    fn every_action_of_the_vault_has_a_type() {
        use codes::*;
        let (pr, create, read, search, update) = (
            TYPE_PATIENT_RECORD,
            Some(SUBTYPE_CREATE),
            Some(SUBTYPE_READ),
            Some(SUBTYPE_SEARCH),
            Some(SUBTYPE_UPDATE),
        );
        let expected = |action: &Action| match action.as_str() {
            "client.add" | "note.add" | "consent.add" | "intake.add" => (pr, create, ACTION_C),
            "client.show" | "note.show" | "consent.show" => (pr, read, ACTION_R),
            "client.list" | "note.list" | "consent.list" | "accounting.show" => {
                (pr, search, ACTION_R)
            }
            "note.edit" | "note.sign" | "note.amend" | "consent.revoke" => (pr, update, ACTION_U),
            "note.import.prepare" | "disclose.dry-run" => (pr, None, ACTION_E),
            "note.search" => (TYPE_QUERY, search, ACTION_R),
            "note.import" => (TYPE_IMPORT, None, ACTION_C),
            "vault.unlock" | "vault.recover" => (TYPE_AUTHENTICATION, None, ACTION_E),
            "vault.passwd" | "policy.set" => (TYPE_SECURITY_ALERT, None, ACTION_U),
            "vault.init" => (TYPE_APPLICATION, None, ACTION_C),
            "policy.show" => (TYPE_APPLICATION, read, ACTION_R),
            "vault.backup" | "disclose" => (TYPE_EXPORT, None, ACTION_R),
            "audit.log" | "audit.verify" | "audit.anchor" => (TYPE_AUDIT_LOG, None, ACTION_R),
            other => panic!("{other} is not in the table"),
        };
        let anything_else = (TYPE_APPLICATION, None, ACTION_E);
        for action in Action::ALL {
            assert_eq!(classify(action), expected(action), "{action}");
            assert_ne!(classify(action), anything_else, "{action}");
        }
        assert_eq!(
            classify(&Action::Unrecognized("member.add".into())),
            anything_else
        );
    }
}
