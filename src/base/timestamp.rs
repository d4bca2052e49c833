//! Times casevault records: the one timestamp type every layer uses, and the time of an
//! audit event, which a forged failed-unlock row may leave unreadable.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::Date;

/// A moment casevault recorded (a record written, a consent revoked, an event of the
/// audit trail): UTC, whole seconds, written as RFC 3339 with `Z`
/// (`2026-03-01T10:00:00Z`).
///
/// Reading one is strict: the text must be exactly what casevault writes, so that
/// what is read is written back byte for byte. Any other text, another offset and
/// fractional seconds included, is an error.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Now, in UTC, to the second.
    pub fn now() -> Timestamp {
        Timestamp(OffsetDateTime::now_utc().truncate_to_second())
    }

    /// The time as a `time` value (UTC).
    pub fn to_offset_date_time(self) -> OffsetDateTime {
        self.0
    }

    /// The day it fell on in UTC (the date its text starts with).
    pub fn date_utc(self) -> Date {
        Date(self.0.date())
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 with `Z`, no fractional seconds. Written out field by field, which
    /// cannot fail: a `Timestamp` is UTC, whole seconds, with a four-digit year (it
    /// comes from the clock or from text of that form). Widths and alignment apply,
    /// as for a `str`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        f.pad(&format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl FromStr for Timestamp {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let refuse = || {
            format!(
                "{s:?} is not a time as casevault records them (RFC 3339, UTC, whole seconds, e.g. 2026-03-01T10:00:00Z)"
            )
        };
        let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| refuse())?;
        // Only the form casevault writes, so that the text read is the text written
        // again: no other offset (`+00:00` included), no fraction, upper-case `T`/`Z`.
        if t.offset() != UtcOffset::UTC || t.nanosecond() != 0 {
            return Err(refuse());
        }
        let stamp = Timestamp(t);
        if stamp.to_string() != s {
            return Err(refuse());
        }
        Ok(stamp)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// When an event of the audit trail happened. Every event casevault records itself is
/// [`EventTime::At`]; only a failed unlock can be [`EventTime::Unreadable`]: failed
/// unlocks are kept, until the next unlock, in rows written without a key, and a row
/// whose time is not a casevault time (anyone holding the file can add one) is still
/// reported, without inventing a time for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventTime {
    /// At this time.
    At(Timestamp),
    /// The stored time could not be read.
    Unreadable,
}

/// How [`EventTime::Unreadable`] is written, in records and output alike.
const UNREADABLE: &str = "an unreadable time";

impl EventTime {
    /// The time, when it is known.
    pub fn timestamp(self) -> Option<Timestamp> {
        match self {
            EventTime::At(t) => Some(t),
            EventTime::Unreadable => None,
        }
    }

    /// A time read from text written without a key: unreadable unless it is a
    /// casevault time.
    pub(crate) fn from_untrusted(text: &str) -> EventTime {
        text.parse().map_or(EventTime::Unreadable, EventTime::At)
    }
}

impl From<Timestamp> for EventTime {
    fn from(t: Timestamp) -> EventTime {
        EventTime::At(t)
    }
}

impl fmt::Display for EventTime {
    /// The timestamp, or `an unreadable time`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventTime::At(t) => t.fmt(f),
            EventTime::Unreadable => f.pad(UNREADABLE),
        }
    }
}

impl Serialize for EventTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EventTime {
    /// A timestamp, or exactly the text an unreadable time is written as; anything
    /// else is an error, as for a [`Timestamp`].
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text == UNREADABLE {
            return Ok(EventTime::Unreadable);
        }
        text.parse()
            .map(EventTime::At)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_form_is_what_casevault_always_wrote() {
        // What `now()` wrote while times were strings: format(&Rfc3339) of a UTC time
        // with the nanoseconds cleared.
        let old = |t: OffsetDateTime| t.replace_nanosecond(0).unwrap().format(&Rfc3339).unwrap();
        for t in [
            OffsetDateTime::now_utc(),
            time::macros::datetime!(2026-03-01 10:00:00.999 UTC),
            time::macros::datetime!(1999-12-31 23:59:59 UTC),
            time::macros::datetime!(0001-01-01 00:00:00 UTC),
            time::macros::datetime!(9999-12-31 23:59:59 UTC),
        ] {
            let stamp = Timestamp(t.truncate_to_second());
            assert_eq!(stamp.to_string(), old(t));
            let json = serde_json::to_string(&stamp).unwrap();
            assert_eq!(json, format!("\"{}\"", old(t)));
            assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), stamp);
        }
        assert_eq!(
            serde_json::to_string(&Timestamp::now()).unwrap().len(),
            "\"2026-03-01T10:00:00Z\"".len()
        );
    }

    #[test]
    fn only_the_form_casevault_writes_is_read() {
        let stamp: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        assert_eq!(stamp.date_utc().to_string(), "2026-03-01");
        for bad in [
            "unknown",
            "an unreadable time",
            "",
            "2026-03-01",
            "2026-03-01T10:00:00",
            "2026-03-01T10:00:00+02:00",
            "2026-03-01T10:00:00+00:00",
            "2026-03-01T10:00:00.5Z",
            "2026-03-01t10:00:00z",
            " 2026-03-01T10:00:00Z",
            "2026-02-30T10:00:00Z",
        ] {
            let err = bad.parse::<Timestamp>().unwrap_err();
            assert!(err.contains("RFC 3339"), "{bad}: {err}");
            assert!(
                serde_json::from_value::<Timestamp>(serde_json::json!(bad)).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_event_time_is_a_timestamp_or_unreadable_and_nothing_else() {
        for text in ["2026-03-01T10:00:00Z", "an unreadable time"] {
            let json = serde_json::json!(text);
            let time: EventTime = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(serde_json::to_value(time).unwrap(), json);
            assert_eq!(time.to_string(), text);
        }
        assert_eq!(
            EventTime::from_untrusted("\u{1b}]0;pwned\u{7}"),
            EventTime::Unreadable
        );
        assert!(
            EventTime::from_untrusted("2026-03-01T10:00:00Z")
                .timestamp()
                .is_some()
        );
        assert!(serde_json::from_value::<EventTime>(serde_json::json!("unknown")).is_err());
    }
}
