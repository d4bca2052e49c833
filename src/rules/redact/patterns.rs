//! Identifiers found by their shape: phone numbers, e-mail addresses, SSN-like
//! numbers, street addresses, and dates where the text says they are dates of birth.
//!
//! Each pattern is a plain regex plus, where the shape alone over-matches, a check in
//! code. A candidate a check rejects is retried one character later, so a rejected
//! near miss never hides a real identifier that starts inside it.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::IdentifierClass;
use crate::base::fold::Folded;

/// A found identifier, normalized so that the client's own is recognised however it
/// is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Value {
    /// The digits.
    Phone(String),
    /// Lowercased, without a `+tag` in the local part.
    Email(String),
    /// The digits.
    Ssn(String),
    /// House number and street name, lowercased, without the street type.
    Address(String),
    /// Every calendar date the text can mean (`05/06/1990` has two readings).
    Date(Vec<time::Date>),
}

impl Value {
    /// True when both are the same identifier.
    pub(super) fn same_as(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Phone(a), Value::Phone(b)) => same_phone(a, b),
            (Value::Date(a), Value::Date(b)) => a.iter().any(|date| b.contains(date)),
            (a, b) => a == b,
        }
    }
}

/// One number written with and without its country code or trunk zero:
/// `+1 555 123 4567` and `(555) 123-4567`; `+44 20 7946 0958` and `020 7946 0958`.
fn same_phone(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= 7 && long.ends_with(short)
}

/// An identifier found in a text.
pub(super) struct Hit {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) class: IdentifierClass,
    pub(super) value: Value,
}

const MONTH: &str = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";

/// A calendar date: `1990-05-17`, `05/17/1990`, `17.05.90`, `4 . 3 . 82`, `19900517`,
/// `17 May 1990`, `the 17th of May, 1990`, `17-May-90`, `May 17, 1990`,
/// `May the 17th '90`. The groups name the fields of each form.
fn date_pattern() -> String {
    // Between the numbers of a numeric date; between the words of a written one.
    let num = r"[ \t]?[-/.][ \t]?";
    let word = r"(?:[ \t]*[-/.,][ \t]*|\s+)";
    let ordinal = r"(?:st|nd|rd|th)?";
    let year = r"(?:\d{4}|['’]?\d{2})";
    format!(
        r"(?:(?P<iy>\d{{4}}){num}(?P<im>\d{{1,2}}){num}(?P<id>\d{{1,2}})|(?P<na>\d{{1,2}}){num}(?P<nb>\d{{1,2}}){num}(?P<ny>\d{{4}}|\d{{2}})|(?P<compact>\d{{8}}|\d{{6}})|(?:the\s+)?(?P<dd>\d{{1,2}}){ordinal}{word}(?:of\s+)?(?P<dm>{MONTH})\.?{word}(?:in\s+)?(?P<dy>{year})|(?P<mm>{MONTH})\.?{word}(?:the\s+)?(?P<md>\d{{1,2}}){ordinal}{word}(?P<my>{year}))"
    )
}

/// Words that say a date of birth follows: "born", "b.", "DOB:", "date of birth".
const BIRTH_CONTEXT: &str = r"(?:born(?:[ \t]+on)?|d\.?[ \t]?o\.?[ \t]?b\.?|date[ \t]+of[ \t]+birth|birth[ \t]?date|birthday(?:[ \t]+is)?|b\.)[ \t]*(?:[:=\-][ \t]*)?(?:(?:is|was|on)[ \t]+)?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?[ \t]+)?\(?";

const STREET_TYPES: &str = "street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|terrace|crescent|cres|close|square|sq|parkway|pkwy|highway|hwy|circle|cir|trail|trl|mews|row|grove|gardens|walk";

/// Street types that are also everyday words ("2 family court dates"): an address
/// ending in one needs a capital letter somewhere in its street name or type.
const AMBIGUOUS_STREET_TYPES: &[&str] = &[
    "way", "court", "place", "drive", "close", "square", "row", "walk", "circle", "trail", "grove",
    "gardens", "terrace", "crescent", "mews",
];

/// Words that are never part of a street's name: "5 minutes down the road", "1 more
/// way", "3 blocks from her place" are not addresses.
const NOT_STREET_NAMES: &[&str] = &[
    "a",
    "an",
    "the",
    "at",
    "to",
    "from",
    "on",
    "in",
    "into",
    "of",
    "off",
    "by",
    "for",
    "with",
    "and",
    "or",
    "my",
    "his",
    "her",
    "their",
    "our",
    "your",
    "its",
    "this",
    "that",
    "down",
    "up",
    "along",
    "across",
    "over",
    "near",
    "past",
    "per",
    "around",
    "other",
    "more",
    "new",
    "same",
    "only",
    "different",
    "another",
    "each",
    "every",
    "times",
    "minutes",
    "hours",
    "days",
    "weeks",
    "months",
    "years",
    "blocks",
    "miles",
];

