//! Calendar dates: the one date type every layer uses.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A calendar date, written and read as ISO 8601 (`2026-03-01`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub time::Date);

const ISO_DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl Date {
    /// The first day a date may be: no session, birth, consent or report is earlier.
    pub const EARLIEST: Date = Date(time::macros::date!(1900 - 01 - 01));
    /// The last day a date may be: far enough for any consent's expiry, and inside
    /// what every format it is written in (FHIR, ISO 8601 without extension) allows.
    pub const LATEST: Date = Date(time::macros::date!(2200 - 12 - 31));

    /// True when the date lies between [`Date::EARLIEST`] and [`Date::LATEST`].
    pub fn in_range(self) -> bool {
        (Date::EARLIEST..=Date::LATEST).contains(&self)
    }

    /// Today in the local time zone (UTC where the zone cannot be read).
    pub fn today() -> Date {
        let now =
            time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
        Date(now.date())
    }
}

impl FromStr for Date {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        // Exactly YYYY-MM-DD: no sign, no extra digits (the parser would take "-0005-01-01").
        let shape = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !shape {
            return Err(format!(
                "{s:?} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-01"
            ));
        }
        let date = time::Date::parse(text, ISO_DATE)
            .map(Date)
            .map_err(|_| format!("{s:?} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-01"))?;
        if !date.in_range() {
            return Err(format!(
                "{text} is outside the dates casevault keeps ({} to {}); check the year",
                Date::EARLIEST,
                Date::LATEST
            ));
        }
        Ok(date)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.format(ISO_DATE).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    /// Reads any ISO date, in range or not: a record written before dates were bounded
    /// stays readable (input is bounded where it enters, by `FromStr` and the session).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        time::Date::parse(&text, ISO_DATE)
            .map(Date)
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not a date")))
    }
}
