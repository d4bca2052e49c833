//! The audit trail as FHIR R4 `AuditEvent` resources (docs/FHIR.md, "AuditEvent (audit
//! log)"): each casevault action classified by the table there, each outcome given
//! its severity, each target an entity.

use serde_json::{Value, json};

use super::codes::{self, FhirCode};
use super::{
    as_object, coding, collection, patient_reference, purpose_coding, set_instant, source,
};
use crate::audit::{Action, AuditEvent, Failure, KEYSLOT_TARGET, Outcome, Target, TargetAccess};

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
        Action::ClientAdd
        | Action::NoteAdd
        | Action::ConsentAdd
        | Action::IntakeAdd
        | Action::RestrictionAdd
        | Action::RequestAdd
        | Action::AccountingSuspend => create,
        Action::ClientShow | Action::NoteShow | Action::ConsentShow | Action::ClientPage => read,
        Action::ClientList
        | Action::NoteList
        | Action::ConsentList
        | Action::AccountingShow
        | Action::RestrictionList
        | Action::RequestList
        | Action::RequestDue
        | Action::RetentionList => search,
        Action::ClientEdit
        | Action::NoteEdit
        | Action::NoteSign
        | Action::NoteAmend
        | Action::ConsentRevoke
        | Action::RestrictionRefuse
        | Action::RestrictionEnd
        | Action::RequestExtend
        | Action::RequestAnswer
        | Action::RequestReview
        | Action::RequestStatement => update,
        Action::ClientDestroy => (TYPE_PATIENT_RECORD, Some(SUBTYPE_DELETE), ACTION_D),
        Action::NoteImportPrepare | Action::DiscloseDryRun | Action::IndexRebuild => {
            (TYPE_PATIENT_RECORD, None, ACTION_E)
        }
        Action::NoteSearch => (TYPE_QUERY, Some(SUBTYPE_SEARCH), ACTION_R),
        Action::NoteImport => (TYPE_IMPORT, None, ACTION_C),
        Action::VaultUnlock | Action::VaultRecover => (TYPE_AUTHENTICATION, None, ACTION_E),
        Action::VaultPasswd
        | Action::PolicySet
        | Action::PracticeFound
        | Action::MemberAdd
        | Action::MemberRemove
        | Action::MemberRole
        | Action::CaseloadAssign
        | Action::CaseloadUnassign
        | Action::AccessApprove
        | Action::AccessEnd
        | Action::VaultRekey => (TYPE_SECURITY_ALERT, None, ACTION_U),
        Action::AccessRequest => (TYPE_SECURITY_ALERT, None, ACTION_C),
        Action::VaultInit => (TYPE_APPLICATION, None, ACTION_C),
        Action::VaultBackup | Action::Disclose => (TYPE_EXPORT, None, ACTION_R),
        Action::PolicyShow | Action::MemberList | Action::CaseloadList | Action::AccessList => {
            (TYPE_APPLICATION, Some(SUBTYPE_READ), ACTION_R)
        }
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
            | Failure::NoSuchDirectory
            | Failure::KeyDenied
            | Failure::RoleDenied
            | Failure::RecordKept => MINOR,
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
            TargetAccess::Delete => "delete",
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
                member: None,
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
            "client.add" | "note.add" | "consent.add" | "intake.add" | "restriction.add"
            | "request.add" | "accounting.suspend" => (pr, create, ACTION_C),
            "client.show" | "note.show" | "consent.show" | "client.page" => (pr, read, ACTION_R),
            "client.list" | "note.list" | "consent.list" | "accounting.show"
            | "restriction.list" | "request.list" | "request.due" | "retention.list" => {
                (pr, search, ACTION_R)
            }
            "client.edit" | "note.edit" | "note.sign" | "note.amend" | "consent.revoke"
            | "restriction.refuse" | "restriction.end" | "request.extend" | "request.answer"
            | "request.review" | "request.statement" => (pr, update, ACTION_U),
            "client.destroy" => (pr, Some(SUBTYPE_DELETE), ACTION_D),
            "note.import.prepare" | "disclose.dry-run" | "index.rebuild" => (pr, None, ACTION_E),
            "note.search" => (TYPE_QUERY, search, ACTION_R),
            "note.import" => (TYPE_IMPORT, None, ACTION_C),
            "vault.unlock" | "vault.recover" => (TYPE_AUTHENTICATION, None, ACTION_E),
            "vault.passwd" | "policy.set" | "practice.found" | "member.add" | "member.remove"
            | "member.role" | "caseload.assign" | "caseload.unassign" | "access.approve"
            | "access.end" | "vault.rekey" => (TYPE_SECURITY_ALERT, None, ACTION_U),
            "access.request" => (TYPE_SECURITY_ALERT, None, ACTION_C),
            "vault.init" => (TYPE_APPLICATION, None, ACTION_C),
            "policy.show" | "member.list" | "caseload.list" | "access.list" => {
                (TYPE_APPLICATION, read, ACTION_R)
            }
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