struct Patterns {
    phones: Vec<Regex>,
    email: Regex,
    ssn: Regex,
    address: Regex,
    date: Regex,
    birth_date: Regex,
}

/// Between the groups of a phone number's digits: a dash, dot, middle dot, slash or
/// underscore with or without spaces around it ("555 - 123"), or spaces alone. Shapes are matched on text whose
/// dashes and spaces are folded (`Folded::for_shapes`), so `-` stands for every dash.
const PHONE_SEP: &str = r"(?:[ \t]*[-./·•∙_][ \t]*|[ \t]+)";

/// The end of a phone number: an extension ("x123", "ext. 45", ", extension 7"),
/// or the end of a word.
const PHONE_END: &str =
    r"(?:(?P<ext>[ \t]*[,;]?[ \t]*(?i:x|ext|extn|extension)\.?[ \t]*[:#]?[ \t]*\d{1,6}\b)|\b)";

static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| Patterns {
    phones: [
        // International: +1 555-123-4567, +44 (0)20 7946 0958, +4915112345678.
        r"\+[ \t]?\d{1,3}(?:S?\(\d{1,4}\))?(?:S?\d{1,5}){1,15}",
        // North American: (555) 123-4567, 555.123.4567, 1-555-123-4567, 555 - 123 - 4567.
        r"(?:\b1S?)?(?:\(\d{3}\)|\b\d{3})S?\d{3}S\d{4}",
        // National with a trunk zero: 0151 234 5678, 020 7946 0958, 07700 900123.
        r"\b0\d{2,4}S?\d{3,4}S?\d{3,4}",
        // Pairs of digits: 06 12 34 56 78.
        r"\b0\d(?:S\d{2}){4}",
        // Unseparated: 5551234567.
        r"\b\d{10,15}",
        // Spelled out digit by digit: 5 5 5 1 2 3 4 5 6 7.
        r"\b\d(?:S\d){9,14}",
    ]
    .into_iter()
    // `S` stands for a separator in the shapes above (none of them has an `S`).
    .map(|shape| compile(&format!("{}{PHONE_END}", shape.replace('S', PHONE_SEP))))
    .collect(),
    email: compile(r"[\w.%+'\-]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?\.)+\p{L}{2,}\b"),
    // US SSN (123-45-6789, 123 45 6789) and Canadian SIN (123-456-789) shapes.
    ssn: compile(r"\b\d{3}-\d{2}-\d{4}\b|\b\d{3} \d{2} \d{4}\b|\b\d{3}-\d{3}-\d{3}\b"),
    address: compile(&format!(
        r"(?i)\b(?P<num>\d{{1,5}}(?:-\d{{1,5}})?[a-z]?)(?P<words>(?:[ \t]+(?:\d{{1,3}}(?:st|nd|rd|th)|\p{{L}}[\p{{L}}'’.\-]*)){{1,4}}?)[ \t]+(?P<type>{STREET_TYPES})\b(?:,?[ \t]+(?:apt|apartment|unit|suite|ste|flat|\#)\.?[ \t]*\#?[\p{{L}}\p{{N}}\-]+)?"
    )),
    date: compile(&format!(r"(?i)\b(?P<date>{})\b", date_pattern())),
    birth_date: compile(&format!(
        r"(?i)\b{BIRTH_CONTEXT}(?P<date>{})\b",
        date_pattern()
    )),
});

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a constant pattern, compiled by every test run")
}

