//! Printing results, for people or as JSON (`--json`): the one way from the binary to
//! the terminal. Here, what every line goes through (escaping, the buffer, JSON,
//! tables); in `results.rs`, how each command's results look.

pub mod law;
pub mod local_time;
mod results;

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::{self, Write as _};

use serde::Serialize;
use serde_json::json;
use zeroize::Zeroizing;

/// Collects what a command prints, so that a closed pipe or a full disk on standard
/// output is an error the command reports, never a panic.
pub struct Printer {
    json: bool,
    buf: RefCell<String>,
}

/// Appends a line (formatted like `println!`) to the printer's buffer.
macro_rules! out {
    ($printer:expr) => {
        $printer.push_line(format_args!(""))
    };
    ($printer:expr, $($arg:tt)*) => {
        $printer.push_line(format_args!($($arg)*))
    };
}
pub(crate) use out;

/// Whether `c` must not reach a terminal as it is: the C0 controls (escape sequences
/// start with ESC; CR, BS and the rest rewrite what is shown), DEL, the C1 controls
/// (U+009B starts a sequence by itself on many terminals), the bidirectional controls
/// that reorder what follows them (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to
/// U+2069), and the Unicode line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// Appends `text` to `buf` with every unsafe character written as a Rust escape
/// (`\u{1b}`, `\r`, `\n`, `\u{202e}`); with `tabs`, tabs stay.
fn escape_into(buf: &mut String, text: &str, tabs: bool) {
    for c in text.chars() {
        if is_unsafe(c) && !(tabs && c == '\t') {
            buf.extend(c.escape_default());
        } else {
            buf.push(c);
        }
    }
}

/// `text` fit for one line of a terminal: every unsafe character escaped, line breaks
/// and tabs included. The one function that `CliError` and the table cells use.
pub fn one_line(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    escape_into(&mut s, text, false);
    s
}

/// Appends JSON text with the unsafe characters serde_json leaves as they are (DEL,
/// C1, the bidirectional controls; it escapes the C0 ones itself) written as `\uXXXX`.
/// They can only stand inside strings, since JSON's own syntax is ASCII, so the value
/// a reader parses is exactly the one serialized.
fn json_escape_into(buf: &mut String, json: &str) {
    for c in json.chars() {
        if is_unsafe(c) && c != '\n' {
            // Every unsafe character is in the Basic Multilingual Plane.
            let _ = write!(buf, "\\u{:04x}", u32::from(c));
        } else {
            buf.push(c);
        }
    }
}

