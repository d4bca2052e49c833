//! The outline of a Markdown document as a reader meets it: the blocks pulldown-cmark
//! sees, with every extension a recipient's viewer might turn on. Shared by the
//! export forgery tests of the library (`src/export/markdown_forgery.rs`) and of the
//! command line (`cli/tests/export_forgery.rs`), which include this file as a module.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// One block of the document as a reader meets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Heading(usize, String),
    /// A paragraph's text, its line breaks as `\n`.
    Paragraph(String),
    /// A list item's own text (a nested list's items follow it).
    Item(String),
    /// A code block's text, verbatim.
    Code(String),
    Rule,
    /// Anything else (a quote, HTML, a table, a footnote…): never in an export.
    Other(String),
}

pub fn outline(markdown: &str) -> Vec<Block> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM
        | Options::ENABLE_DEFINITION_LIST
        | Options::ENABLE_SUPERSCRIPT
        | Options::ENABLE_SUBSCRIPT
        | Options::ENABLE_WIKILINKS;
    let mut blocks = Vec::new();
    // The block that text goes into, when one is open.
    let mut open: Vec<usize> = Vec::new();
    for event in Parser::new_ext(markdown, options) {
        let push_text = |blocks: &mut Vec<Block>, open: &[usize], t: &str| match open
            .last()
            .map(|&i| &mut blocks[i])
        {
            Some(Block::Heading(_, s) | Block::Paragraph(s) | Block::Item(s) | Block::Code(s)) => {
                s.push_str(t)
            }
            _ => blocks.push(Block::Other(format!("text outside a block: {t:?}"))),
        };
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                open.push(blocks.len());
                blocks.push(Block::Heading(level as usize, String::new()));
            }
            Event::Start(Tag::Paragraph) => {
                // A paragraph inside a list item (a loose list) is the item's text.
                if !matches!(open.last().map(|&i| &blocks[i]), Some(Block::Item(_))) {
                    open.push(blocks.len());
                    blocks.push(Block::Paragraph(String::new()));
                } else {
                    open.push(*open.last().expect("an item is open"));
                }
            }
            Event::Start(Tag::Item) => {
                open.push(blocks.len());
                blocks.push(Block::Item(String::new()));
            }
            Event::Start(Tag::CodeBlock(_)) => {
                open.push(blocks.len());
                blocks.push(Block::Code(String::new()));
            }
            Event::Start(Tag::List(_) | Tag::Strong)
            | Event::End(TagEnd::List(_) | TagEnd::Strong) => {}
            Event::End(
                TagEnd::Heading(_) | TagEnd::Paragraph | TagEnd::Item | TagEnd::CodeBlock,
            ) => {
                open.pop();
            }
            Event::Text(t) => push_text(&mut blocks, &open, &t),
            Event::SoftBreak | Event::HardBreak => push_text(&mut blocks, &open, "\n"),
            Event::Rule => blocks.push(Block::Rule),
            other => blocks.push(Block::Other(format!("{other:?}"))),
        }
    }
    blocks
}