/// Phone numbers, e-mail addresses, SSN-like numbers, street addresses and dates of
/// birth (in a birth context) in `text`. Hits may overlap.
pub(super) fn identifiers(original: &str) -> Vec<Hit> {
    let folded = Folded::for_shapes(original);
    let text = folded.text.as_str();
    let p = &*PATTERNS;
    let mut hits = Vec::new();
    for phone in &p.phones {
        scan(phone, text, &mut hits, |c| {
            let whole = c.get(0)?;
            let number_end = c.name("ext").map_or(whole.end(), |ext| ext.start());
            let digits = digits(text.get(whole.start()..number_end)?);
            (digits.len() >= 8).then(|| hit(c, IdentifierClass::Phone, Value::Phone(digits)))
        });
    }
    scan(&p.email, text, &mut hits, |c| {
        let email = c.get(0)?.as_str().to_lowercase();
        let normal = match email.split_once('@') {
            Some((local, domain)) => {
                let local = local.split('+').next().unwrap_or(local);
                format!("{local}@{domain}")
            }
            None => email,
        };
        Some(hit(c, IdentifierClass::Email, Value::Email(normal)))
    });
    scan(&p.ssn, text, &mut hits, |c| {
        let digits = digits(c.get(0)?.as_str());
        Some(hit(c, IdentifierClass::Ssn, Value::Ssn(digits)))
    });
    scan(&p.address, text, &mut hits, address);
    scan(&p.birth_date, text, &mut hits, |c| {
        let date = c.name("date")?;
        Some(Hit {
            start: date.start(),
            end: date.end(),
            class: IdentifierClass::DateOfBirth,
            value: Value::Date(readings(c)),
        })
    });
    back_to(&folded, hits)
}

/// Every date in `text`, birth context or not, with its readings.
pub(super) fn dates(original: &str) -> Vec<Hit> {
    let folded = Folded::for_shapes(original);
    let mut hits = Vec::new();
    scan(&PATTERNS.date, &folded.text, &mut hits, |c| {
        Some(hit(
            c,
            IdentifierClass::DateOfBirth,
            Value::Date(readings(c)),
        ))
    });
    back_to(&folded, hits)
}

/// Hits found in `folded`'s text, placed on its original; a hit that cannot be placed
/// covers the rest of the text from where it starts, so nothing is kept by mistake.
fn back_to(folded: &Folded, hits: Vec<Hit>) -> Vec<Hit> {
    hits.into_iter()
        .map(|h| {
            let (start, end) = folded.original(h.start, h.end).unwrap_or((
                folded.original(h.start, h.start).map_or(0, |(s, _)| s),
                usize::MAX,
            ));
            Hit { start, end, ..h }
        })
        .collect()
}

/// Runs `re` over `text`; `accept` turns a match into a hit or rejects it. After a
/// rejection the search goes on from the next character, not the match's end.
fn scan(
    re: &Regex,
    text: &str,
    hits: &mut Vec<Hit>,
    mut accept: impl FnMut(&Captures) -> Option<Hit>,
) {
    let mut at = 0;
    while at <= text.len() {
        let Some(caps) = re.captures_at(text, at) else {
            break;
        };
        let Some(whole) = caps.get(0) else { break };
        let next = next_char(text, whole.start());
        match accept(&caps) {
            Some(found) => {
                hits.push(found);
                at = whole.end().max(next);
            }
            None => at = next,
        }
    }
}

fn next_char(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(text.len() + 1, |c| at + c.len_utf8())
}

fn hit(c: &Captures, class: IdentifierClass, value: Value) -> Hit {
    let (start, end) = c.get(0).map_or((0, 0), |m| (m.start(), m.end()));
    Hit {
        start,
        end,
        class,
        value,
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn address(c: &Captures) -> Option<Hit> {
    let number = c.name("num")?.as_str().to_lowercase();
    let street_type = c.name("type")?.as_str();
    let words: Vec<String> = c
        .name("words")?
        .as_str()
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| matches!(c, '.' | '\'' | '’' | '-'))
                .to_lowercase()
        })
        .collect();
    if words.iter().any(|w| NOT_STREET_NAMES.contains(&w.as_str())) {
        return None;
    }
    let capitalized = c
        .name("words")?
        .as_str()
        .split_whitespace()
        .chain([street_type])
        .any(|w| w.chars().next().is_some_and(char::is_uppercase));
    let ambiguous = AMBIGUOUS_STREET_TYPES.contains(&street_type.to_lowercase().as_str());
    if ambiguous && !capitalized {
        return None;
    }
    let key = format!("{number} {}", words.join(" "));
    Some(hit(c, IdentifierClass::Address, Value::Address(key)))
}

