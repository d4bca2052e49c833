//! The caseload: every client the member's keys open, found by name; the unsigned
//! drafts across them; who has no intake acknowledgement yet.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::response::Response;
use casevault::{Client, Error, NoteStatus, Session};
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::{App, Ctx, Done, with_session};
use crate::html::{csrf, layout};

/// `GET /caseload`.
pub(crate) async fn page(State(app): State<Arc<App>>) -> Response {
    with_session(app, |s, ctx| Ok(Done::Page(caseload(s, ctx, None)?))).await
}

#[derive(Deserialize)]
pub(crate) struct SearchForm {
    #[serde(default)]
    q: String,
}

/// `POST /caseload`: the clients whose name holds the words searched (posted, so the
/// name never appears in a URL).
pub(crate) async fn search(State(app): State<Arc<App>>, Form(form): Form<SearchForm>) -> Response {
    with_session(app, move |s, ctx| {
        Ok(Done::Page(caseload(
            s,
            ctx,
            Some(form.q.trim().to_owned()),
        )?))
    })
    .await
}

/// True when every word of `query` is in `name`, ignoring case.
pub(crate) fn matches(name: &str, query: &str) -> bool {
    let name = name.to_lowercase();
    query
        .to_lowercase()
        .split_whitespace()
        .all(|word| name.contains(word))
}

fn caseload(s: &mut Session, ctx: &Ctx, query: Option<String>) -> Result<Markup, Error> {
    let clients = s.list_clients()?;
    let searched = query.as_deref().is_some_and(|q| !q.is_empty());
    // In care first; those whose treatment ended (discharged) apart, and both when
    // searching by name.
    let shown: Vec<&Client> = match &query {
        Some(q) if !q.is_empty() => clients.iter().filter(|c| matches(&c.name, q)).collect(),
        _ => clients
            .iter()
            .filter(|c| c.care.treatment_ended.is_none())
            .collect(),
    };
    let discharged: Vec<&Client> = if searched {
        Vec::new()
    } else {
        clients
            .iter()
            .filter(|c| c.care.treatment_ended.is_some())
            .collect()
    };
    let mut drafts = Vec::new();
    let mut no_intake = Vec::new();
    for client in &clients {
        let details = s.client_details(client.id.as_str())?;
        if details.intake.is_empty() {
            no_intake.push(client);
        }
        for note in s.notes_for_client(client.id.as_str())? {
            if note.status == NoteStatus::Draft
                && !drafts
                    .iter()
                    .any(|(n, _): &(casevault::Note, &Client)| n.id == note.id)
            {
                drafts.push((note, client));
            }
        }
    }
    Ok(layout(
        "Caseload",
        ctx,
        html! {
            h1 { "Caseload" }
            form method="post" action="/caseload" role="search" {
                (csrf(ctx))
                label for="q" { "Find a client by name" }
                input type="text" id="q" name="q" value=(query.clone().unwrap_or_default());
                button type="submit" { "Find" }
            }
            @if let Some(q) = &query {
                @if !q.is_empty() {
                    p role="status" { (shown.len()) " client(s) match " strong { (q) } "." }
                }
            }
            (client_table(&shown))
            @if !discharged.is_empty() {
                h2 { "Discharged (treatment ended)" }
                (client_table(&discharged))
            }
            h2 { "Unsigned drafts" }
            @if drafts.is_empty() {
                p { "None." }
            } @else {
                table {
                    thead { tr { th { "Date" } th { "Client" } th { "Note" } } }
                    tbody {
                        @for (note, client) in &drafts {
                            tr {
                                td { (note.date) }
                                td { (client.name) }
                                td { a href={ "/notes/" (note.id) } { "Open draft " (note.id) } }
                            }
                        }
                    }
                }
            }
            h2 { "No intake acknowledgement yet" }
            @if no_intake.is_empty() {
                p { "Every client has acknowledged the limits of confidentiality." }
            } @else {
                ul {
                    @for client in &no_intake {
                        li { a href={ "/clients/" (client.id) "/intake" } { (client.name) } }
                    }
                }
            }
        },
    ))
}

fn client_table(clients: &[&Client]) -> Markup {
    html! {
        @if clients.is_empty() {
            p { "No client." }
        } @else {
            table {
                thead { tr { th { "Name" } th { "Date of birth" } th { "Id" } } }
                tbody {
                    @for c in clients {
                        tr {
                            td { a href={ "/clients/" (c.id) } { (c.name) } }
                            td { (c.date_of_birth.map(|d| d.to_string()).unwrap_or_default()) }
                            td { (c.id) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn every_word_of_the_query_is_in_the_name_whatever_its_case() {
        assert!(matches("Ada Example", "ada"));
        assert!(matches("Ada Example", "EXAMPLE ada"));
        assert!(!matches("Ada Example", "ada lovelace"));
        assert!(matches("Ada Example", "   "));
    }
}
