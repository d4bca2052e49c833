//! Every code the FHIR output uses, with the R4 value set it is drawn from.
//!
//! This table is the project's own value-set check: the tests walk every resource the
//! CLI prints and require each `system`/`code` pair to be in it (or in one of the
//! casevault code systems, whose codes are the policy's names). Only codes whose
//! membership was checked against the R4 (4.0.1) specification or its terminology are
//! here; docs/FHIR.md says how sure we are of each.

/// One code the FHIR output may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FhirCode {
    /// The code system's canonical URL.
    pub system: &'static str,
    /// The code.
    pub code: &'static str,
    /// The display the code system gives it (empty for `code`-typed elements, which
    /// carry no display).
    pub display: &'static str,
    /// Where it is used, and the R4 binding (value set and strength) it satisfies.
    pub used_for: &'static str,
}

/// The code system of casevault's categories (the policy's names, and `all`).
/// Local to casevault; defined in docs/FHIR.md.
pub const CATEGORY_SYSTEM: &str = "urn:casevault:category";
/// The code system of casevault's purposes, for a purpose that has no v3-ActReason
/// mapping (only a custom policy's purposes).
pub const PURPOSE_SYSTEM: &str = "urn:casevault:purpose";
/// The identifier system of vault identifiers (`Session::vault_id`).
pub const VAULT_SYSTEM: &str = "urn:casevault:vault";
/// The prefix of the identifier system of a record kind: `urn:casevault:record:note`.
pub const RECORD_SYSTEM_PREFIX: &str = "urn:casevault:record:";

pub(crate) const CONSENT_STATE: &str = "http://hl7.org/fhir/consent-state-codes";
pub(crate) const CONSENT_SCOPE: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
pub(crate) const LOINC: &str = "http://loinc.org";
pub(crate) const CONSENT_POLICY: &str = "http://terminology.hl7.org/CodeSystem/consentpolicycodes";
pub(crate) const PROVISION_TYPE: &str = "http://hl7.org/fhir/consent-provision-type";
pub(crate) const PARTICIPATION_TYPE: &str =
    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
pub(crate) const CONSENT_ACTION: &str = "http://terminology.hl7.org/CodeSystem/consentaction";
pub(crate) const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
pub(crate) const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
pub(crate) const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
pub(crate) const RESTFUL_INTERACTION: &str = "http://hl7.org/fhir/restful-interaction";
pub(crate) const AUDIT_ACTION: &str = "http://hl7.org/fhir/audit-event-action";
pub(crate) const AUDIT_OUTCOME: &str = "http://hl7.org/fhir/audit-event-outcome";
pub(crate) const AUDIT_ENTITY_TYPE: &str =
    "http://terminology.hl7.org/CodeSystem/audit-entity-type";
pub(crate) const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
pub(crate) const BUNDLE_TYPE: &str = "http://hl7.org/fhir/bundle-type";
pub(crate) const DATA_ABSENT_REASON: &str =
    "http://terminology.hl7.org/CodeSystem/data-absent-reason";

const fn c(
    system: &'static str,
    code: &'static str,
    display: &'static str,
    used_for: &'static str,
) -> FhirCode {
    FhirCode {
        system,
        code,
        display,
        used_for,
    }
}

const STATUS: &str = "Consent.status: ConsentState (required)";
pub(crate) const STATUS_ACTIVE: FhirCode = c(CONSENT_STATE, "active", "", STATUS);
pub(crate) const STATUS_INACTIVE: FhirCode = c(CONSENT_STATE, "inactive", "", STATUS);

pub(crate) const SCOPE_PRIVACY: FhirCode = c(
    CONSENT_SCOPE,
    "patient-privacy",
    "Privacy Consent",
    "Consent.scope: ConsentScopeCodes (extensible)",
);

const CATEGORY: &str = "Consent.category: ConsentCategoryCodes (extensible)";
pub(crate) const CATEGORY_PATIENT_CONSENT: FhirCode =
    c(LOINC, "59284-0", "Patient Consent", CATEGORY);
pub(crate) const CATEGORY_RELEASE: FhirCode =
    c(LOINC, "64292-6", "Release of information consent", CATEGORY);

