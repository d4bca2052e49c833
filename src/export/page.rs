//! The page a client is given about their record: what the practice keeps, under which
//! rules, who has received what, their rights with the law's deadlines, and how long
//! the record is kept. Plain words, Markdown that prints as it reads; every value the
//! vault holds goes through the same escaping as an export.

use serde::Serialize;

use super::markdown::{inline, paragraph};
use crate::base::Date;

/// What the page says, gathered by the vault (`Session::client_page`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientPage {
    /// The client's name.
    pub client: String,
    /// The day it was made.
    pub on: Date,
    /// The policy in force, by name.
    pub policy: String,
    /// How many session notes are kept, and the first and last session's days.
    pub notes: usize,
    /// The first session's day.
    pub first_session: Option<Date>,
    /// The last session's day.
    pub last_session: Option<Date>,
    /// The record is a 42 CFR Part 2 program's.
    pub part2: bool,
    /// Consents in force: to whom, for what, until when.
    pub consents: Vec<String>,
    /// Restrictions and lockboxes in force, in words.
    pub restrictions: Vec<String>,
    /// The limits of confidentiality, as clients are told them at intake, each with
    /// whether the law requires the disclosure.
    pub limits: Vec<(String, bool)>,
    /// Every disclosure of the client's information: day, recipient, purpose, what.
    pub disclosures: Vec<String>,
    /// Each right with its deadline and citation, in words.
    pub rights: Vec<String>,
    /// How long the record is kept, in words.
    pub retention: Option<String>,
}

/// The page as Markdown.
pub fn render(page: &ClientPage) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    let list = |items: &[String], empty: &str| -> Vec<String> {
        if items.is_empty() {
            vec![paragraph(empty)]
        } else {
            items
                .iter()
                .map(|i| format!("- {}", paragraph(i)))
                .collect()
        }
    };
    line(format!(
        "# Your record with this practice: {}",
        inline(&page.client)
    ));
    line(String::new());
    line(paragraph(&format!(
        "As of {}. The practice follows the rules of \"{}\".",
        page.on, page.policy
    )));
    line(String::new());
    line("## What we keep".into());
    line(String::new());
    let sessions = match (page.first_session, page.last_session) {
        (Some(first), Some(last)) => {
            format!("{} session note(s), from {first} to {last}", page.notes)
        }
        _ => "no session notes yet".to_owned(),
    };
    line(paragraph(&format!(
        "Your profile (name and the details you gave), {sessions}, your consents, and the record of every disclosure. All of it is encrypted; who opens it is recorded."
    )));
    if page.part2 {
        line(String::new());
        line(paragraph(
            "Your record is kept by a substance use disorder program under federal rules (42 CFR Part 2): it goes to a court only under a special court order, and everything that leaves carries a notice forbidding further disclosure.",
        ));
    }
    line(String::new());
    line("Your consents in force:".into());
    line(String::new());
    for l in list(&page.consents, "None.") {
        line(l);
    }
    line(String::new());
    line("What you asked us to keep back:".into());
    line(String::new());
    for l in list(&page.restrictions, "Nothing.") {
        line(l);
    }
    line(String::new());
    line("## When information may leave without your consent".into());
    line(String::new());
    let limits: Vec<String> = page
        .limits
        .iter()
        .map(|(text, required)| {
            if *required {
                format!("{text} (the law requires it)")
            } else {
                text.clone()
            }
        })
        .collect();
    for l in list(&limits, "Never, under these rules.") {
        line(l);
    }
    line(String::new());
    line("## Who has received what".into());
    line(String::new());
    for l in list(&page.disclosures, "Nothing has left this practice.") {
        line(l);
    }
    line(String::new());
    line("## Your rights".into());
    line(String::new());
    for l in list(
        &page.rights,
        "Ask the practice: these rules set no deadlines for your requests.",
    ) {
        line(l);
    }
    line(String::new());
    line("## How long we keep your record".into());
    line(String::new());
    line(paragraph(page.retention.as_deref().unwrap_or(
        "These rules set no retention period: ask the practice.",
    )));
    out
}
