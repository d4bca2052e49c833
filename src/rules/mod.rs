//! The rules applied to what leaves the vault: the decision engine (what may be
//! disclosed, to whom, on which basis) and redaction (what a recipient sees of it).
//!
//! Invariant: pure functions of their inputs. No I/O, no clock, no randomness: the
//! same request, consents, policy and note give the same decision and the same
//! redacted text.

pub(crate) mod decision;
pub(crate) mod redact;
