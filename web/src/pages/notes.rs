//! Notes: the editor, a section per category of the policy (so no heading can be
//! mistyped: the page writes the canonical `## category` markup), with the SOAP, DAP
//! and BIRP templates mapped onto categories; a note's page; signing and addenda.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use casevault::{Error, NewNote, NoteStatus, NoteType};
use maud::{Markup, html};
use serde::Deserialize;

use super::client::optional_date;
use crate::app::{App, Ctx, Done, with_session};
use crate::html::{csrf, layout, layout_editing, local};

/// A template: its name, and its fields, each a label and the category it is written
/// under.
struct Template {
    name: &'static str,
    title: &'static str,
    fields: &'static [(&'static str, &'static str)],
}

const TEMPLATES: &[Template] = &[
    Template {
        name: "soap",
        title: "SOAP",
        fields: &[
            ("Subjective", "progress"),
            ("Objective", "progress"),
            ("Assessment", "diagnosis"),
            ("Plan", "treatment-plan"),
        ],
    },
    Template {
        name: "dap",
        title: "DAP",
        fields: &[
            ("Data", "progress"),
            ("Assessment", "diagnosis"),
            ("Plan", "treatment-plan"),
        ],
    },
    Template {
        name: "birp",
        title: "BIRP",
        fields: &[
            ("Behavior", "progress"),
            ("Intervention", "progress"),
            ("Response", "progress"),
            ("Plan", "treatment-plan"),
        ],
    },
];

#[derive(Deserialize)]
pub(crate) struct TemplateQuery {
    #[serde(default)]
    template: Option<String>,
}

/// A field of the editor: `s:<category>:<label>` (the label empty for a plain section).
fn field_name(category: &str, label: &str) -> String {
    format!("s:{category}:{label}")
}

/// `GET /clients/ID/notes/new[?template=soap|dap|birp]`.
pub(crate) async fn new_form(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<TemplateQuery>,
) -> Response {
    with_session(app, move |s, ctx| {
        let client = s.client_details(&id)?.client;
        let (_, policy) = s.policy()?;
        let others: Vec<casevault::Client> = s
            .list_clients()?
            .into_iter()
            .filter(|c| c.id != client.id)
            .collect();
        let template = q
            .template
            .as_deref()
            .and_then(|t| TEMPLATES.iter().find(|x| x.name == t));
        let used: Vec<&str> = template.map_or_else(Vec::new, |t| t.fields.iter().map(|f| f.1).collect());
        let categories: Vec<&String> = policy
            .categories
            .iter()
            .filter(|c| c.as_str() != "identity" && c.as_str() != "attendance")
            .collect();
        Ok(Done::Page(layout_editing(
            "New note",
            ctx,
            html! {
                h1 { "New note for " (client.name) }
                p {
                    "Template: "
                    a href={ "/clients/" (client.id) "/notes/new" } { "sections" }
                    @for t in TEMPLATES { " · " a href={ "/clients/" (client.id) "/notes/new?template=" (t.name) } { (t.title) } }
                }
                form method="post" action={ "/clients/" (client.id) "/notes/new" } {
                    (csrf(ctx))
                    label for="date" { "Session date" }
                    input type="date" id="date" name="date" required value=(super::today());
                    label for="type" { "Session type" }
                    select id="type" name="type" {
                        option value="individual" { "Individual" }
                        option value="couples" { "Couples" }
                        option value="family" { "Family" }
                        option value="group" { "Group" }
                    }
                    @if !others.is_empty() {
                        fieldset {
                            legend { "Other clients in a joint session" }
                            @for o in &others {
                                label { input type="checkbox" name="with" value=(o.id); " " (o.name) }
                            }
                        }
                    }
                    @if let Some(t) = template {
                        h2 { (t.title) }
                        @for (label, category) in t.fields {
                            (section_field(category, label))
                        }
                    }
                    details open[template.is_none()] {
                        summary { @if template.is_some() { "Other sections" } @else { "Sections" } }
                        @for c in &categories {
                            @if !used.contains(&c.as_str()) { (section_field(c, "")) }
                        }
                    }
                    button type="submit" { "Save the draft" }
                }
            },
        )))
    })
    .await
}

fn section_field(category: &str, label: &str) -> Markup {
    let name = field_name(category, label);
    let id = name.replace(':', "-");
    html! {
        label for=(id) {
            @if label.is_empty() { (category) } @else { (label) " " span.hint { "(" (category) ")" } }
        }
        textarea id=(id) name=(name) {}
    }
}

