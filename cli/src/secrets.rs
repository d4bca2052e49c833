//! Where passphrases and recovery codes come from: a file, an environment variable,
//! or a no-echo prompt on the terminal, in that order.
//!
//! A secret is handed on as given (a file's first line, the variable, what was typed):
//! the library takes passphrases in their [`casevault::normalize_passphrase`] form
//! (NFC, no byte-order mark, no trailing line ending) and, for a vault made before
//! that, tries the form given too. What the CLI itself compares or counts (the
//! confirmation, the length) and the export passphrase it hands on are normalized here.

use std::io::IsTerminal;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::bounded;
use crate::error::CliError;

/// Reads a secret from `file`, else from the environment variable `env`, else by
/// prompting with `prompt` (twice when `confirm`).
pub fn read_secret(
    what: &str,
    file: Option<&Path>,
    env: &str,
    prompt: &str,
    confirm: bool,
) -> Result<SecretString, CliError> {
    if let Some(path) = file {
        let bytes = bounded::read(bounded::Source::File(path), bounded::Input::Secret(what))?;
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            CliError::input(
                format!("the {what} file {} is not UTF-8 text", path.display()),
                "write the secret as plain text on the file's first line",
            )
        })?;
        // The first line; a trailing newline is not part of the secret.
        let line = text.lines().next().unwrap_or("");
        return Ok(SecretString::from(line));
    }
    if let Ok(value) = std::env::var(env) {
        return Ok(exact(Zeroizing::new(value)));
    }
    if !std::io::stdin().is_terminal() && !Path::new("/dev/tty").exists() {
        return Err(no_source(what, env));
    }
    let first = exact(Zeroizing::new(
        rpassword::prompt_password(prompt).map_err(|_| no_source(what, env))?,
    ));
    if confirm {
        let again = exact(Zeroizing::new(
            rpassword::prompt_password("Type it again: ").map_err(|_| no_source(what, env))?,
        ));
        // The same passphrase, whichever way its accents were typed.
        let (first, again) = (
            casevault::normalize_passphrase(&first),
            casevault::normalize_passphrase(&again),
        );
        let same: bool = first
            .expose_secret()
            .as_bytes()
            .ct_eq(again.expose_secret().as_bytes())
            .into();
        if !same {
            return Err(CliError::input(
                format!("the two {what}s differ"),
                "run the command again and type the same one twice",
            ));
        }
        return Ok(first);
    }
    Ok(first)
}

/// A `SecretString` holding `text` at its exact length. `SecretString::from(String)`
/// would shrink a string with spare room by reallocating it, leaving the old copy
/// unwiped; here the original is wiped when dropped.
fn exact(text: Zeroizing<String>) -> SecretString {
    SecretString::from(text.as_str())
}

fn no_source(what: &str, env: &str) -> CliError {
    CliError::usage(
        format!("no {what} given and no terminal to ask on"),
        &format!("set {env}, or pass the matching --…-file option"),
    )
}

/// Refuses passphrases too short to resist guessing, counted in their normal form (an
/// accent typed as a combining mark does not count as a character).
pub fn check_new_passphrase(passphrase: &SecretString) -> Result<(), CliError> {
    const MIN_CHARS: usize = 10;
    let normal = casevault::normalize_passphrase(passphrase);
    if normal.expose_secret().chars().count() < MIN_CHARS {
        return Err(CliError::input(
            format!("the new passphrase is shorter than {MIN_CHARS} characters"),
            "choose a longer one: several unrelated words make a good passphrase",
        ));
    }
    Ok(())
}