/// Writes one line to standard error at once (a warning, a note on progress), escaped
/// like every line of [`Printer::push_line`]. A standard error that cannot be written
/// to has nowhere to report it, so failures are ignored, as `eprintln!` would panic.
pub fn warn_line(args: fmt::Arguments<'_>) {
    let mut line = Zeroizing::new(String::new());
    let _ = line.write_fmt(args);
    let mut text = one_line(&line);
    text.push('\n');
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// Writes a line (formatted like `eprintln!`) to standard error through [`warn_line`].
macro_rules! eout {
    ($($arg:tt)*) => {
        $crate::output::warn_line(format_args!($($arg)*))
    };
}
pub(crate) use eout;

impl Printer {
    pub fn new(json: bool) -> Self {
        Printer {
            json,
            buf: RefCell::new(String::new()),
        }
    }

    /// Appends one line. Every character that could act on a terminal (see
    /// [`is_unsafe`]: escape sequences, C1 controls, a carriage return that rewrites the
    /// line, backspaces, bidirectional overrides, and line breaks and tabs too) is shown
    /// escaped, so that a name, an id, a file name or an actor from the audit trail
    /// cannot move the cursor, retitle the terminal, hide what came before or forge a
    /// row. Multi-line text goes through [`Printer::push_text`].
    pub fn push_line(&self, args: fmt::Arguments<'_>) {
        let mut line = Zeroizing::new(String::new());
        // Writing into a String cannot fail.
        let _ = line.write_fmt(args);
        let mut buf = self.buf.borrow_mut();
        escape_into(&mut buf, &line, false);
        buf.push('\n');
    }

    /// Appends text of several lines (a note's body, the policy file): each line break
    /// (LF, CRLF) starts a new line and tabs stay; every other unsafe character, a lone
    /// carriage return among them, is shown escaped as in [`Printer::push_line`].
    /// What `serve` prints once it listens.
    pub fn served(&self, url: &str, idle_minutes: u32) {
        out!(
            self,
            "casevault is serving on this machine only. Open this link once, in your browser:"
        );
        out!(self, "  {url}");
        out!(
            self,
            "The session locks itself after {idle_minutes} minutes without use. Stop with Ctrl-C."
        );
        // Shown now: the server runs until interrupted.
        let _ = self.flush();
    }

    pub fn push_text(&self, text: &str) {
        let mut buf = self.buf.borrow_mut();
        for line in text.split('\n') {
            escape_into(&mut buf, line.strip_suffix('\r').unwrap_or(line), true);
            buf.push('\n');
        }
    }

    fn push_json<T: Serialize + ?Sized>(&self, value: &T) {
        // Our types hold no maps with non-string keys and paths are written lossily,
        // so this does not fail; if it ever did, say so rather than panic.
        let text = Zeroizing::new(match serde_json::to_string_pretty(value) {
            Ok(text) => text,
            Err(e) => json!({ "error": format!("cannot print as JSON: {e}") }).to_string(),
        });
        let mut buf = self.buf.borrow_mut();
        json_escape_into(&mut buf, &text);
        buf.push('\n');
    }

    /// Writes what has been collected to standard output, then wipes it: the buffer
    /// may hold a recovery code or a note's text.
    pub fn flush(&self) -> io::Result<()> {
        let text = Zeroizing::new(std::mem::take(&mut *self.buf.borrow_mut()));
        let mut stdout = io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()
    }

    pub fn json(&self) -> bool {
        self.json
    }

    /// A FHIR resource or Bundle (`--fhir`): always JSON, whatever `--json` says,
    /// since FHIR is the format asked for.
    pub fn fhir(&self, resource: &serde_json::Value) {
        self.push_json(resource);
    }

    /// Rows as an aligned table: each column as wide as its widest cell, two spaces
    /// between columns, no trailing spaces.
    fn table(&self, rows: &[Vec<String>]) {
        // Escaped before they are measured, so that the columns line up as shown.
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|row| row.iter().map(|cell| one_line(cell)).collect())
            .collect();
        let mut widths: Vec<usize> = Vec::new();
        for row in &rows {
            for (i, cell) in row.iter().enumerate() {
                let w = cell.chars().count();
                match widths.get_mut(i) {
                    Some(width) => *width = (*width).max(w),
                    None => widths.push(w),
                }
            }
        }
        for row in &rows {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                let pad = widths[i] - cell.chars().count();
                line.extend(std::iter::repeat_n(' ', pad));
            }
            out!(self, "{}", line.trim_end());
        }
    }

    /// Text printed as it is, whatever `--json` says (a script, a manual page).
    pub fn text(&self, text: &str) {
        self.buf.borrow_mut().push_str(text);
    }

    pub fn done(&self, message: &str) {
        if self.json {
            self.push_json(&json!({ "ok": true, "message": message }));
        } else {
            out!(self, "{message}");
        }
    }

    pub fn id(&self, id: &str) {
        if self.json {
            self.push_json(&json!({ "id": id }));
        } else {
            out!(self, "{id}");
        }
    }

    pub fn version(&self, id: &str, version: u32, what: &str) {
        if self.json {
            self.push_json(&json!({ "id": id, "version": version }));
        } else {
            out!(self, "note {id} {what}: now version {version}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every unsafe character, and the multi-line cases around them.
    const HOSTILE: &str = "a\x1b[2K\x1b]0;t\x07\u{9b}1A\r\x08\x7f\u{85}\u{202e}\u{2066}\u{2069}\u{200f}\u{61c}\u{2028}\n\tz";

    fn printed(p: &Printer) -> String {
        p.buf.borrow().clone()
    }

    #[test]
    fn a_line_holds_no_unsafe_character_and_stays_one_line() {
        let p = Printer::new(false);
        out!(p, "name: {HOSTILE}");
        let text = printed(&p);
        assert_eq!(text.lines().count(), 1, "{text:?}");
        assert!(
            !text.trim_end_matches('\n').chars().any(is_unsafe),
            "{text:?}"
        );
        assert!(text.starts_with("name: a\\u{1b}[2K"), "{text:?}");
    }

    #[test]
    fn text_keeps_its_line_breaks_and_tabs_but_no_carriage_return() {
        let p = Printer::new(false);
        p.push_text("one\r\ntwo\rover\n\tthree\u{1b}[8m");
        assert_eq!(printed(&p), "one\ntwo\\rover\n\tthree\\u{1b}[8m\n");
    }

    #[test]
    fn json_is_inert_on_a_terminal_and_exact() {
        let p = Printer::new(true);
        p.id(HOSTILE);
        let text = printed(&p);
        assert!(!text.chars().any(|c| is_unsafe(c) && c != '\n'), "{text:?}");
        let back: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(back["id"].as_str(), Some(HOSTILE));
    }

    /// Printing goes through this module (and `CliError`, which uses `one_line`): any
    /// other print in the binary must be fixed text, or one of the calls listed here.
    #[test]
    fn the_binary_prints_only_through_the_printing_layer() {
        // Allowed: a `CliError` (its `Display` escapes), its message, and the prompts
        // of fixed text that `ask` and `ask_line` are given.
        const ALLOWED: &[&str] = &[
            "\"{e}\"",
            "\"{}\", e.message()",
            "\"{prompt}\"",
            "\"{question}\"",
        ];
        // Every source file of the binary, as `child.rs`'s guard lists them (it checks
        // that the list is complete).
        for (name, text) in crate::child::tests::SOURCES {
            if *name == "output.rs" {
                continue;
            }
            assert!(
                !text.contains("stdout()"),
                "{name} writes to standard output itself; use Printer"
            );
            for mac in ["println!(", "print!(", "eprintln!(", "eprint!("] {
                let mut rest: &str = text;
                while let Some(at) = rest.find(mac) {
                    let word_start = rest[..at]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
                    let args = &rest[at + mac.len()..];
                    rest = args;
                    if !word_start {
                        continue;
                    }
                    let args = args[..closing_paren(args)].trim().trim_end_matches(',');
                    let fixed = args.is_empty()
                        || (args.starts_with('"')
                            && args.ends_with('"')
                            && !args[1..args.len() - 1].contains(['"', '{']));
                    assert!(
                        fixed || ALLOWED.contains(&args),
                        "{name} prints `{mac}{args})` past the printing layer; use out!/eout! (output.rs), which escape control characters"
                    );
                }
            }
        }
    }

    /// Where the parenthesis opened just before `args` closes (string literals skipped).
    fn closing_paren(args: &str) -> usize {
        let (mut depth, mut in_string, mut escaped) = (1, false, false);
        for (i, c) in args.char_indices() {
            match (in_string, c) {
                (true, _) if escaped => escaped = false,
                (true, '\\') => escaped = true,
                (true, '"') | (false, '"') => in_string = !in_string,
                (false, '(') => depth += 1,
                (false, ')') => {
                    depth -= 1;
                    if depth == 0 {
                        return i;
                    }
                }
                _ => {}
            }
        }
        args.len()
    }
}