/// The most fields an editor form may have (a policy's categories and a template's
/// fields are a few dozen).
const MAX_FIELDS: usize = 512;

/// The note's body from the editor's fields, in the order posted: one `## category`
/// section per category, a template field's label in bold at the start of its text;
/// and the categories of those sections, in order.
pub(crate) fn compose(fields: &[(String, String)]) -> (String, Vec<String>) {
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (name, text) in fields {
        let Some(rest) = name.strip_prefix("s:") else {
            continue;
        };
        let Some((category, label)) = rest.split_once(':') else {
            continue;
        };
        let text = text.replace("\r\n", "\n");
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let part = if label.is_empty() {
            text.to_owned()
        } else {
            format!("**{label}.** {text}")
        };
        match index.get(category) {
            Some(&i) => sections[i].1.push(part),
            None => {
                index.insert(category.to_owned(), sections.len());
                sections.push((category.to_owned(), vec![part]));
            }
        }
    }
    let mut body = String::new();
    for (category, parts) in &sections {
        body.push_str(&format!("## {category}\n\n{}\n\n", parts.join("\n\n")));
    }
    (body, sections.into_iter().map(|(c, _)| c).collect())
}

/// Refuses a body in which a box's text made a section of its own: a line typed as a
/// heading (`## progress` in the psychotherapy-notes box) would file what follows under
/// another category than the box's. Read back by the note parser itself, the body must
/// have exactly the sections the page wrote.
pub(crate) fn check_boxes(
    (body, written): &(String, Vec<String>),
    categories: &[String],
) -> Result<(), Error> {
    let names: Vec<&str> = categories.iter().map(String::as_str).collect();
    let read = casevault::parse_sections(body, &names).map_err(|e| {
        Error::InvalidInput(format!(
            "a box holds what reads as note structure: {e}; write plain text in each box; nothing was saved"
        ))
    })?;
    let read: Vec<&str> = read.iter().map(|s| s.category.as_str()).collect();
    if read != written.iter().map(String::as_str).collect::<Vec<_>>() {
        return Err(Error::InvalidInput(
            "a box holds a line that reads as a heading (such as `## progress`): each box is its own section, so write no headings in them; nothing was saved".into(),
        ));
    }
    Ok(())
}

/// `POST /clients/ID/notes/new`.
pub(crate) async fn create(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    with_session(app, move |s, _| {
        let get = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map_or("", |(_, v)| v.as_str())
        };
        let date = optional_date("session date", get("date"))?
            .ok_or_else(|| Error::InvalidInput("give the session's date".into()))?;
        let note_type = [
            NoteType::Individual,
            NoteType::Couples,
            NoteType::Family,
            NoteType::Group,
        ]
        .into_iter()
        .find(|t| t.as_str() == get("type"))
        .ok_or_else(|| Error::InvalidInput("choose the session's type".into()))?;
        let mut clients = vec![id.as_str().into()];
        clients.extend(
            fields
                .iter()
                .filter(|(n, _)| n == "with")
                .map(|(_, v)| v.as_str().into()),
        );
        if fields.len() > MAX_FIELDS {
            return Err(Error::InvalidInput(format!(
                "the form has {} fields, more than a note editor has ({MAX_FIELDS}); nothing was saved",
                fields.len()
            )));
        }
        let composed = compose(&fields);
        if composed.0.is_empty() {
            return Err(Error::InvalidInput(
                "the note is empty: write at least one section".into(),
            ));
        }
        let (_, policy) = s.policy()?;
        check_boxes(&composed, &policy.categories)?;
        let body = composed.0;
        let note = s.add_note(NewNote {
            clients,
            date,
            note_type: Some(note_type),
            body,
        })?;
        Ok(Done::See(format!("/notes/{note}")))
    })
    .await
}

