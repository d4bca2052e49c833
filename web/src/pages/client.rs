//! A client: the profile, notes, consents, intake, and the ways to act on them; a new
//! client; the end of treatment; the page a client is given about their record.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use casevault::{CareChange, Date, Error, NewClient, NoteStatus};
use maud::html;
use serde::Deserialize;

use super::today;
use crate::app::{App, Done, with_session};
use crate::html::{csrf, layout, local};

/// `GET /clients/new`.
pub(crate) async fn new_form(State(app): State<Arc<App>>) -> Response {
    with_session(app, |_, ctx| {
        Ok(Done::Page(layout(
            "New client",
            ctx,
            html! {
                h1 { "New client" }
                form method="post" action="/clients/new" {
                    (csrf(ctx))
                    label for="name" { "Name" }
                    input type="text" id="name" name="name" required autocomplete="off";
                    label for="dob" { "Date of birth (optional)" }
                    input type="date" id="dob" name="dob";
                    label for="contact" { "Contact (optional)" }
                    input type="text" id="contact" name="contact" autocomplete="off";
                    label for="third" { "Others named in sessions (one per line; redacted from what leaves)" }
                    textarea id="third" name="third_parties" {}
                    button type="submit" { "Add the client" }
                }
            },
        )))
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct NewClientForm {
    name: String,
    #[serde(default)]
    dob: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    third_parties: String,
}

/// Reads an optional date field: empty is none, anything else must be a date.
pub(crate) fn optional_date(what: &str, text: &str) -> Result<Option<Date>, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<Date>()
        .map(Some)
        .map_err(|_| Error::InvalidInput(format!("{what}: {text:?} is not a date (YYYY-MM-DD)")))
}

/// `POST /clients/new`.
pub(crate) async fn create(
    State(app): State<Arc<App>>,
    Form(form): Form<NewClientForm>,
) -> Response {
    with_session(app, move |s, _| {
        let contact = form.contact.trim();
        let id = s.add_client(NewClient {
            name: form.name.trim().to_owned(),
            date_of_birth: optional_date("date of birth", &form.dob)?,
            contact: (!contact.is_empty()).then(|| contact.to_owned()),
            third_parties: form
                .third_parties
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            ..NewClient::default()
        })?;
        Ok(Done::See(format!("/clients/{id}")))
    })
    .await
}

/// `GET /clients/ID`.
pub(crate) async fn page(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    with_session(app, move |s, ctx| {
        let details = s.client_details(&id)?;
        let client = &details.client;
        let notes = s.notes_for_client(&id)?;
        let consents = s.consents_for_client(&id)?;
        let today = today();
        Ok(Done::Page(layout(
            &client.name,
            ctx,
            html! {
                h1 { (client.name) }
                dl {
                    dt { "Id" } dd { (client.id) }
                    @if let Some(dob) = client.date_of_birth { dt { "Date of birth" } dd { (dob) } }
                    @if let Some(contact) = &client.contact { dt { "Contact" } dd { (contact) } }
                    @if !client.third_parties.is_empty() {
                        dt { "Others named in sessions" } dd { (client.third_parties.join(", ")) }
                    }
                    @if let Some(ended) = client.care.treatment_ended { dt { "Treatment ended" } dd { (ended) } }
                    @if let Some(hold) = &client.care.legal_hold { dt { "Legal hold" } dd { (hold.reason) } }
                }
                nav aria-label="Client actions" {
                    ul {
                        li { a href={ "/clients/" (client.id) "/notes/new" } { "New note" } }
                        li { a href={ "/clients/" (client.id) "/consents/new" } { "Record a consent" } }
                        li { a href={ "/clients/" (client.id) "/intake" } { "Intake: confidentiality handout" } }
                        li { a href={ "/clients/" (client.id) "/release" } { "Release of information" } }
                        li { a href={ "/clients/" (client.id) "/accounting" } { "Accounting of disclosures" } }
                        li { a href={ "/clients/" (client.id) "/page" } { "The client's page about their record" } }
                    }
                }
                h2 { "Notes" }
                @if notes.is_empty() { p { "No note yet." } } @else {
                    table {
                        thead { tr { th { "Date" } th { "Type" } th { "Status" } th { "Note" } } }
                        tbody {
                            @for n in &notes {
                                tr {
                                    td { (n.date) }
                                    td { (n.note_type.as_str()) }
                                    td { @match &n.status { NoteStatus::Draft => "draft", NoteStatus::Signed { .. } => "signed" } }
                                    td { a href={ "/notes/" (n.id) } { "Open " (n.id) } }
                                }
                            }
                        }
                    }
                }
                h2 { "Consents" }
                @if consents.is_empty() { p { "No consent recorded." } } @else {
                    table {
                        thead { tr { th { "To" } th { "For" } th { "What" } th { "From–to" } th { "State" } th {} } }
                        tbody {
                            @for c in &consents {
                                tr {
                                    td { (c.recipient.name) }
                                    td { (c.purposes.join(", ")) }
                                    td { (c.categories.join(", ")) }
                                    td { (c.effective) " – " (c.expires) }
                                    td { (c.state_on(today)) }
                                    td {
                                        @if c.revoked.is_none() {
                                            form method="post" action={ "/consents/" (c.id) "/revoke" } {
                                                (csrf(ctx))
                                                label { input type="checkbox" name="in_writing" value="yes"; " revoked in writing" }
                                                button.quiet type="submit" { "Revoke " span.hint { "consent to " (c.recipient.name) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                h2 { "Intake" }
                @if details.intake.is_empty() {
                    p { "The limits of confidentiality have not been acknowledged yet. "
                        a href={ "/clients/" (client.id) "/intake" } { "Print the handout and record it" } "." }
                } @else {
                    ul {
                        @for i in &details.intake {
                            li { "Acknowledged on " (i.acknowledged_on) " under “" (i.policy_name) "” (recorded " (local(i.recorded_at, ctx)) ")" }
                        }
                    }
                }
                h2 { "Edit the profile" }
                form method="post" action={ "/clients/" (client.id) "/profile" } {
                    (csrf(ctx))
                    label for="p-name" { "Name" }
                    input type="text" id="p-name" name="name" required autocomplete="off" value=(client.name);
                    label for="p-dob" { "Date of birth (empty: not known)" }
                    input type="date" id="p-dob" name="dob" value=(client.date_of_birth.map(|d| d.to_string()).unwrap_or_default());
                    label for="p-contact" { "Contact (empty: none)" }
                    input type="text" id="p-contact" name="contact" autocomplete="off" value=(client.contact.clone().unwrap_or_default());
                    label for="p-third" { "Others named in sessions (one per line)" }
                    textarea id="p-third" name="third_parties" { (client.third_parties.join("\n")) }
                    button type="submit" { "Save the profile" }
                }
                h2 { "End of treatment" }
                form method="post" action={ "/clients/" (client.id) "/care" } {
                    (csrf(ctx))
                    label for="ended" { "Treatment ended on" }
                    input type="date" id="ended" name="treatment_ended" required;
                    button type="submit" { "Record the end of treatment" }
                }
            },
        )))
    })
    .await
}

/// `POST /clients/ID/profile`: the whole profile as the form shows it.
pub(crate) async fn profile(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Form(form): Form<NewClientForm>,
) -> Response {
    with_session(app, move |s, _| {
        let contact = form.contact.trim();
        s.edit_profile(
            &id,
            casevault::ProfileChange {
                name: Some(form.name.trim().to_owned()),
                contact: Some((!contact.is_empty()).then(|| contact.to_owned())),
                date_of_birth: Some(optional_date("date of birth", &form.dob)?),
                third_parties: Some(
                    form.third_parties
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect(),
                ),
            },
        )?;
        Ok(Done::See(format!("/clients/{id}")))
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct CareForm {
    treatment_ended: String,
}

/// `POST /clients/ID/care`: records the end of treatment.
pub(crate) async fn care(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Form(form): Form<CareForm>,
) -> Response {
    with_session(app, move |s, _| {
        let ended = optional_date("the end of treatment", &form.treatment_ended)?
            .ok_or_else(|| Error::InvalidInput("give the day treatment ended".into()))?;
        s.change_care(
            &id,
            CareChange {
                treatment_ended: Some(ended),
                ..CareChange::default()
            },
            today(),
        )?;
        Ok(Done::See(format!("/clients/{id}")))
    })
    .await
}

/// `GET /clients/ID/page`: the page a client is given about their record, to print.
pub(crate) async fn client_page(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    with_session(app, move |s, ctx| {
        let page = s.client_page(&id, today())?;
        let text = casevault::render_client_page(&page);
        Ok(Done::Page(layout(
            "The client's page",
            ctx,
            html! {
                p.no-print.hint { "Print this page (the menu and buttons are left out) and give it to the client." }
                pre.preview { (text) }
            },
        )))
    })
    .await
}
