//! The line splitter: a note body's `## <category>` headings make its sections. It
//! is the one place sections come from, for a body being written ([`parse_sections`],
//! which refuses anything that looks like a category heading but is not exactly one,
//! and runs the reader's check in `headings` beside it) and for a body read back from
//! its record ([`split_stored`], which trusts what was checked when it was written,
//! so it must not change).

use super::error::NoteParseError;
use super::{Section, headings};
use crate::model::category::UNHEADED_CATEGORY;

/// A Markdown ATX heading: its level and text, if `line` is one (any indentation).
fn atx_heading(line: &str) -> Option<(usize, usize, &str)> {
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    let rest = &line[indent..];
    let level = rest.len() - rest.trim_start_matches('#').len();
    let after = &rest[level..];
    if !(1..=6).contains(&level) || !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    Some((indent, level, after.trim().trim_end_matches('#').trim()))
}

/// The fence a line opens or closes: its character and length (``` or ~~~, 3 or more).
fn fence_of(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let c = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let run = trimmed.len() - trimmed.trim_start_matches(c).len();
    (run >= 3).then_some((c, run))
}

/// Splits a Markdown body into sections: a `## <category>` heading starts a section
/// of that category; text before any heading is `progress`.
///
/// Text must never land in the wrong category by a slip of markup, so anything that
/// looks like a category heading but is not exactly one is refused, naming the line:
/// another heading level, four or more spaces of indentation, a category heading
/// inside a code block, and a code block that is never closed.
pub fn parse_sections(body: &str, categories: &[&str]) -> Result<Vec<Section>, NoteParseError> {
    let split = split(body, Some(categories)).map_err(|e| headings::on_user_lines(e, body))?;
    headings::check(body, categories, &split.starts)?;
    Ok(split.sections)
}

/// The sections of a body that [`parse_sections`] accepted when it was written, under
/// whatever categories were in force then. For such a body the split does not depend
/// on the categories: every level-2 heading outside a code block named one of them
/// (any other was refused), so each one starts a section, of the category it names.
/// That is what makes storing the body alone enough (a note's record holds its text,
/// in parts, without the sections).
pub(crate) fn split_stored(body: &str) -> Vec<Section> {
    // Without categories to check against nothing is refused; an empty body (which no
    // note has) gives no sections.
    split(body, None)
        .map(|split| split.sections)
        .unwrap_or_default()
}

/// A stored body cut where its sections start, each piece with its category: the
/// text before the first `## <category>` heading (category [`UNHEADED_CATEGORY`]),
/// then each heading with the text up to the next. The pieces are slices of the body,
/// so joined in order they give it back byte for byte; empty pieces are left out.
pub(crate) fn pieces(body: &str) -> Vec<(String, &str)> {
    let starts = split(body, None).map(|s| s.starts).unwrap_or_default();
    // The byte offset where each line starts, counted as `str::lines` counts them.
    let mut offsets = Vec::new();
    let mut at = 0;
    for line in body.split_inclusive('\n') {
        offsets.push(at);
        at += line.len();
    }
    let mut cuts: Vec<(usize, String)> = vec![(0, UNHEADED_CATEGORY.to_owned())];
    for (line, category) in starts {
        if let Some(&offset) = offsets.get(line) {
            cuts.push((offset, category));
        }
    }
    let mut out = Vec::new();
    for (i, (start, category)) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).map_or(body.len(), |(next, _)| *next);
        if end > *start {
            out.push((category.clone(), &body[*start..end]));
        }
    }
    out
}

/// What the line splitter made of a body: its sections, and the line (0-based, counted
/// as `str::lines` counts them) and category of each `## <category>` that started one.
struct Split {
    sections: Vec<Section>,
    starts: Vec<(usize, String)>,
}

/// The one parser: with `categories`, checks the body as [`parse_sections`] says;
/// without, trusts its headings and only splits.
fn split(body: &str, categories: Option<&[&str]>) -> Result<Split, NoteParseError> {
    let check = categories.is_some();
    let known = |name: &str| categories.is_some_and(|c| c.contains(&name.to_lowercase().as_str()));
    // A body of spaces and invisible characters shows nothing: it is empty (stored
    // bodies keep splitting as they did).
    if check && crate::base::fold::is_blank(body) {
        return Err(NoteParseError::Empty);
    }
    if body.trim().is_empty() {
        return if check {
            Err(NoteParseError::Empty)
        } else {
            Ok(Split {
                sections: Vec::new(),
                starts: Vec::new(),
            })
        };
    }
    let mut sections = Vec::new();
    let mut starts = Vec::new();
    let mut category = UNHEADED_CATEGORY.to_owned();
    let mut text = String::new();
    let mut headed = false;
    // The open fence: its character, length and line.
    let mut fence: Option<(char, usize, usize)> = None;
    for (index, line) in body.lines().enumerate() {
        let heading = atx_heading(line);
        let names_category = check && heading.is_some_and(|(_, _, name)| known(name));
        if let Some((c, run, _)) = fence {
            if names_category {
                return Err(NoteParseError::MisplacedHeading {
                    line: index + 1,
                    heading: line.trim().to_owned(),
                });
            }
            if fence_of(line).is_some_and(|(d, n)| d == c && n >= run)
                && line.trim().trim_start_matches(c).is_empty()
            {
                fence = None;
            }
        } else if let Some((c, run)) = fence_of(line) {
            fence = Some((c, run, index + 1));
        } else if let Some((indent, level, name)) = heading {
            if level == 2 && indent <= 3 {
                if let Some(categories) = categories
                    && !known(name)
                {
                    return Err(NoteParseError::UnknownCategory {
                        line: index + 1,
                        heading: name.to_owned(),
                        known: categories.join(", "),
                    });
                }
                if headed || !text.trim().is_empty() {
                    sections.push(Section {
                        category,
                        text: text.trim_matches('\n').to_owned(),
                    });
                }
                category = name.to_lowercase();
                starts.push((index, category.clone()));
                text = String::new();
                headed = true;
                continue;
            }
            if names_category {
                return Err(NoteParseError::MisplacedHeading {
                    line: index + 1,
                    heading: line.trim().to_owned(),
                });
            }
        }
        text.push_str(line);
        text.push('\n');
    }
    if let Some((_, _, line)) = fence
        && check
    {
        return Err(NoteParseError::UnclosedFence { line });
    }
    if headed || !text.trim().is_empty() {
        sections.push(Section {
            category,
            text: text.trim_matches('\n').to_owned(),
        });
    }
    Ok(Split { sections, starts })
}