pub(crate) const POLICY_HIPAA_AUTH: FhirCode = c(
    CONSENT_POLICY,
    "hipaa-auth",
    "HIPAA Authorization",
    "Consent.policyRule: ConsentPolicyRuleCodes (extensible)",
);

const PROVISION: &str = "Consent.provision.type: ConsentProvisionType (required)";
pub(crate) const PROVISION_PERMIT: FhirCode = c(PROVISION_TYPE, "permit", "", PROVISION);
pub(crate) const PROVISION_DENY: FhirCode = c(PROVISION_TYPE, "deny", "", PROVISION);

pub(crate) const ROLE_RECIPIENT: FhirCode = c(
    PARTICIPATION_TYPE,
    "IRCP",
    "information recipient",
    "Consent.provision.actor.role: SecurityRoleType (extensible); AuditEvent.agent.type: ParticipationRoleType (extensible)",
);

pub(crate) const ACTION_DISCLOSE: FhirCode = c(
    CONSENT_ACTION,
    "disclose",
    "Disclose",
    "Consent.provision.action: ConsentActionCodes (example)",
);

const PURPOSE: &str =
    "Consent.provision.purpose, AuditEvent.purposeOfEvent: PurposeOfUse (extensible)";
pub(crate) const PURPOSE_TREAT: FhirCode = c(ACT_REASON, "TREAT", "treatment", PURPOSE);
pub(crate) const PURPOSE_HPAYMT: FhirCode = c(ACT_REASON, "HPAYMT", "healthcare payment", PURPOSE);
pub(crate) const PURPOSE_HOPERAT: FhirCode =
    c(ACT_REASON, "HOPERAT", "healthcare operations", PURPOSE);
pub(crate) const PURPOSE_COC: FhirCode = c(ACT_REASON, "COC", "coordination of care", PURPOSE);
pub(crate) const PURPOSE_PATRQT: FhirCode = c(ACT_REASON, "PATRQT", "patient requested", PURPOSE);
pub(crate) const PURPOSE_HLEGAL: FhirCode = c(ACT_REASON, "HLEGAL", "legal", PURPOSE);
pub(crate) const PURPOSE_FAMRQT: FhirCode = c(ACT_REASON, "FAMRQT", "family requested", PURPOSE);
pub(crate) const PURPOSE_TRAIN: FhirCode = c(ACT_REASON, "TRAIN", "training", PURPOSE);
pub(crate) const PURPOSE_HRESCH: FhirCode = c(ACT_REASON, "HRESCH", "healthcare research", PURPOSE);

const LABEL: &str = "Consent.provision.securityLabel: All Security Labels (extensible)";
pub(crate) const LABEL_PSYTHPN: FhirCode = c(
    ACT_CODE,
    "PSYTHPN",
    "psychotherapy note information sensitivity",
    LABEL,
);
pub(crate) const LABEL_SUD: FhirCode = c(
    ACT_CODE,
    "SUD",
    "substance use disorder information sensitivity",
    LABEL,
);
pub(crate) const LABEL_ETH: FhirCode = c(
    ACT_CODE,
    "ETH",
    "substance abuse information sensitivity",
    LABEL,
);
pub(crate) const LABEL_SEX: FhirCode = c(
    ACT_CODE,
    "SEX",
    "sexuality and reproductive health information sensitivity",
    LABEL,
);

const EVENT_TYPE: &str = "AuditEvent.type: AuditEventID (extensible)";
pub(crate) const TYPE_APPLICATION: FhirCode = c(DCM, "110100", "Application Activity", EVENT_TYPE);
pub(crate) const TYPE_AUDIT_LOG: FhirCode = c(DCM, "110101", "Audit Log Used", EVENT_TYPE);
pub(crate) const TYPE_EXPORT: FhirCode = c(DCM, "110106", "Export", EVENT_TYPE);
pub(crate) const TYPE_IMPORT: FhirCode = c(DCM, "110107", "Import", EVENT_TYPE);
pub(crate) const TYPE_PATIENT_RECORD: FhirCode = c(DCM, "110110", "Patient Record", EVENT_TYPE);
pub(crate) const TYPE_QUERY: FhirCode = c(DCM, "110112", "Query", EVENT_TYPE);
pub(crate) const TYPE_SECURITY_ALERT: FhirCode = c(DCM, "110113", "Security Alert", EVENT_TYPE);
pub(crate) const TYPE_AUTHENTICATION: FhirCode =
    c(DCM, "110114", "User Authentication", EVENT_TYPE);

