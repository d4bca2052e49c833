//! Client details kept off the command line, where every local user can read them
//! (`/proc/PID/cmdline`, `ps`) and the shell keeps them in its history: a client's
//! profile, a search query, an exception's justification and reference. Each is asked
//! for on the terminal, or read from standard input or a file.
//!
//! Error messages name the line and the field, never the value typed: they may end up
//! in a log.

use std::io::{IsTerminal, Write};
use std::path::Path;

use casevault::{Date, NewClient, ProfileChange};
use zeroize::Zeroizing;

use crate::bounded;
use crate::error::CliError;

/// What a profile on standard input looks like, for error hints.
const PROFILE_FORM: &str = "write one field per line, e.g. `name: Ada Example`, `dob: 1984-05-17`, `contact: 555-0100`, `third-party: Ben Example` (repeatable); only the name is required; nothing was written";

/// What changes to a profile on standard input look like, for error hints.
const CHANGES_FORM: &str = "write one field to change per line, e.g. `name: Ada Example`, `dob: 1984-05-17`, `contact: 555-0100`, `third-party: Ben Example` (repeatable: the names given replace the list); nothing was changed";

/// `text` without its one trailing line ending (`\n` or `\r\n`), if it has one.
pub fn without_line_ending(text: &str) -> &str {
    match text.strip_suffix('\n') {
        Some(line) => line.strip_suffix('\r').unwrap_or(line),
        None => text,
    }
}

/// A name the user typed, fit to print in an error: quoted, control characters
/// escaped, at most 40 characters.
fn quoted(text: &str) -> String {
    let escaped: String = text.escape_debug().take(40).collect();
    format!("\"{escaped}\"")
}

/// Reads the whole of standard input as UTF-8 text, at most
/// [`bounded::MAX_TEXT_BYTES`]; `what` names it in errors.
fn read_stdin(what: &str, hint: &str) -> Result<Zeroizing<String>, CliError> {
    let bytes = bounded::read(bounded::Source::Stdin, bounded::Input::Text(what))?;
    utf8(bytes, what, "standard input", hint)
}

fn utf8(
    bytes: Zeroizing<Vec<u8>>,
    what: &str,
    source: &str,
    hint: &str,
) -> Result<Zeroizing<String>, CliError> {
    bounded::into_text(bytes).ok_or_else(|| {
        CliError::usage(
            format!("{what} in {source} is not UTF-8 text; nothing was written"),
            hint,
        )
    })
}

/// Which field of a profile a line sets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Dob,
    Contact,
    ThirdParty,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        match name.trim().to_ascii_lowercase().as_str() {
            "name" => Some(Field::Name),
            "dob" => Some(Field::Dob),
            "contact" => Some(Field::Contact),
            "third-party" => Some(Field::ThirdParty),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Dob => "dob",
            Field::Contact => "contact",
            Field::ThirdParty => "third-party",
        }
    }
}

/// Reads a client's profile from standard input (see [`parse_profile`]).
pub fn profile_from_stdin() -> Result<NewClient, CliError> {
    let text = read_stdin("the client's profile", PROFILE_FORM)?;
    parse_profile(&text)
}

/// Reads changes to a client's profile from standard input (see
/// [`parse_profile_change`]).
pub fn profile_change_from_stdin() -> Result<ProfileChange, CliError> {
    let text = read_stdin("the changes to the client's profile", CHANGES_FORM)?;
    parse_profile_change(&text)
}

/// A profile written as `field: value` lines: `name:` (required), `dob:`, `contact:`,
/// `third-party:` (repeatable). Blank lines and lines starting with `#` are skipped.
/// An unknown field, a line that is not `field: value`, an empty value, a repeated
/// single field, a malformed date or a missing name is a usage error naming the line.
pub fn parse_profile(text: &str) -> Result<NewClient, CliError> {
    let (client, _) = parse_fields(text, PROFILE_FORM)?;
    if client.name.is_empty() {
        return Err(CliError::usage(
            "the profile has no `name:` line",
            PROFILE_FORM,
        ));
    }
    Ok(client)
}

/// Changes to a profile, written as a profile is ([`parse_profile`]) but with only the
/// fields to change: `third-party:` lines, if any, replace the whole list. At least
/// one field is required.
pub fn parse_profile_change(text: &str) -> Result<ProfileChange, CliError> {
    let (client, given) = parse_fields(text, CHANGES_FORM)?;
    let has = |field: Field| given.contains(&field);
    let change = ProfileChange {
        name: has(Field::Name).then_some(client.name),
        contact: has(Field::Contact).then_some(client.contact),
        date_of_birth: has(Field::Dob).then_some(client.date_of_birth),
        third_parties: has(Field::ThirdParty).then_some(client.third_parties),
    };
    if change.is_empty() {
        return Err(CliError::usage(
            "standard input names no field to change",
            CHANGES_FORM,
        ));
    }
    Ok(change)
}

