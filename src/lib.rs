//! casevault: a confidentiality-first encrypted notes vault for psychotherapists.
//!
//! Every client profile, session note version and audit event is its own
//! [age](https://age-encryption.org) file, encrypted under keys derived from the
//! vault's root secret; the root secret is wrapped in keyslots under Argon2id. Every
//! operation, reads included, appends one event to a keyed MAC chain in the same
//! SQLite transaction as the action.
//!
//! The library never prompts and never prints: callers pass secrets in, and get
//! typed results and errors back.
//!
//! ```
//! use casevault::{KdfParams, NewClient, NewNote, Vault};
//! use secrecy::SecretString;
//!
//! # fn main() -> Result<(), casevault::Error> {
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("practice.vault");
//! let passphrase = SecretString::from("correct horse battery staple");
//! let (mut session, _recovery_code) =
//!     Vault::create(&path, &passphrase, KdfParams::default(), "dr-rivera")?;
//! let client = session.add_client(NewClient {
//!     name: "Ada Example".into(),
//!     ..NewClient::default()
//! })?;
//! let note = session.add_note(NewNote::individual(
//!     &client,
//!     "2026-03-01".parse().unwrap(),
//!     "Slept better this week.\n## risk\nNo current risk.\n",
//! ))?;
//! let shown = session.note(&note)?;
//! assert_eq!(shown.sections.len(), 2);
//! assert!(session.verify_audit(None)?.is_intact());
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The layers, from the bottom up: base, crypto, store, audit, model, rules, error,
// export, fhir, vault. Each imports only from itself and those before it in that
// order; rustfmt sorts the declarations below, so the order is written only here.
// `tests/layers.rs` holds the same list and checks it, and that no modules import
// each other in a cycle.
mod audit;
mod base;
mod crypto;
mod error;
mod export;
mod fhir;
mod model;
mod rules;
mod store;
mod vault;

pub use audit::{
    Action, AuditEvent, Failure, Outcome, Target, TargetAccess, VerifyFinding, VerifyReport,
    is_anchor,
};
pub use base::fold::is_blank;
pub use base::{
    AccountingId, ClientId, ConsentId, Date, DecisionId, EventTime, IntakeId, NoteId, RecordKind,
    RecordRef, RequestId, RestrictionId, Timestamp, is_vault_id,
};
pub use crypto::keys::RecoveryCode;
pub use crypto::keyslot::{KdfParams, KeyslotError, normalize_passphrase};
pub use error::{ClientMatch, Error, ErrorClass, TrailSeen};
pub use export::{
    Bundle, BundleAddendum, BundleClient, BundleNote, BundleSection, Cover, ExportEncryption,
    ExportFormat, ExportOptions, JSON_FORMAT, Withheld,
};
pub use export::{ClientPage, Disagreement, render_client_page};
pub use fhir::codes::{
    CATEGORY_SYSTEM as FHIR_CATEGORY_SYSTEM, FHIR_CODES, FhirCode,
    PURPOSE_SYSTEM as FHIR_PURPOSE_SYSTEM, RECORD_SYSTEM_PREFIX as FHIR_RECORD_SYSTEM_PREFIX,
    VAULT_SYSTEM as FHIR_VAULT_SYSTEM, lookup as fhir_code, purpose_of_use as fhir_purpose_of_use,
    security_labels as fhir_security_labels,
};
pub use fhir::{
    accounting_entry_to_fhir, accounting_to_fhir, audit_event_to_fhir, audit_log_to_fhir,
    consent_to_fhir,
};
pub use model::accounting::AccountingEntry;
pub use model::category::DEFAULT_CATEGORIES;
pub use model::client::{Care, Client, LegalHold, NewClient};
pub use model::consent::{
    Consent, ConsentRecipient, IntakeAcknowledgement, NewConsent, Relationship, Revocation,
    ToldException, Tpo,
};
pub use model::note::{
    Addendum, HeadingForm, MAX_NOTE_BYTES, NewNote, Note, NoteParseError, NoteSource, NoteStatus,
    NoteType, Section, parse_sections,
};
pub use model::policy::packs::{PACKS, Pack};
pub use model::policy::{
    ALL_CATEGORIES, Citation, DEFAULT_POLICY, Deadline, Exception, Force, Lockbox, Minors,
    PackText, Part2, Policy, PolicyError, RECIPIENT_KINDS, RestrictionRules, Retention, Rights,
    Term,
};
pub use model::practice::{
    Assignment, Caseload, Compartment, Member, Roster, can_write, compartments_of_client, holders,
    may, valid_member_name,
};
pub use model::restriction::{Answer, NewRestriction, Restriction};
pub use model::rights::{
    DenialGround, Extension, RequestAnswer, RequestOutcome, Review, RightKind, RightsRequest,
    Suspension, retention_end, years_after,
};
pub use model::role::{CONSENTS, ClientScope, DISCLOSURES, PSYCHOTHERAPY_NOTES, Permission, Role};
pub use rules::decision::{
    Basis, ClientFacts, Decision, DecisionInput, DecisionRecord, DisclosureRequest,
    ExceptionRequest, JointNote, JointVerdict, Obligation, ParticipantConsent, Verdict, decide,
};
pub use rules::redact::{IdentifierClass, Redaction, RedactionKind, Redactor};
pub use store::{Location, LocationError, ServerAddress, StoreError};
pub use vault::answer::{AccessGrant, AccessGranted, AmendmentAccepted};
pub use vault::consent::ClientDetails;
pub use vault::destroy::{DestroyBasis, Destruction};
pub use vault::disclose::{Disclosure, Preview};
pub use vault::import::{ImportProgress, ImportReport, SkipReason, Skipped};
pub use vault::owed::LegalAccounting;
pub use vault::profile::ProfileChange;
pub use vault::record_life::RetentionRow;
pub use vault::restrict::CareChange;
pub use vault::{
    AccessRequest, Approval, DEFAULT_MEMBER, FailedUnlock, IndexRebuild, RekeyReport, SearchHit,
    Session, Vault, VaultCopy, harden_process,
};

/// Building blocks exposed for the benchmarks (`cargo bench`) and the fuzz targets
/// (`fuzz/`) only: not a stable API.
#[doc(hidden)]
pub mod internals {
    pub use crate::base::{RecordKind, RecordRef};
    pub use crate::crypto::record::{IntegrityError, open as open_record, seal as seal_record};
    pub use crate::vault::inspect::{note_parts, open_part_with, open_record_with, unwrap_all};
}
