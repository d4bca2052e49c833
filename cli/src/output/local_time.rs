//! Times as people read them: in the local offset, read once at startup. JSON keeps
//! UTC, RFC 3339 with `Z`, as docs/JSON.md promises.

use std::fmt;
use std::sync::OnceLock;

use casevault::{EventTime, Timestamp};
use time::UtcOffset;

/// The local offset [`read_offset`] found; `None` when it could not be read.
static OFFSET: OnceLock<Option<UtcOffset>> = OnceLock::new();

/// Reads the local offset, for every time printed after. `main` calls it first: the
/// time crate reads it only while the process has one thread (a spinner or the
/// server's runtime start others), so it is read once, before any.
pub fn read_offset() {
    OFFSET.get_or_init(|| UtcOffset::current_local_offset().ok());
}

/// The offset read at startup; `None` when it is unknown (or was never read).
pub fn offset() -> Option<UtcOffset> {
    OFFSET.get().copied().flatten()
}

/// A time shown in the local offset (see [`shown_in`]); widths and alignment apply,
/// as for a `str`.
pub struct Local(pub Timestamp);

impl fmt::Display for Local {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&shown_in(self.0, offset()))
    }
}

/// An audit event's time shown in the local offset, or `an unreadable time`.
pub struct LocalEvent(pub EventTime);

impl fmt::Display for LocalEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            EventTime::At(at) => Local(at).fmt(f),
            unreadable @ EventTime::Unreadable => unreadable.fmt(f),
        }
    }
}

/// `at` in `offset`, to the second, with the offset written after it
/// (`2026-03-01 05:00:00 -05:00`); with no offset known, in UTC, saying so
/// (`2026-03-01 10:00:00 UTC`).
pub fn shown_in(at: Timestamp, offset: Option<UtcOffset>) -> String {
    let utc = at.to_offset_date_time();
    let (local, zone) = match offset {
        Some(offset) => (utc.to_offset(offset), None),
        None => (utc, Some("UTC")),
    };
    let shown = match zone {
        Some(zone) => local
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .map(|t| format!("{t} {zone}")),
        None => local.format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
        )),
    };
    // Formatting a valid date and time into a String does not fail; should it ever,
    // the time as stored is still the right time.
    shown.unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a casevault time")
    }

    #[test]
    fn a_time_is_shown_in_the_offset_with_the_offset_written() {
        let t = at("2026-03-01T10:00:00Z");
        let new_york = UtcOffset::from_hms(-5, 0, 0).unwrap();
        assert_eq!(shown_in(t, Some(new_york)), "2026-03-01 05:00:00 -05:00");
        let kolkata = UtcOffset::from_hms(5, 30, 0).unwrap();
        assert_eq!(shown_in(t, Some(kolkata)), "2026-03-01 15:30:00 +05:30");
        assert_eq!(
            shown_in(t, Some(UtcOffset::UTC)),
            "2026-03-01 10:00:00 +00:00"
        );
        // Across midnight, the local day is shown.
        let late = at("2026-03-01T02:30:05Z");
        assert_eq!(shown_in(late, Some(new_york)), "2026-02-28 21:30:05 -05:00");
    }

    #[test]
    fn an_unknown_offset_shows_utc_and_says_so() {
        assert_eq!(
            shown_in(at("2026-03-01T10:00:00Z"), None),
            "2026-03-01 10:00:00 UTC"
        );
        assert_eq!(
            LocalEvent(EventTime::Unreadable).to_string(),
            "an unreadable time"
        );
    }
}