/// The fields of `field: value` lines (see [`parse_profile`]), and which were given;
/// `form` is the hint of the errors.
fn parse_fields(text: &str, form: &str) -> Result<(NewClient, Vec<Field>), CliError> {
    let refuse = |line: usize, problem: String| {
        CliError::usage(format!("profile line {line}: {problem}"), form)
    };
    let mut client = NewClient::default();
    let mut given: Vec<Field> = Vec::new();
    // The line each single field was first given on.
    let mut seen: Vec<(Field, usize)> = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(refuse(number, "not a `field: value` line".into()));
        };
        let Some(field) = Field::parse(name) else {
            return Err(refuse(
                number,
                format!(
                    "unknown field {}; the fields are name, dob, contact and third-party",
                    quoted(name.trim())
                ),
            ));
        };
        let value = value.trim();
        if value.is_empty() {
            return Err(refuse(
                number,
                format!("`{}:` has no value", field.as_str()),
            ));
        }
        if field != Field::ThirdParty {
            if let Some((_, first)) = seen.iter().find(|(f, _)| *f == field) {
                return Err(refuse(
                    number,
                    format!(
                        "`{}:` given again (first on line {first}); give it once",
                        field.as_str()
                    ),
                ));
            }
            seen.push((field, number));
        }
        if !given.contains(&field) {
            given.push(field);
        }
        match field {
            Field::Name => client.name = value.to_owned(),
            Field::Dob => {
                client.date_of_birth = Some(value.parse::<Date>().map_err(|_| {
                    refuse(
                        number,
                        "`dob:` is not a date; write it as YYYY-MM-DD, e.g. 1984-05-17".into(),
                    )
                })?)
            }
            Field::Contact => client.contact = Some(value.to_owned()),
            Field::ThirdParty => client.third_parties.push(value.to_owned()),
        }
    }
    Ok((client, given))
}

/// Prints `prompt` on standard error and reads one line from the terminal; `None` at
/// the end of input (Ctrl-D).
fn ask_line(prompt: &str) -> Result<Option<Zeroizing<String>>, CliError> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let line = bounded::read_line(bounded::Input::Text("line typed"))?;
    if line.is_none() {
        eprintln!();
    }
    Ok(line)
}

/// Asks for a client's profile on the terminal, field by field. All the lines typed
/// together hold at most [`bounded::MAX_TEXT_BYTES`], as a profile on standard input
/// does: endless input (`yes | script -c 'casevault client add'`) is refused, not
/// asked about for ever.
pub fn ask_profile() -> Result<NewClient, CliError> {
    eprintln!("The new client's profile (what you type here stays out of your shell's history).");
    let mut typed = 0usize;
    let mut ask_line = |prompt: &str| -> Result<Option<Zeroizing<String>>, CliError> {
        let line = ask_line(prompt)?;
        typed += line.as_ref().map_or(0, |l| l.len() + 1);
        if typed > bounded::MAX_TEXT_BYTES {
            return Err(CliError::input(
                format!(
                    "the profile typed is longer than {}, the most casevault reads for it; nothing was written",
                    bounded::human(bounded::MAX_TEXT_BYTES)
                ),
                "run `casevault client add` again and type the client's details",
            ));
        }
        Ok(line)
    };
    let name = loop {
        match ask_line("Name: ")? {
            None => {
                return Err(CliError::usage(
                    "no name given; nothing was written",
                    "run `casevault client add` again and type the client's name",
                ));
            }
            Some(line) if line.trim().is_empty() => eprintln!("A name is required."),
            Some(line) => break line.trim().to_owned(),
        }
    };
    let date_of_birth = loop {
        match ask_line("Date of birth (YYYY-MM-DD; empty if not known): ")? {
            None => break None,
            Some(line) if line.trim().is_empty() => break None,
            Some(line) => match line.parse::<Date>() {
                Ok(date) => break Some(date),
                Err(_) => eprintln!("That is not a date; write it as YYYY-MM-DD, e.g. 1984-05-17."),
            },
        }
    };
    let contact = ask_line("Contact (phone, e-mail or address; empty if none): ")?
        .map(|line| line.trim().to_owned())
        .filter(|line| !line.is_empty());
    eprintln!(
        "Third parties who may appear in notes (partner, children, employer), one per line; an empty line ends:"
    );
    let mut third_parties = Vec::new();
    while let Some(line) = ask_line("  third party: ")? {
        if line.trim().is_empty() {
            break;
        }
        third_parties.push(line.trim().to_owned());
    }
    Ok(NewClient {
        name,
        date_of_birth,
        contact,
        third_parties,
        care: Default::default(),
    })
}