/// [`parse_sections`] with the default categories.
#[cfg(test)]
pub(crate) fn parse_default(body: &str) -> Result<Vec<Section>, NoteParseError> {
    parse_sections(body, crate::model::category::DEFAULT_CATEGORIES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::category::DEFAULT_CATEGORIES;

    #[test]
    fn pieces_join_back_to_the_body() {
        for body in [
            "Arrived on time.\n\n## risk\nDenies intent.\n## Diagnosis\nF41.1\n",
            "## risk\r\nnone\r\n\r\n## progress\nok",
            "plain text only",
            "```\n## risk\n```\nafter\n## medication\nx",
        ] {
            let pieces = pieces(body);
            let joined: String = pieces.iter().map(|(_, text)| *text).collect();
            assert_eq!(joined, body);
        }
        let cats: Vec<String> = pieces("a\n## risk\nb\n## Diagnosis\nc")
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(cats, ["progress", "risk", "diagnosis"]);
    }

    #[test]
    fn headings_make_sections() {
        let body = "Arrived on time.\n\n## risk\nDenies intent.\n## Diagnosis\nF41.1\n";
        let s = parse_default(body).unwrap();
        let cats: Vec<_> = s.iter().map(|s| s.category.as_str()).collect();
        assert_eq!(cats, ["progress", "risk", "diagnosis"]);
        assert_eq!(s[1].text, "Denies intent.");
    }

    #[test]
    fn unknown_category_names_the_line() {
        let err = parse_default("text\n\n## Plan\nmore").unwrap_err();
        assert_eq!(
            err,
            NoteParseError::UnknownCategory {
                line: 3,
                heading: "Plan".into(),
                known: DEFAULT_CATEGORIES.join(", ")
            }
        );
        assert!(err.to_string().starts_with("line 3: heading \"## Plan\""));
    }

    #[test]
    fn fenced_headings_and_subheadings_are_text() {
        let s = parse_default("```\n## not a heading\n```\n### Sub\ntext").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].category, "progress");
    }

    #[test]
    fn near_miss_category_headings_are_refused() {
        for (body, line) in [
            ("Text\n# psychotherapy-notes\nsecret", 2),
            ("Text\n### substance-use\nsecret", 2),
            ("Text\n    ## psychotherapy-notes\nsecret", 2),
            ("```\n## psychotherapy-notes\n```", 2),
        ] {
            match parse_default(body) {
                Err(NoteParseError::MisplacedHeading { line: l, .. }) => {
                    assert_eq!(l, line, "{body}")
                }
                other => panic!("{body:?}: {other:?}"),
            }
        }
        assert_eq!(
            parse_default("Progress.\n~~~~~~~~~~\n## psychotherapy-notes\nPN"),
            Err(NoteParseError::MisplacedHeading {
                line: 3,
                heading: "## psychotherapy-notes".into()
            })
        );
        assert_eq!(
            parse_default("Progress.\n```\ncode"),
            Err(NoteParseError::UnclosedFence { line: 2 })
        );
    }

    #[test]
    fn heading_variants_that_are_exact_work() {
        let s = parse_default(" ## Risk\nlow\n##\tdiagnosis\nF41.1\n### Plan\nweekly").unwrap();
        let cats: Vec<_> = s.iter().map(|s| s.category.as_str()).collect();
        assert_eq!(cats, ["risk", "diagnosis"]);
        assert!(s[1].text.contains("### Plan"));
    }

    #[test]
    fn stored_bodies_split_as_they_were_parsed() {
        let bodies = [
            "Arrived on time.\n\n## risk\nDenies intent.\n## Diagnosis\nF41.1\n",
            " ## Risk\nlow\n##\tdiagnosis\nF41.1\n### Plan\nweekly",
            "```\n## not a heading\n```\n### Sub\ntext",
            "Text\r\n## risk ##\r\nCRLF text\r\n\r\n## medication\r\n",
            "## risk\n\n## risk\nagain\n~~~\n## foo\n~~~\nafter",
            "just progress, no heading",
        ];
        for body in bodies {
            let parsed = parse_default(body).unwrap();
            assert_eq!(split_stored(body), parsed, "{body:?}");
        }
        // A category the policy has since dropped still splits as it was written.
        let custom = "Intro\n## Homework\nthought record";
        let parsed = parse_sections(custom, &["progress", "homework"]).unwrap();
        assert_eq!(split_stored(custom), parsed);
    }

    #[test]
    fn empty_body_is_refused() {
        assert_eq!(parse_default(" \n\n"), Err(NoteParseError::Empty));
        assert_eq!(
            parse_default("\u{200B}\n\u{FEFF}\u{2060} \u{00A0}"),
            Err(NoteParseError::Empty)
        );
    }
}