/// `GET /notes/ID`.
pub(crate) async fn page(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    with_session(app, move |s, ctx| {
        let note = s.note(&id)?;
        let (_, policy) = s.policy()?;
        Ok(Done::Page(layout(
            "Note",
            ctx,
            html! {
                h1 { "Note of " (note.date) }
                p {
                    (note.note_type.as_str()) " session · version " (note.version) " · "
                    @match &note.status {
                        NoteStatus::Draft => { strong { "draft" } }
                        NoteStatus::Signed { at, by } => { "signed by " (by) " on " (local(*at, ctx)) }
                    }
                }
                p { "Clients: "
                    @for (i, c) in note.clients.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href={ "/clients/" (c) } { (c) }
                    }
                }
                @for section in &note.sections {
                    h2 { (section.category) }
                    div.note-text { (section.text) }
                }
                @for a in &note.addenda {
                    h2 { "Addendum by " (a.written_by) ", " (local(a.written_at, ctx)) }
                    @for section in &a.sections {
                        h3 { (section.category) }
                        div.note-text { (section.text) }
                    }
                }
                @if note.status == NoteStatus::Draft {
                    form method="post" action={ "/notes/" (note.id) "/sign" } {
                        (csrf(ctx))
                        button type="submit" { "Sign the note" }
                    }
                } @else {
                    (amend_form(note.id.as_ref(), &policy.categories, ctx))
                }
            },
        )))
    })
    .await
}

fn amend_form(id: &str, categories: &[String], ctx: &Ctx) -> Markup {
    html! {
        h2 { "Add an addendum" }
        form method="post" action={ "/notes/" (id) "/amend" } {
            (csrf(ctx))
            label for="category" { "Category" }
            select id="category" name="category" {
                @for c in categories { option value=(c) selected[c == "progress"] { (c) } }
            }
            label for="text" { "Addendum" }
            textarea id="text" name="text" required {}
            button type="submit" { "Add the addendum" }
        }
    }
}

/// `POST /notes/ID/sign`.
pub(crate) async fn sign(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    with_session(app, move |s, _| {
        s.sign_note(&id)?;
        Ok(Done::See(format!("/notes/{id}")))
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct AmendForm {
    category: String,
    text: String,
}

/// `POST /notes/ID/amend`.
pub(crate) async fn amend(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Form(form): Form<AmendForm>,
) -> Response {
    with_session(app, move |s, _| {
        let composed = compose(&[(field_name(&form.category, ""), form.text)]);
        if composed.0.is_empty() {
            return Err(Error::InvalidInput("the addendum is empty".into()));
        }
        let (_, policy) = s.policy()?;
        check_boxes(&composed, &policy.categories)?;
        let body = composed.0;
        s.amend_note(&id, &body)?;
        Ok(Done::See(format!("/notes/{id}")))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_editor_writes_one_canonical_section_per_category_in_order() {
        let fields: Vec<(String, String)> = [
            ("date", "2026-03-01"),
            ("s:progress:Subjective", "Slept better.\r\n"),
            ("s:progress:Objective", "Calm."),
            ("s:diagnosis:Assessment", "F41.1"),
            ("s:risk:", "   "),
            ("s:treatment-plan:Plan", "Weekly."),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
        assert_eq!(
            compose(&fields).0,
            "## progress\n\n**Subjective.** Slept better.\n\n**Objective.** Calm.\n\n## diagnosis\n\n**Assessment.** F41.1\n\n## treatment-plan\n\n**Plan.** Weekly.\n\n"
        );
        assert_eq!(compose(&[]).0, "");
    }

    #[test]
    fn a_heading_typed_into_a_box_is_refused_and_plain_text_is_not() {
        let categories: Vec<String> = ["progress", "diagnosis", "psychotherapy-notes"]
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        let boxed =
            |category: &str, text: &str| compose(&[(field_name(category, ""), text.to_owned())]);
        assert!(
            check_boxes(
                &boxed(
                    "psychotherapy-notes",
                    "My hypothesis.\n\n## progress\nReleased."
                ),
                &categories
            )
            .is_err()
        );
        assert!(check_boxes(&boxed("progress", "Calm.\n## progress\nMore."), &categories).is_err());
        assert!(check_boxes(&boxed("diagnosis", "progress\n--------\n"), &categories).is_err());
        assert!(check_boxes(&boxed("diagnosis", "Setext\n--------\n"), &categories).is_ok());
        assert!(
            check_boxes(
                &boxed("progress", "Calm; 3 # of sessions; #hashtag."),
                &categories
            )
            .is_ok()
        );
        let two = compose(&[
            (field_name("progress", "Subjective"), "Calm.".to_owned()),
            (field_name("diagnosis", ""), "F41.1".to_owned()),
        ]);
        assert!(check_boxes(&two, &categories).is_ok());
    }
}