/// The search query: asked for on the terminal, or one line of standard input.
pub fn query() -> Result<Zeroizing<String>, CliError> {
    let hint = "type the words to look for on one line, e.g. `echo sertraline | casevault search`, or run `casevault search` in a terminal to be asked";
    let query = if std::io::stdin().is_terminal() {
        ask_line("Search for: ")?.unwrap_or_default()
    } else {
        let text = read_stdin("the search query", hint)?;
        let line = without_line_ending(&text);
        if line.contains('\n') {
            return Err(CliError::usage(
                "standard input holds more than one line; the query is one line",
                hint,
            ));
        }
        Zeroizing::new(line.to_owned())
    };
    if query.trim().is_empty() {
        return Err(CliError::usage("the search query is empty", hint));
    }
    Ok(query)
}

/// The text of `file` (`-`: standard input) without its trailing line ending, for
/// `--justification-file` and `--reference-file`; `what` names it in errors.
pub fn text_file(file: &Path, what: &str) -> Result<Zeroizing<String>, CliError> {
    let hint = "write it as UTF-8 text in the file (a trailing line ending is dropped)";
    let text = if file == Path::new("-") {
        read_stdin(what, hint)?
    } else {
        let bytes = bounded::read(bounded::Source::File(file), bounded::Input::Text(what))?;
        utf8(bytes, what, &file.display().to_string(), hint)?
    };
    Ok(Zeroizing::new(without_line_ending(&text).to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        let e = parse_profile(text).expect_err("refused");
        assert_eq!(e.code(), crate::error::exit::USAGE);
        e.to_string()
    }

    #[test]
    fn a_profile_reads_every_field() {
        let c = parse_profile(
            "# intake form\nName: Ada Example\r\ndob: 1984-05-17\n\ncontact:  555-0100 \nthird-party: Ben\nthird-party: Cleo: Ltd\n",
        )
        .unwrap();
        assert_eq!(c.name, "Ada Example");
        assert_eq!(c.date_of_birth.unwrap().to_string(), "1984-05-17");
        assert_eq!(c.contact.as_deref(), Some("555-0100"));
        assert_eq!(c.third_parties, ["Ben", "Cleo: Ltd"]);
    }

    #[test]
    fn bad_profiles_are_refused_naming_the_line() {
        let e = refused("name: Ada\nphone: 555\n");
        assert!(
            e.contains("line 2") && e.contains("unknown field \"phone\""),
            "{e}"
        );
        let e = refused("name: Ada\nname: Ben\n");
        assert!(e.contains("line 2") && e.contains("first on line 1"), "{e}");
        let e = refused("dob: 1984-05-17\n");
        assert!(e.contains("no `name:` line"), "{e}");
        let e = refused("name: Ada\nAda Example\n");
        assert!(
            e.contains("line 2") && e.contains("not a `field: value` line"),
            "{e}"
        );
        let e = refused("name: Ada\ndob: 17/05/1984\n");
        assert!(e.contains("line 2") && e.contains("YYYY-MM-DD"), "{e}");
        let e = refused("name:   \n");
        assert!(e.contains("line 1") && e.contains("no value"), "{e}");
        let e = refused("name: Ada\nthird-party:\n");
        assert!(e.contains("line 2"), "{e}");
        // The value typed is never echoed; a field name is, escaped.
        let e = refused("name: Ada\n\u{1b}[31mx: Secret Value\n");
        assert!(!e.contains('\u{1b}') && !e.contains("Secret Value"), "{e}");
        assert!(refused("").contains("no `name:` line"));
    }

    #[test]
    fn changes_read_only_the_fields_given() {
        let c = parse_profile_change(
            "# changes\ncontact: 555-0199\nthird-party: Cleo\nthird-party: Dan\n",
        )
        .unwrap();
        assert_eq!(c.name, None);
        assert_eq!(c.contact, Some(Some("555-0199".into())));
        assert_eq!(c.date_of_birth, None);
        assert_eq!(c.third_parties, Some(vec!["Cleo".into(), "Dan".into()]));
        let c = parse_profile_change("name: Ada Exemplar\ndob: 1984-05-17\n").unwrap();
        assert_eq!(c.name.as_deref(), Some("Ada Exemplar"));
        assert_eq!(c.date_of_birth, Some(Some("1984-05-17".parse().unwrap())));
        assert_eq!(c.third_parties, None);
        for (text, expected) in [
            ("", "names no field"),
            ("# only a comment\n", "names no field"),
            ("phone: 555\n", "line 1"),
            ("contact:\n", "no value"),
            ("dob: 1984-05-17\ndob: 1984-05-18\n", "first on line 1"),
        ] {
            let e = parse_profile_change(text).expect_err(text);
            assert_eq!(e.code(), crate::error::exit::USAGE);
            let e = e.to_string();
            assert!(
                e.contains(expected) && e.contains("nothing was changed"),
                "{text:?}: {e}"
            );
        }
    }

    #[test]
    fn only_the_trailing_line_ending_is_dropped() {
        assert_eq!(without_line_ending("  a b \r\n"), "  a b ");
        assert_eq!(without_line_ending("a\n\n"), "a\n");
        assert_eq!(without_line_ending("a"), "a");
    }
}
