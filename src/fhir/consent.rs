//! A consent as a FHIR R4 `Consent` resource (docs/FHIR.md, "Consent").

use serde_json::{Map, Value, json};

use super::codes;
use super::{
    as_object, category_concept, coding, concept, patient_reference, purpose_coding, set_instant,
};
use crate::base::Date;
use crate::model::consent::{Consent, Relationship};
use crate::model::policy::{ALL_CATEGORIES, Policy};

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