const SUBTYPE: &str = "AuditEvent.subtype: AuditEventSubType (extensible)";
pub(crate) const SUBTYPE_READ: FhirCode = c(RESTFUL_INTERACTION, "read", "read", SUBTYPE);
pub(crate) const SUBTYPE_CREATE: FhirCode = c(RESTFUL_INTERACTION, "create", "create", SUBTYPE);
pub(crate) const SUBTYPE_UPDATE: FhirCode = c(RESTFUL_INTERACTION, "update", "update", SUBTYPE);
pub(crate) const SUBTYPE_DELETE: FhirCode = c(RESTFUL_INTERACTION, "delete", "delete", SUBTYPE);
pub(crate) const SUBTYPE_SEARCH: FhirCode =
    c(RESTFUL_INTERACTION, "search-type", "search-type", SUBTYPE);

const ACTION: &str = "AuditEvent.action: AuditEventAction (required)";
pub(crate) const ACTION_C: FhirCode = c(AUDIT_ACTION, "C", "", ACTION);
pub(crate) const ACTION_R: FhirCode = c(AUDIT_ACTION, "R", "", ACTION);
pub(crate) const ACTION_U: FhirCode = c(AUDIT_ACTION, "U", "", ACTION);
pub(crate) const ACTION_E: FhirCode = c(AUDIT_ACTION, "E", "", ACTION);
pub(crate) const ACTION_D: FhirCode = c(AUDIT_ACTION, "D", "", ACTION);

const OUTCOME: &str = "AuditEvent.outcome: AuditEventOutcome (required)";
pub(crate) const OUTCOME_SUCCESS: FhirCode = c(AUDIT_OUTCOME, "0", "", OUTCOME);
pub(crate) const OUTCOME_MINOR: FhirCode = c(AUDIT_OUTCOME, "4", "", OUTCOME);
pub(crate) const OUTCOME_SERIOUS: FhirCode = c(AUDIT_OUTCOME, "8", "", OUTCOME);

const ENTITY_TYPE: &str = "AuditEvent.entity.type: AuditEventEntityType (extensible)";
pub(crate) const ENTITY_PERSON: FhirCode = c(AUDIT_ENTITY_TYPE, "1", "Person", ENTITY_TYPE);
pub(crate) const ENTITY_OBJECT: FhirCode = c(AUDIT_ENTITY_TYPE, "2", "System Object", ENTITY_TYPE);

const ENTITY_ROLE: &str = "AuditEvent.entity.role: AuditEventEntityRole (extensible)";
pub(crate) const ROLE_PATIENT: FhirCode = c(OBJECT_ROLE, "1", "Patient", ENTITY_ROLE);
pub(crate) const ROLE_DOMAIN_RESOURCE: FhirCode =
    c(OBJECT_ROLE, "4", "Domain Resource", ENTITY_ROLE);
pub(crate) const ROLE_SECURITY_RESOURCE: FhirCode =
    c(OBJECT_ROLE, "13", "Security Resource", ENTITY_ROLE);

pub(crate) const BUNDLE_COLLECTION: FhirCode = c(
    BUNDLE_TYPE,
    "collection",
    "",
    "Bundle.type: BundleType (required)",
);

pub(crate) const ABSENT_UNKNOWN: FhirCode = c(
    DATA_ABSENT_REASON,
    "unknown",
    "Unknown",
    "data-absent-reason extension on a time that is not a valid instant",
);

