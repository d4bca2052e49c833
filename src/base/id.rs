//! Record identifiers, shared by every layer.

/// A client's identifier: eight random hexadecimal digits, meaningless outside the vault.
pub type ClientId = String;

/// A note's identifier: eight random hexadecimal digits.
pub type NoteId = String;

/// A consent's identifier: eight random hexadecimal digits.
pub type ConsentId = String;
