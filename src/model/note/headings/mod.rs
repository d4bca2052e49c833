//! The check that what a Markdown reader shows as a heading and where the line
//! splitter starts a section agree, for every heading that names or resembles a
//! category.
//!
//! The splitter (`split.rs`) stays the one place sections come from: stored
//! bodies are split again by it on every read, so it must not change. This pass runs
//! beside it on every write and refuses a body when a reader would see a category
//! heading the splitter does not start a section at, or the reverse. It reads the body
//! as a lenient reader would: line breaks of every kind are line breaks, every Unicode
//! space is a space, invisible characters are gone and compatibility forms are plain
//! (full-width `＃` is `#`); then a CommonMark parser finds the headings at every
//! nesting level, and a line-based pass finds what reads as a heading without being
//! one (`##risk`, `Risk:` alone on a line, HTML heading tags).
//!
//! It knows nothing of stored notes or policies: only the body, the categories, and
//! where the splitter started its sections.

use std::collections::HashMap;

use super::error::{HeadingForm, NoteParseError};
use crate::base::fold::fold;
use crate::model::category::UNHEADED_CATEGORY;

mod reading;

use reading::{Normalized, has_html_heading_tag, is_title, read, strip_markup};

/// Refuses `body` when a reader would see a heading that names or resembles a category
/// where the splitter started no section of it, or a section start where a reader sees
/// no heading. `starts` are the splitter's section starts: the line (0-based, as
/// `str::lines` counts) and category of each.
pub(super) fn check(
    body: &str,
    categories: &[&str],
    starts: &[(usize, String)],
) -> Result<(), NoteParseError> {
    let text = Normalized::new(body);
    let names = Names::new(categories);
    let section_at = |line: usize| -> &str {
        let lf = text.lines[line].lf;
        let before = starts.partition_point(|(start, _)| *start <= lf);
        match before {
            0 => UNHEADED_CATEGORY,
            n => &starts[n - 1].1,
        }
    };
    // The first problem, by line; on one line, the first found.
    let mut found: Option<NoteParseError> = None;
    let mut report = |error: NoteParseError| {
        let line = line_of(&error);
        if found.as_ref().is_none_or(|f| line < line_of(f)) {
            found = Some(error);
        }
    };

    // Headings a CommonMark reader shows, at any depth.
    let mut top_level_h2: HashMap<usize, String> = HashMap::new();
    let reading = read(&text.text);
    for heading in &reading.headings {
        let line = text.line_at(heading.start);
        let key = key(&heading.text);
        let form = if heading.depth > 0 {
            HeadingForm::Nested
        } else if let Some(underline) = heading.underline {
            HeadingForm::Setext { underline }
        } else if heading.level != 2 {
            HeadingForm::Level {
                level: heading.level,
            }
        } else {
            top_level_h2.insert(line, key.clone());
            HeadingForm::Unsplit
        };
        let section = section_at(line);
        if let Some(category) = names.resembled(&key, true).find(|c| *c != section) {
            // A setext heading's text can run over several lines: name the one that
            // holds the name, if one does.
            let last = text.line_at(heading.end.saturating_sub(1));
            let named = (line..last)
                .find(|l| {
                    names
                        .resembled(&self::key(text.line(*l)), true)
                        .any(|c| c == category)
                })
                .unwrap_or(line);
            report(NoteParseError::LookalikeHeading {
                line: text.lines[named].user,
                shown: shown(text.line(named)),
                form,
                category: category.to_owned(),
            });
        }
    }

    // Every section start is a top-level `## <category>` heading to a reader too.
    for (lf, category) in starts {
        let line = text.lines.partition_point(|l| l.lf < *lf);
        let seen =
            line < text.lines.len() && top_level_h2.get(&line).is_some_and(|k| *k == key(category));
        if !seen {
            report(NoteParseError::HiddenSectionStart {
                line: text.lines.get(line).map_or(1, |l| l.user),
                category: category.clone(),
            });
        }
    }

    // Lines that read as headings without being ones, code blocks included: as
    // written, and as a reader shows them (escapes and entities decoded).
    let written = (0..text.lines.len()).map(|line| (line, text.line(line)));
    let shown_lines = reading
        .lines
        .iter()
        .map(|(offset, l)| (text.line_at(*offset), l.as_str()));
    for (line, content) in written.chain(shown_lines) {
        if has_html_heading_tag(content) {
            report(NoteParseError::HtmlHeading {
                line: text.lines[line].user,
                shown: shown(content),
            });
            continue;
        }
        let (rest, hashed) = strip_markup(content);
        let form = if hashed {
            HeadingForm::Hashed
        } else if rest.len() <= 200 && is_title(rest) {
            HeadingForm::OwnLine
        } else {
            continue;
        };
        let key = key(rest);
        let section = section_at(line);
        if let Some(category) = names.resembled(&key, hashed).find(|c| *c != section) {
            report(NoteParseError::LookalikeHeading {
                line: text.lines[line].user,
                shown: shown(content),
                form,
                category: category.to_owned(),
            });
        }
    }
    found.map_or(Ok(()), Err)
}

