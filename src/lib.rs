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

mod accounting;
mod audit;
mod category;
mod client;
mod consent;
mod decision;
mod error;
mod export;
mod fhir;
mod fold;
pub use fold::is_blank;
mod hygiene;
mod import;
mod keys;
mod keyslot;
mod note;
mod policy;
mod record;
mod redact;
mod scan;
mod session_consent;
mod session_disclose;
mod store;
mod vault;

pub use accounting::AccountingEntry;
pub use audit::{AuditEvent, Target, TargetAccess, VerifyFinding, VerifyReport, is_anchor};
pub use category::DEFAULT_CATEGORIES;
pub use client::{Client, ClientId, NewClient};
pub use consent::{
    Consent, ConsentId, ConsentRecipient, IntakeAcknowledgement, NewConsent, Relationship,
    Revocation, ToldException,
};
pub use decision::{
    Basis, Decision, DecisionInput, DisclosureRequest, ExceptionRequest, JointNote, JointVerdict,
    Obligation, ParticipantConsent, Verdict, decide,
};
pub use error::{Error, ErrorClass};
pub use export::{
    Bundle, BundleAddendum, BundleClient, BundleNote, BundleSection, Cover, ExportEncryption,
    ExportFormat, ExportOptions, JSON_FORMAT, Withheld,
};
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
pub use hygiene::harden_process;
pub use import::{ImportProgress, ImportReport, SkipReason, Skipped};
pub use keys::RecoveryCode;
pub use keyslot::{KdfParams, KeyslotError, normalize_passphrase};
pub use note::{
    Addendum, Date, HeadingForm, NewNote, Note, NoteId, NoteParseError, NoteSource, NoteStatus,
    NoteType, Section, parse_sections,
};
pub use policy::{ALL_CATEGORIES, DEFAULT_POLICY, Exception, Policy, PolicyError};
pub use record::{RecordKind, RecordRef};
pub use redact::{IdentifierClass, Redaction, RedactionKind, Redactor};
pub use session_consent::{ClientDetails, DecisionRecord, MAX_NOTE_BYTES};
pub use session_disclose::Disclosure;
pub use store::StoreError;
pub use vault::{FailedUnlock, SearchHit, Session, Vault};

/// Building blocks exposed for the benchmarks (`cargo bench`) and the fuzz targets
/// (`fuzz/`) only: not a stable API.
#[doc(hidden)]
pub mod internals {
    pub use crate::record::{IntegrityError, open as open_record, seal as seal_record};
}
