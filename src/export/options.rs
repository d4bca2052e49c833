//! What a caller asks of an export: its format, how it is protected, where it goes.

use age::secrecy::SecretString;

/// How a bundle is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Markdown for people (the default).
    Markdown,
    /// JSON for programs (schema in docs/EXPORT.md).
    Json,
}

/// How a bundle is protected on its way out.
#[derive(Clone, Debug)]
pub enum ExportEncryption {
    /// Standard age to these recipients: `age1…` keys or SSH public keys.
    Recipients(Vec<String>),
    /// Standard age to a passphrase (scrypt tuned to about a second).
    Passphrase(SecretString),
    /// No encryption: the caller asked for plaintext by name.
    Plaintext,
}

/// Where and how to write a disclosure.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// Markdown or JSON.
    pub format: ExportFormat,
    /// Encryption.
    pub encryption: ExportEncryption,
    /// The file to create (it must not exist).
    pub out: std::path::PathBuf,
}