/// The splitter's error with its line counted as an editor counts lines (LF, CRLF, CR,
/// U+2028, U+2029) rather than as `str::lines` does.
pub(super) fn on_user_lines(error: NoteParseError, body: &str) -> NoteParseError {
    let line = line_of(&error);
    if line == 0 {
        return error;
    }
    // The offset where the splitter's line starts: after its (line - 1)th LF.
    let start = match line {
        1 => 0,
        _ => body
            .match_indices('\n')
            .nth(line - 2)
            .map_or(0, |(at, _)| at + 1),
    };
    let user = Normalized::new(&body[..start])
        .lines
        .last()
        .map_or(1, |l| l.user);
    error.shifted(user - line)
}

/// The 1-based line an error names (0 for an error of the whole body).
fn line_of(error: &NoteParseError) -> usize {
    match error {
        NoteParseError::UnknownCategory { line, .. }
        | NoteParseError::MisplacedHeading { line, .. }
        | NoteParseError::UnclosedFence { line }
        | NoteParseError::LookalikeHeading { line, .. }
        | NoteParseError::HiddenSectionStart { line, .. }
        | NoteParseError::HtmlHeading { line, .. } => *line,
        NoteParseError::Empty => 0,
    }
}

/// A text shortened for a message, control characters escaped.
fn shown(text: &str) -> String {
    let text = text.trim();
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == 60 {
            out.push('…');
            break;
        }
        if c.is_control() || c == '"' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The letters and digits of `text`, folded: what is compared with category names.
fn key(text: &str) -> String {
    fold(text).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// The categories, as keys to compare headings with.
struct Names<'a> {
    names: Vec<Name<'a>>,
}

struct Name<'a> {
    category: &'a str,
    key: Vec<char>,
    key_text: String,
    /// The first word of the name when it has five letters or more ("substance").
    first_word: Option<String>,
}

