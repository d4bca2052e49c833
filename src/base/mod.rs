//! The bottom layer: plain types every other layer shares (identifiers, dates, timestamps,
//! record references) and the Unicode folding that names, headings and search compare text
//! with. Knows nothing of keys, storage or the vault.

mod date;
pub(crate) mod fold;
mod id;
mod record_ref;
mod timestamp;

pub use date::Date;
pub use id::{
    AccountingId, ClientId, ConsentId, DecisionId, IntakeId, NoteId, RequestId, RestrictionId,
    is_vault_id,
};
pub use record_ref::{RecordKind, RecordRef};
pub use timestamp::{EventTime, Timestamp};