/// The calendar dates a matched date can mean: an all-numeric day and month may be
/// either way round, and a two-digit year either century.
fn readings(c: &Captures) -> Vec<time::Date> {
    let number = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
    let month = |name: &str| {
        let prefix: String = c
            .name(name)?
            .as_str()
            .to_lowercase()
            .chars()
            .take(3)
            .collect();
        let index = MONTH_PREFIXES.iter().position(|&m| m == prefix)?;
        u32::try_from(index + 1).ok()
    };
    let mut dates = Vec::new();
    if let (Some(y), Some(m), Some(d)) = (number("iy"), number("im"), number("id")) {
        push_date(&mut dates, y, m, d);
    } else if let (Some(a), Some(b), Some(y)) = (number("na"), number("nb"), c.name("ny")) {
        for year in years(y.as_str()) {
            push_date(&mut dates, year, a, b);
            push_date(&mut dates, year, b, a);
        }
    } else if let Some(compact) = c.name("compact") {
        compact_readings(&mut dates, compact.as_str());
    } else if let (Some(d), Some(m), Some(y)) = (number("dd"), month("dm"), c.name("dy")) {
        for year in years(y.as_str()) {
            push_date(&mut dates, year, m, d);
        }
    } else if let (Some(m), Some(d), Some(y)) = (month("mm"), number("md"), c.name("my")) {
        for year in years(y.as_str()) {
            push_date(&mut dates, year, m, d);
        }
    }
    dates
}

/// A year as written: four digits, or two (with or without an apostrophe) in either
/// century.
fn years(written: &str) -> Vec<u32> {
    let digits = digits(written);
    let year: u32 = digits.parse().unwrap_or(0);
    if digits.len() == 2 {
        vec![1900 + year, 2000 + year]
    } else {
        vec![year]
    }
}

/// Every reading of a date written without separators: `19820304` as year, month and
/// day, or day, month and year either way round; `040382` likewise with a two-digit
/// year.
fn compact_readings(dates: &mut Vec<time::Date>, compact: &str) {
    let n = |range: std::ops::Range<usize>| {
        compact
            .get(range)
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0)
    };
    if compact.len() == 8 {
        push_date(dates, n(0..4), n(4..6), n(6..8));
        push_date(dates, n(4..8), n(2..4), n(0..2));
        push_date(dates, n(4..8), n(0..2), n(2..4));
    } else {
        for century in [1900, 2000] {
            push_date(dates, century + n(0..2), n(2..4), n(4..6));
            push_date(dates, century + n(4..6), n(2..4), n(0..2));
            push_date(dates, century + n(4..6), n(0..2), n(2..4));
        }
    }
}