impl<'a> Names<'a> {
    fn new(categories: &[&'a str]) -> Names<'a> {
        let names = categories
            .iter()
            .map(|category| {
                let key_text = key(category);
                let first_word = fold(category)
                    .split(|c: char| !c.is_alphanumeric())
                    .find(|w| !w.is_empty())
                    .filter(|w| w.chars().count() >= 5)
                    .map(str::to_owned);
                Name {
                    category,
                    key: key_text.chars().collect(),
                    key_text,
                    first_word,
                }
            })
            .collect();
        Names { names }
    }

    /// The categories `key` resembles: equal, or a small edit away (1 for names under
    /// six letters, 2 otherwise); for a heading also when it contains a category's
    /// name or starts with its first word ("Risk assessment", "Substance abuse").
    fn resembled<'k>(&'k self, key: &'k str, heading: bool) -> impl Iterator<Item = &'a str> + 'k {
        self.names
            .iter()
            .filter(move |name| resembles(key, name, heading))
            .map(|name| name.category)
    }
}

fn resembles(key: &str, name: &Name<'_>, heading: bool) -> bool {
    if key.is_empty() || name.key.is_empty() {
        return false;
    }
    if heading
        && (key.contains(&name.key_text)
            || name.first_word.as_ref().is_some_and(|w| key.starts_with(w)))
    {
        return true;
    }
    let bound = if name.key.len() < 6 { 1 } else { 2 };
    let length = key.chars().count();
    if length.abs_diff(name.key.len()) > bound {
        return false;
    }
    let key: Vec<char> = key.chars().collect();
    strsim::generic_levenshtein(&key, &name.key) <= bound
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::category::DEFAULT_CATEGORIES;
    use crate::model::note::parse_default;
    use proptest::prelude::*;

    /// The line `body` is refused at.
    fn refused_at(body: &str) -> usize {
        match parse_default(body) {
            Ok(sections) => panic!("{body:?} was accepted: {sections:?}"),
            Err(e) => line_of(&e),
        }
    }

    #[test]
    fn every_form_from_the_review_is_refused_at_its_line() {
        for (body, line) in [
            ("Intro\npsychotherapy-notes\n---\nsecret", 2),
            ("Intro\n\npsychotherapy-notes\n===\nsecret", 3),
            ("Intro\n##psychotherapy-notes\nsecret", 2),
            ("Intro\n> ## psychotherapy-notes\n> secret", 2),
            ("Intro\n>\n> psychotherapy-notes\n> ---\n> secret", 3),
            ("Intro\n- ## psychotherapy-notes\n  secret", 2),
            ("Intro\n\n1. item\n\n   ### Psychotherapy Notes\n", 5),
            ("Intro\n<h2>psychotherapy-notes</h2>\nsecret", 2),
            ("Intro\n<H3 class=x>Process notes</H3>\nsecret", 2),
            ("Intro\r## psychotherapy-notes\rsecret", 2),
            ("Intro\r\n\r## psychotherapy-notes\r\nsecret", 3),
            ("Intro\u{2028}## psychotherapy-notes\u{2028}secret", 2),
            ("Intro\u{2029}## psychotherapy-notes\nsecret", 2),
            // NEL, VT and FF break lines for a parser, not in most editors' counts.
            ("Intro\u{85}## psychotherapy-notes\nsecret", 1),
            ("Intro\u{c}## psychotherapy-notes\nsecret", 1),
            ("Intro\u{b}## psychotherapy-notes\nsecret", 1),
            ("Intro\n##\u{a0}psychotherapy-notes\nsecret", 2),
            ("Intro\n##\u{3000}psychotherapy-notes\nsecret", 2),
            ("Intro\n＃＃ psychotherapy-notes\nsecret", 2),
            ("Intro\n\u{200b}## psychotherapy-notes\nsecret", 2),
            ("Intro\n## psycho\u{200b}therapy-notes\nsecret", 2),
            ("Intro\n### Psychotherapy Notes\nsecret", 2),
            (
                "Intro\n## risk\nlow\n### Substance abuse history\nsecret",
                4,
            ),
            ("Intro\n#### Medications\nsecret", 2),
            ("Intro\n# Risk assessment\nsecret", 2),
            ("Intro\nPsychotherapy notes:\nsecret", 2),
            ("Intro\n**Psychotherapy Notes**\nsecret", 2),
            ("Intro\n1. ## medications\n", 2),
            ("Intro\n[^1]: note\n\n    ## risk\n", 4),
            // What a reader shows after escapes and entities are decoded.
            ("Intro\n\\#\\# psychotherapy-notes\nsecret", 2),
            ("Intro\n&#35;&#35; psychotherapy-notes\nsecret", 2),
            ("Intro\n&#82;isk:\nsecret", 2),
            ("Intro\n- [ ] Medications\n", 2),
        ] {
            assert_eq!(refused_at(body), line, "{body:?}");
        }
    }

    #[test]
    fn a_section_start_a_reader_does_not_see_is_refused() {
        for (body, line) in [
            ("<div>\n## risk\n</div>\nsecret", 2),
            ("- item\n  ## risk\n  secret", 2),
            ("> quote\n> ## risk\n", 2),
        ] {
            assert_eq!(refused_at(body), line, "{body:?}");
        }
        assert_eq!(
            parse_default("<div>\n## risk\n</div>\nsecret"),
            Err(NoteParseError::HiddenSectionStart {
                line: 2,
                category: "risk".into()
            })
        );
    }

    #[test]
    fn messages_name_the_form_and_what_to_write() {
        let e = parse_default("Intro\n\n\npsychotherapy-notes\n---\nPN").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 4: \"psychotherapy-notes\" underlined with --- looks like the heading of psychotherapy-notes but does not start a section; write \"## psychotherapy-notes\" on its own line at the start of the line, outside any quote, list or code block, or reword it"
        );
        let e = parse_default("a\n<h2>Notes</h2>").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("line 2: \"<h2>Notes</h2>\" is an HTML heading"),
            "{e}"
        );
        // Control characters are escaped, never printed raw.
        let e = parse_default("a\n##\u{1b}[2Jrisk").unwrap_err();
        assert!(!e.to_string().contains('\u{1b}'), "{e}");
    }

    #[test]
    fn canonical_sections_and_their_own_subheadings_are_accepted() {
        for body in [
            " ## Risk\nlow\n##\tdiagnosis\nF41.1\n### Plan\nweekly",
            "Intro\n## risk\n### Risk assessment\nlow\n#### Risk factors\nnone",
            "Intro\r\n## risk ##\r\nlow\r\n\r\n## medication\r\n### Medications\r\nnone",
            "Discussed risk and substance use at length.\nShe had medication questions.",
            "| a | b |\n|---|---|\n| risk | low |\n\n## risk\nlow",
            "| Risk |\n|---|\n| low |\n## risk\nlow",
            "- a\n- b\n## risk\nlow\n> quote\n## medication\nnone",
            "Intro\n\n> quoted line\n\n## risk\nnone\n- [ ] task\n",
            "# Session 12\nprogress text\n### Homework\nthought record",
            "## psychotherapy-notes\nPsychotherapy notes:\nimpressions",
        ] {
            let sections = parse_default(body).unwrap_or_else(|e| panic!("{body:?}: {e}"));
            assert_eq!(crate::model::note::split_stored(body), sections, "{body:?}");
        }
    }

    #[test]
    fn line_numbers_count_cr_crlf_and_unicode_line_ends() {
        assert_eq!(refused_at("a\r\nb\r\n### risk\r\n"), 3);
        assert_eq!(refused_at("a\rb\r### risk"), 3);
        assert_eq!(refused_at("a\u{2028}b\u{2029}c\n### risk"), 4);
        // The splitter's own errors count the same way.
        assert_eq!(refused_at("a\rb\n## Plan\nx"), 3);
        assert_eq!(refused_at("a\u{2028}b\n```\nx"), 3);
    }

    #[test]
    fn import_moves_the_new_errors_below_its_front_matter() {
        for body in ["a\n### risk", "a\n<div>\n## risk\n</div>", "a\n<h2>x</h2>"] {
            let e = parse_default(body).unwrap_err();
            assert_eq!(line_of(&e.clone().shifted(3)), line_of(&e) + 3, "{body:?}");
        }
    }

    #[test]
    fn resemblance() {
        let names = Names::new(DEFAULT_CATEGORIES);
        let heading = |text: &str| names.resembled(&key(text), true).collect::<Vec<_>>();
        let own_line = |text: &str| names.resembled(&key(text), false).collect::<Vec<_>>();
        for (text, category) in [
            ("Psychotherapy Notes", "psychotherapy-notes"),
            ("psychotherapy_notes", "psychotherapy-notes"),
            ("PSYCHO-THERAPY notes", "psychotherapy-notes"),
            ("Psychotherapy note", "psychotherapy-notes"),
            ("Pyschotherapy notes", "psychotherapy-notes"),
            ("substance use", "substance-use"),
            ("Substance abuse", "substance-use"),
            ("medications", "medication"),
            ("Risk assessment", "risk"),
            ("Treatment", "treatment-plan"),
            ("Ｒｉｓｋ", "risk"),
            ("Rísk", "risk"),
        ] {
            assert!(
                heading(text).contains(&category),
                "{text}: {:?}",
                heading(text)
            );
        }
        // On a line of its own, only the name or a near miss counts.
        assert_eq!(own_line("Risks"), ["risk"]);
        assert_eq!(own_line("Medications"), ["medication"]);
        assert!(own_line("Risk assessment").is_empty());
        for text in ["Plan", "Homework", "Session 12", "Goals", "Mood", ""] {
            assert!(heading(text).is_empty(), "{text}: {:?}", heading(text));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// No input makes the parser panic, and what it accepts splits the same when
        /// read back.
        #[test]
        fn never_panics(parts in proptest::collection::vec(prop::sample::select(vec![
            "#", "##", "-", "=", ">", "*", " ", "   ", "\r", "\n", "\r\n", "\u{2028}",
            "\u{c}", "\u{a0}", "＃", "<h2>", "</h2>", "risk", "psychotherapy", "-notes",
            "Risk", "substance", "use", "```", "~~~", "1.", "[^1]:", "\t", "<div>", "e\u{301}",
        ]), 0..40)) {
            let body: String = parts.concat();
            if let Ok(sections) = parse_default(&body) {
                prop_assert_eq!(crate::model::note::split_stored(&body), sections);
            }
        }
    }
}
