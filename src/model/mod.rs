//! The vault's records as the clinician knows them: categories, client profiles,
//! session notes, consents and intake acknowledgements, the accounting of
//! disclosures, and the policy (with its built-in default) that names what each
//! category is and which exceptions the law allows; the practice's roles (declared
//! in the policy), its roster and caseloads, and which member holds which
//! compartment's key.
//!
//! Invariant: plain data and its validation. Nothing here reads a key, a clock or a
//! row; parsing is the only way to get a note's sections or a policy.

pub(crate) mod accounting;
pub(crate) mod category;
pub(crate) mod client;
pub(crate) mod consent;
pub(crate) mod note;
pub(crate) mod policy;
pub mod practice;
pub(crate) mod restriction;
pub(crate) mod rights;
pub mod role;
