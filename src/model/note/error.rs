//! Why a note body is refused: what the splitter and the reader's check report, and
//! the form of a refused heading.

use std::fmt;

/// A note body that cannot be split into sections. Variants may be added, as new
/// ways a body can mislead its reader are found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteParseError {
    /// A `## ` heading names no known category.
    #[error(
        "line {line}: heading \"## {heading}\" is not a category; use one of: {known} (or ### for a heading inside a section)"
    )]
    UnknownCategory {
        /// The 1-based line number.
        line: usize,
        /// The heading's text.
        heading: String,
        /// The known categories, comma-separated.
        known: String,
    },
    /// A line looks like a category heading but is not exactly one.
    #[error(
        "line {line}: \"{heading}\" names a category but is not a section heading; write it as \"## <category>\" at the start of a line, outside any code block"
    )]
    MisplacedHeading {
        /// The 1-based line number.
        line: usize,
        /// The line as written.
        heading: String,
    },
    /// A code block is opened and never closed.
    #[error(
        "line {line}: this code block (``` or ~~~) is never closed; close it so the headings after it count"
    )]
    UnclosedFence {
        /// The 1-based line that opens it.
        line: usize,
    },
    /// A heading, or a line that reads as one, names or resembles a category but does
    /// not start a section of it: a Markdown reader would show the text after it under
    /// that category while the note files it under another.
    #[error(
        "line {line}: \"{shown}\" {form} looks like the heading of {category} but does not start a section; write \"## {category}\" on its own line at the start of the line, outside any quote, list or code block, or reword it"
    )]
    LookalikeHeading {
        /// The 1-based line number (lines end as an editor ends them: LF, CRLF, CR,
        /// U+2028, U+2029).
        line: usize,
        /// The line as a reader sees it, shortened, control characters escaped.
        shown: String,
        /// How it is written.
        form: HeadingForm,
        /// The category it names or resembles.
        category: String,
    },
    /// A `## <category>` line that starts a section where a Markdown reader shows no
    /// heading at the top level of the note: the sections and what a reader sees would
    /// disagree.
    #[error(
        "line {line}: \"## {category}\" starts a section of {category}, but a Markdown reader does not show it as a heading of the note (it is inside HTML, a quote or a list item, or the line break before it is not one to every reader); write it at the start of its own line after an empty line, outside any HTML, quote or list"
    )]
    HiddenSectionStart {
        /// The 1-based line number.
        line: usize,
        /// The category the line names.
        category: String,
    },
    /// An HTML heading tag (`<h1>` to `<h6>`, any case).
    #[error(
        "line {line}: \"{shown}\" is an HTML heading; notes take Markdown headings only: write \"## <category>\" on its own line to start a section, or ### for a heading inside one"
    )]
    HtmlHeading {
        /// The 1-based line number.
        line: usize,
        /// The line as a reader sees it, shortened, control characters escaped.
        shown: String,
    },
    /// The body has no text.
    #[error("the note is empty")]
    Empty,
}

impl NoteParseError {
    /// The same error with its line number moved down by `lines` (for a body that
    /// starts after front matter).
    pub fn shifted(self, lines: usize) -> Self {
        match self {
            NoteParseError::UnknownCategory {
                line,
                heading,
                known,
            } => NoteParseError::UnknownCategory {
                line: line + lines,
                heading,
                known,
            },
            NoteParseError::MisplacedHeading { line, heading } => {
                NoteParseError::MisplacedHeading {
                    line: line + lines,
                    heading,
                }
            }
            NoteParseError::UnclosedFence { line } => {
                NoteParseError::UnclosedFence { line: line + lines }
            }
            NoteParseError::LookalikeHeading {
                line,
                shown,
                form,
                category,
            } => NoteParseError::LookalikeHeading {
                line: line + lines,
                shown,
                form,
                category,
            },
            NoteParseError::HiddenSectionStart { line, category } => {
                NoteParseError::HiddenSectionStart {
                    line: line + lines,
                    category,
                }
            }
            NoteParseError::HtmlHeading { line, shown } => NoteParseError::HtmlHeading {
                line: line + lines,
                shown,
            },
            NoteParseError::Empty => NoteParseError::Empty,
        }
    }
}

/// How a refused heading is written: what the message says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadingForm {
    /// Text underlined with a line of `-` or `=` (a setext heading).
    Setext {
        /// The underline's character.
        underline: char,
    },
    /// A `#` heading of another level than 2.
    Level {
        /// Its level, 1 to 6.
        level: u8,
    },
    /// A heading inside a block quote, a list item or a footnote.
    Nested,
    /// A level-2 heading to a reader that the note does not split at: written with an
    /// odd space, after a line break the splitter does not count, or with marks.
    Unsplit,
    /// A line begun with `#` that is no heading to a CommonMark reader (`##risk`) but
    /// reads as one.
    Hashed,
    /// A line that is nothing but the name (`Risk:`, `**Psychotherapy notes**`).
    OwnLine,
}

impl fmt::Display for HeadingForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeadingForm::Setext { underline } => {
                write!(f, "underlined with {0}{0}{0}", underline)
            }
            HeadingForm::Level { level } => write!(f, "(a level-{level} heading)"),
            HeadingForm::Nested => f.write_str("(a heading inside a quote, list or footnote)"),
            HeadingForm::Unsplit => {
                f.write_str("(a heading written with an odd space, mark or line break)")
            }
            HeadingForm::Hashed => f.write_str("(begun with # but not as a section heading)"),
            HeadingForm::OwnLine => f.write_str("(alone on its line)"),
        }
    }
}
