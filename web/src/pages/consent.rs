//! Consents (the form and the revocation) and intake: the confidentiality handout,
//! generated from the policy in force, printed for the client to keep and sign, and
//! the record of their acknowledgement.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use casevault::{ConsentRecipient, Error, Force, NewConsent, Relationship};
use maud::html;
use serde::Deserialize;

use super::client::optional_date;
use super::today;
use crate::app::{App, Done, with_session};
use crate::html::{csrf, layout};

/// `GET /clients/ID/consents/new`.
pub(crate) async fn new_form(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    with_session(app, move |s, ctx| {
        let client = s.client_details(&id)?.client;
        let (_, policy) = s.policy()?;
        Ok(Done::Page(layout(
            "Record a consent",
            ctx,
            html! {
                h1 { "Consent of " (client.name) }
                form method="post" action={ "/clients/" (client.id) "/consents/new" } {
                    (csrf(ctx))
                    label for="to" { "To whom" }
                    input type="text" id="to" name="recipient" required autocomplete="off";
                    label for="org" { "Their organization (optional)" }
                    input type="text" id="org" name="organization" autocomplete="off";
                    fieldset {
                        legend { "For what purpose" }
                        @for p in &policy.purposes {
                            label { input type="checkbox" name="purpose" value=(p); " " (p) }
                        }
                    }
                    fieldset {
                        legend { "What may go" }
                        @for c in &policy.categories {
                            label { input type="checkbox" name="category" value=(c); " " (c) }
                        }
                    }
                    label for="effective" { "From" }
                    input type="date" id="effective" name="effective" required value=(today());
                    label for="expires" { "Until" }
                    input type="date" id="expires" name="expires" required;
                    label for="rel" { "Signed by" }
                    select id="rel" name="relationship" {
                        option value="self" { "the client" }
                        option value="guardian" { "a parent or guardian" }
                        option value="representative" { "a legal representative" }
                    }
                    label for="signer" { "Name of who signed, if not the client" }
                    input type="text" id="signer" name="signed_by" autocomplete="off";
                    button type="submit" { "Record the consent" }
                }
            },
        )))
    })
    .await
}

/// `POST /clients/ID/consents/new`.
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
                .map_or("", |(_, v)| v.trim())
        };
        let all = |name: &str| -> Vec<String> {
            fields
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let relationship = match get("relationship") {
            "guardian" => Relationship::Guardian,
            "representative" => Relationship::Representative,
            _ => Relationship::Client,
        };
        let organization = get("organization");
        let effective = optional_date("from", get("effective"))?
            .ok_or_else(|| Error::InvalidInput("give the day the consent starts".into()))?;
        let expires = optional_date("until", get("expires"))?
            .ok_or_else(|| Error::InvalidInput("give the day the consent ends".into()))?;
        s.add_consent(NewConsent {
            client: id.as_str().into(),
            recipient: ConsentRecipient {
                name: get("recipient").to_owned(),
                organization: (!organization.is_empty()).then(|| organization.to_owned()),
                public_key: None,
            },
            purposes: all("purpose"),
            categories: all("category"),
            excluded: Vec::new(),
            effective,
            expires,
            signed_by: get("signed_by").to_owned(),
            relationship,
            tpo: None,
        })?;
        Ok(Done::See(format!("/clients/{id}")))
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct RevokeForm {
    #[serde(default)]
    in_writing: Option<String>,
}

/// `POST /consents/ID/revoke`: revoked from today.
pub(crate) async fn revoke(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Response {
    with_session(app, move |s, _| {
        let consent = s.revoke_consent(&id, today(), form.in_writing.is_some())?;
        Ok(Done::See(format!("/clients/{}", consent.client)))
    })
    .await
}

/// `GET /clients/ID/intake`: the handout, in plain words from the policy in force, and
/// the form that records the client's acknowledgement.
pub(crate) async fn intake(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    with_session(app, move |s, ctx| {
        let details = s.client_details(&id)?;
        let client = &details.client;
        let (_, policy) = s.policy()?;
        let limits: Vec<&casevault::Exception> =
            policy.exceptions.iter().filter(|e| e.denial.is_none()).collect();
        Ok(Done::Page(layout(
            "Confidentiality handout",
            ctx,
            html! {
                article.handout aria-labelledby="handout-title" {
                    h1 id="handout-title" { "What stays in the room, and where it ends" }
                    p { "For " strong { (client.name) } ". Under " (policy.name) "." }
                    p { "What you say in sessions is kept in confidence and in an encrypted record. Nothing leaves without your written consent, except in the cases below, which the law sets." }
                    h2 { "When information may leave without your consent" }
                    ul {
                        @for e in &limits {
                            li {
                                (e.description)
                                @if e.force == Force::Required { " " strong { "(the law requires it)" } }
                            }
                        }
                    }
                    @if let Some(rights) = &policy.rights {
                        h2 { "Your rights" }
                        p { (rights.summary) }
                    }
                    @if let Some(retention) = &policy.retention {
                        h2 { "How long your record is kept" }
                        p { (retention.summary) }
                    }
                    p { "Signed: ______________________________   Date: ______________" }
                }
                p.no-print { "Print this handout (the menu and forms are left out), give it to the client, and record when they acknowledged it." }
                @if !details.intake.is_empty() {
                    p.ok role="status" { "Acknowledged on " (details.intake.iter().map(|i| i.acknowledged_on.to_string()).collect::<Vec<_>>().join(", ")) "." }
                }
                form method="post" action={ "/clients/" (client.id) "/intake" } {
                    (csrf(ctx))
                    label for="on" { "Acknowledged on" }
                    input type="date" id="on" name="on" required value=(today());
                    button type="submit" { "Record the acknowledgement" }
                }
            },
        )))
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct AcknowledgeForm {
    on: String,
}

/// `POST /clients/ID/intake`.
pub(crate) async fn acknowledge(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Form(form): Form<AcknowledgeForm>,
) -> Response {
    with_session(app, move |s, _| {
        let on = optional_date("acknowledged on", &form.on)?
            .ok_or_else(|| Error::InvalidInput("give the day of the acknowledgement".into()))?;
        s.record_intake(&id, on)?;
        Ok(Done::See(format!("/clients/{id}")))
    })
    .await
}
