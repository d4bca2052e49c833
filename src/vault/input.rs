//! Checks of what callers hand the vault, made before anything is written: dates in
//! range, one-line values on one line, a note body without its byte-order mark.

use crate::base::Date;
use crate::base::fold::breaks_line;
use crate::error::Error;

type Result<T> = std::result::Result<T, Error>;

/// Refuses a date outside what casevault keeps ([`Date::in_range`]), naming what it is:
/// dates from the library's callers are bounded as those typed on the command line are.
pub(crate) fn check_dates(dates: &[(&str, Option<Date>)]) -> Result<()> {
    for (what, date) in dates {
        if let Some(date) = date
            && !date.in_range()
        {
            return Err(Error::InvalidInput(format!(
                "the {what} {date} is outside the dates casevault keeps ({} to {}); check the year",
                Date::EARLIEST,
                Date::LATEST
            )));
        }
    }
    Ok(())
}

/// A note body without the byte-order mark some editors start a file with: it is
/// the file's encoding, not text, and left in place it would hide a first-line
/// section heading from the splitter (and have the note refused).
pub(super) fn without_bom(body: &str) -> &str {
    body.strip_prefix('\u{feff}').unwrap_or(body)
}

/// Refuses a one-line value (a name, a contact, a recipient, a justification, a
/// reference) holding a character of [`breaks_line`](crate::base::fold::breaks_line), naming the field: such a value
/// goes on one line of an export's cover, where a second line could pass for a line
/// of the cover itself. Every way in calls this before anything is written.
pub(crate) fn check_lines<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<()> {
    for (field, value) in fields {
        if let Some((at, c)) = value.chars().enumerate().find(|(_, c)| breaks_line(*c)) {
            let what = if matches!(
                c,
                '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
            ) {
                "a line break"
            } else {
                "a control character"
            };
            return Err(Error::InvalidInput(format!(
                "the {field} holds {what} (U+{:04X}, character {}); it must be one line of visible text: write it without line breaks, tabs, control or bidirectional-override characters",
                c as u32,
                at + 1
            )));
        }
    }
    Ok(())
}