/// Every code the FHIR output may carry, outside casevault's own code systems.
pub const FHIR_CODES: &[FhirCode] = &[
    STATUS_ACTIVE,
    STATUS_INACTIVE,
    SCOPE_PRIVACY,
    CATEGORY_PATIENT_CONSENT,
    CATEGORY_RELEASE,
    POLICY_HIPAA_AUTH,
    PROVISION_PERMIT,
    PROVISION_DENY,
    ROLE_RECIPIENT,
    ACTION_DISCLOSE,
    PURPOSE_TREAT,
    PURPOSE_HPAYMT,
    PURPOSE_HOPERAT,
    PURPOSE_COC,
    PURPOSE_PATRQT,
    PURPOSE_HLEGAL,
    PURPOSE_FAMRQT,
    PURPOSE_TRAIN,
    PURPOSE_HRESCH,
    LABEL_PSYTHPN,
    LABEL_SUD,
    LABEL_ETH,
    LABEL_SEX,
    TYPE_APPLICATION,
    TYPE_AUDIT_LOG,
    TYPE_EXPORT,
    TYPE_IMPORT,
    TYPE_PATIENT_RECORD,
    TYPE_QUERY,
    TYPE_SECURITY_ALERT,
    TYPE_AUTHENTICATION,
    SUBTYPE_READ,
    SUBTYPE_CREATE,
    SUBTYPE_UPDATE,
    SUBTYPE_SEARCH,
    SUBTYPE_DELETE,
    ACTION_C,
    ACTION_R,
    ACTION_U,
    ACTION_E,
    ACTION_D,
    OUTCOME_SUCCESS,
    OUTCOME_MINOR,
    OUTCOME_SERIOUS,
    ENTITY_PERSON,
    ENTITY_OBJECT,
    ROLE_PATIENT,
    ROLE_DOMAIN_RESOURCE,
    ROLE_SECURITY_RESOURCE,
    BUNDLE_COLLECTION,
    ABSENT_UNKNOWN,
];

/// The v3-ActReason purpose of use for a casevault purpose of the default policy;
/// `None` for a purpose a custom policy adds (it goes out in [`PURPOSE_SYSTEM`]).
pub fn purpose_of_use(purpose: &str) -> Option<FhirCode> {
    Some(match purpose {
        "treatment" => PURPOSE_TREAT,
        "payment" => PURPOSE_HPAYMT,
        "operations" => PURPOSE_HOPERAT,
        "coordination-of-care" => PURPOSE_COC,
        "client-request" => PURPOSE_PATRQT,
        "legal" => PURPOSE_HLEGAL,
        "family-involvement" => PURPOSE_FAMRQT,
        // Clinical supervision is the supervisee's training (HIPAA counts supervised
        // training among health care operations; TRAIN is the narrower code).
        "supervision" => PURPOSE_TRAIN,
        "research" => PURPOSE_HRESCH,
        _ => return None,
    })
}

/// The v3-ActCode sensitivity labels of a casevault category (none for most).
pub fn security_labels(category: &str) -> &'static [FhirCode] {
    match category {
        "psychotherapy-notes" => &[LABEL_PSYTHPN],
        // SUD is the current label; ETH, the older one, is what R4-era systems know.
        "substance-use" => &[LABEL_SUD, LABEL_ETH],
        "sexual-health" => &[LABEL_SEX],
        _ => &[],
    }
}

/// The table entry for a system and code, if the output may carry it.
pub fn lookup(system: &str, code: &str) -> Option<&'static FhirCode> {
    FHIR_CODES
        .iter()
        .find(|c| c.system == system && c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once() {
        for (i, a) in FHIR_CODES.iter().enumerate() {
            for b in &FHIR_CODES[i + 1..] {
                assert!(
                    !(a.system == b.system && a.code == b.code),
                    "{} {} listed twice",
                    a.system,
                    a.code
                );
            }
        }
    }

    #[test]
    fn every_default_purpose_and_label_is_in_the_table() {
        let policy = crate::Policy::default_policy();
        for purpose in &policy.purposes {
            let code = purpose_of_use(purpose).expect("every default purpose maps");
            assert_eq!(lookup(code.system, code.code), Some(&code));
        }
        for category in &policy.categories {
            for label in security_labels(category) {
                assert_eq!(lookup(label.system, label.code), Some(label));
            }
        }
    }
}