const MONTH_PREFIXES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn push_date(dates: &mut Vec<time::Date>, year: u32, month: u32, day: u32) {
    let parsed = (|| {
        let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
        time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?)
            .ok()
    })();
    if let Some(date) = parsed
        && !dates.contains(&date)
    {
        dates.push(date);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(IdentifierClass, String)> {
        let mut hits = identifiers(text);
        hits.sort_by_key(|h| (h.start, h.end));
        hits.iter()
            .map(|h| (h.class, text[h.start..h.end].to_owned()))
            .collect()
    }

    fn classes_of(text: &str) -> Vec<IdentifierClass> {
        let mut classes: Vec<_> = found(text).into_iter().map(|(c, _)| c).collect();
        classes.dedup();
        classes
    }

    #[test]
    fn every_pattern_compiles() {
        LazyLock::force(&PATTERNS);
    }

    #[test]
    fn phones_in_common_formats() {
        for phone in [
            "+1 555-123-4567",
            "(555) 123-4567",
            "555.123.4567",
            "555 123 4567",
            "1-555-123-4567",
            "0151 234 5678",
            "+44 20 7946 0958",
            "+44 (0)20 7946 0958",
            "020 7946 0958",
            "07700 900123",
            "06 12 34 56 78",
            "5551234567",
            // Unicode dashes and spaces, spaced separators, extensions.
            "555\u{2011}123\u{2013}4567",
            "555\u{2212}123\u{2014}4567",
            "555\u{A0}123\u{2009}4567",
            "555 - 123 - 4567",
            "+1 (555) 123 - 4567 ext. 45",
            "555.123.4567 x123",
            "555-123-4567x9",
        ] {
            let text = format!("call {phone} today");
            let hits = found(&text);
            assert!(
                hits.iter()
                    .any(|(c, s)| *c == IdentifierClass::Phone && s == phone),
                "{phone}: {hits:?}"
            );
        }
    }

    #[test]
    fn near_misses_are_not_identifiers() {
        for text in [
            "on 2026-03-01",
            "from 2019-2021",
            "50 mg",
            "at 10:30",
            "code 12345",
            "F41.1",
            "v1.2.3",
            "@home",
            "name at example dot org",
            "123 456 789",
            "3 sessions",
            "2 weeks ago",
            "10 mg daily",
            "5 minutes down the road",
            "1 more way",
            "2 family court dates",
            "PHQ-9 of 14, GAD-7 of 12",
            "192.168.1.1",
            "born in 1990",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }

    #[test]
    fn emails() {
        for email in [
            "ada@example.org",
            "ben.quill+therapy@mail.example.co.uk",
            "Zoë_A@exämple.de",
        ] {
            assert_eq!(classes_of(&format!("<{email}>")), [IdentifierClass::Email]);
        }
        let hits = identifiers("Ben.Quill+x@Example.org");
        assert_eq!(hits[0].value, Value::Email("ben.quill@example.org".into()));
    }

    #[test]
    fn ssn_like_numbers() {
        for ssn in ["123-45-6789", "123 45 6789", "123-456-789"] {
            assert_eq!(
                found(&format!("SSN {ssn}.")),
                [(IdentifierClass::Ssn, ssn.to_owned())]
            );
        }
    }

    #[test]
    fn street_addresses() {
        for (text, address) in [
            ("lives at 221B Baker Street now", "221B Baker Street"),
            ("at 12 Elm St. since", "12 Elm St"),
            ("12 elm street", "12 elm street"),
            ("350 5th Avenue, Apt 4B", "350 5th Avenue, Apt 4B"),
            ("12-14 St. John's Road", "12-14 St. John's Road"),
            ("4 Rose Court", "4 Rose Court"),
            // A number that starts no address does not swallow the one after it.
            ("seen 3 times at 12 Elm Street", "12 Elm Street"),
        ] {
            assert_eq!(
                found(text),
                [(IdentifierClass::Address, address.to_owned())],
                "{text}"
            );
        }
        let a = identifiers("12 Elm St.");
        let b = identifiers("12 ELM STREET");
        assert!(a[0].value.same_as(&b[0].value));
    }

    #[test]
    fn dates_of_birth_need_a_birth_context() {
        for (text, date) in [
            ("born 1990-05-17", "1990-05-17"),
            ("DOB: 05/17/1990", "05/17/1990"),
            ("d.o.b. 17.05.90", "17.05.90"),
            ("date of birth 17 May 1990", "17 May 1990"),
            ("Ben (b. 1990-05-17)", "1990-05-17"),
            ("born on May 17th, 1990", "May 17th, 1990"),
            ("birthday is 17th of May 1990", "17th of May 1990"),
            ("born on the 4th of March, 1982", "the 4th of March, 1982"),
            ("born March 4th 1982", "March 4th 1982"),
            ("DOB 19820304", "19820304"),
            ("d.o.b. 4.3.82", "4.3.82"),
            ("date of birth: 4 Mar 1982", "4 Mar 1982"),
            ("born on Thursday, 4-Mar-82", "4-Mar-82"),
            (
                "DOB\u{2013}1982\u{2011}03\u{2011}04",
                "1982\u{2011}03\u{2011}04",
            ),
        ] {
            assert_eq!(
                found(text),
                [(IdentifierClass::DateOfBirth, date.to_owned())],
                "{text}"
            );
        }
        assert!(found("session on 2026-03-01; next 17 May 2026").is_empty());
    }

    #[test]
    fn date_readings() {
        let may17 = time::macros::date!(1990 - 05 - 17);
        for text in [
            "1990-05-17",
            "05/17/1990",
            "17/05/1990",
            "17.05.90",
            "17 May 1990",
            "May 17, 1990",
            "17th of may 1990",
        ] {
            let hits = dates(text);
            let Value::Date(readings) = &hits[0].value else {
                panic!("a date")
            };
            assert!(readings.contains(&may17), "{text}: {readings:?}");
        }
        let hits = dates("19820304, 040382 and 4-Mar-82");
        let march4 = time::macros::date!(1982 - 03 - 04);
        for hit in &hits {
            assert!(matches!(&hit.value, Value::Date(r) if r.contains(&march4)));
        }
        assert_eq!(hits.len(), 3);
        let hits = dates("05/06/1990 and 31/31/1990");
        assert!(matches!(&hits[0].value, Value::Date(r) if r.len() == 2));
        assert!(matches!(&hits[1].value, Value::Date(r) if r.is_empty()));
    }

    #[test]
    fn an_extension_is_not_part_of_the_number() {
        let hits = identifiers("555-123-4567 ext. 45");
        assert_eq!(hits[0].value, Value::Phone("5551234567".into()));
        assert_eq!(hits[0].end, "555-123-4567 ext. 45".len());
    }

    #[test]
    fn phones_compare_by_digits() {
        let same = |a: &str, b: &str| Value::Phone(digits(a)).same_as(&Value::Phone(digits(b)));
        assert!(same("+1 555-123-4567", "(555) 123-4567"));
        assert!(same("+44 20 7946 0958", "020 7946 0958"));
        assert!(!same("555-123-4567", "555-123-4568"));
        assert!(!same("4567", "555-123-4567"));
    }
}
