//! The accounting of disclosures, and the audit trail with its filters and its check.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use casevault::{AuditEvent, EventTime};
use maud::html;
use serde::Deserialize;

use super::client::optional_date;
use crate::app::{App, Ctx, Done, with_session};
use crate::html::{csrf, layout, local};

/// `GET /clients/ID/accounting`: every disclosure of the client's information.
pub(crate) async fn accounting(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    with_session(app, move |s, ctx| {
        let client = s.client_details(&id)?.client;
        let entries = s.accounting(&id)?;
        Ok(Done::Page(layout(
            "Accounting of disclosures",
            ctx,
            html! {
                h1 { "Accounting of disclosures: " (client.name) }
                @if entries.is_empty() {
                    p { "Nothing of this client's record has left the practice." }
                } @else {
                    table {
                        thead { tr { th { "Date" } th { "To" } th { "Purpose" } th { "What" } th { "Basis" } } }
                        tbody {
                            @for e in &entries {
                                tr {
                                    td { (e.disclosed_on) }
                                    td { (e.recipient) }
                                    td { (e.purpose) @if e.client_request { " (the client's own request)" } }
                                    td { (e.description) }
                                    td { (e.basis) }
                                }
                            }
                        }
                    }
                }
            },
        )))
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct AuditFilter {
    #[serde(default)]
    client: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
}

/// True when `event` passes the filters: touching a record of `client` (its profile,
/// or any record whose id is given), appended by `member`, on a day in the range.
fn passes(
    event: &AuditEvent,
    f: &AuditFilter,
    from: Option<casevault::Date>,
    until: Option<casevault::Date>,
) -> bool {
    let client = f.client.trim();
    let member = f.member.trim();
    let day = match event.at {
        EventTime::At(t) => Some(t.date_utc()),
        EventTime::Unreadable => None,
    };
    (client.is_empty() || event.targets.iter().any(|t| t.id == client))
        && (member.is_empty() || event.member.as_deref() == Some(member) || event.actor == member)
        && from.is_none_or(|from| day.is_some_and(|d| d >= from))
        && until.is_none_or(|until| day.is_some_and(|d| d <= until))
}

/// `GET /audit[?client=ID&member=NAME&from=DATE&until=DATE]`: ids, names and dates
/// only in the query, never a record's text.
pub(crate) async fn audit(State(app): State<Arc<App>>, Query(f): Query<AuditFilter>) -> Response {
    with_session(app, move |s, ctx| {
        let from = optional_date("from", &f.from)?;
        let until = optional_date("until", &f.until)?;
        let events: Vec<AuditEvent> = s
            .audit_log()?
            .into_iter()
            .filter(|e| passes(e, &f, from, until))
            .collect();
        Ok(Done::Page(trail_page(ctx, &f, &events, None)))
    })
    .await
}

fn trail_page(
    ctx: &Ctx,
    f: &AuditFilter,
    events: &[AuditEvent],
    verified: Option<maud::Markup>,
) -> maud::Markup {
    layout(
        "Audit trail",
        ctx,
        html! {
            h1 { "Audit trail" }
            @if let Some(v) = verified { (v) }
            form method="post" action="/audit/verify" {
                (csrf(ctx))
                button type="submit" { "Verify the trail" }
            }
            form method="get" action="/audit" {
                label for="client" { "Client id" }
                input type="text" id="client" name="client" value=(f.client);
                label for="member" { "Member" }
                input type="text" id="member" name="member" value=(f.member);
                label for="from" { "From" }
                input type="date" id="from" name="from" value=(f.from);
                label for="until" { "Until" }
                input type="date" id="until" name="until" value=(f.until);
                button.quiet type="submit" { "Filter" }
            }
            p role="status" { (events.len()) " event(s)." }
            table {
                thead { tr { th { "#" } th { "When" } th { "Who" } th { "What" } th { "Records" } th { "Outcome" } } }
                tbody {
                    @for e in events.iter().rev() {
                        tr {
                            td { (e.seq) }
                            td { @match e.at { EventTime::At(t) => (local(t, ctx)), EventTime::Unreadable => "an unreadable time" } }
                            td { (e.member.clone().unwrap_or_else(|| e.actor.clone())) }
                            td { (e.action.as_str()) @if let Some(p) = &e.purpose { br; span.hint { (p) } } }
                            td { (e.targets.iter().map(|t| format!("{} {}", t.kind, t.id)).collect::<Vec<_>>().join(", ")) }
                            td { (e.outcome.to_string()) }
                        }
                    }
                }
            }
        },
    )
}

/// `POST /audit/verify`: the whole check, as `casevault audit verify` runs it.
pub(crate) async fn verify(State(app): State<Arc<App>>) -> Response {
    with_session(app, move |s, ctx| {
        let report = s.verify_audit(None)?;
        let verdict = html! {
            @if report.findings.is_empty() {
                p.ok role="status" { "The audit trail is intact: " (report.events) " events, " (report.records) " records match their last audited write. Anchor: " code { (report.anchor) } }
            } @else {
                div role="alert" {
                    p.error { "The audit trail is NOT intact:" }
                    ul { @for finding in &report.findings { li { (finding.to_string()) } } }
                }
            }
        };
        let f = AuditFilter { client: String::new(), member: String::new(), from: String::new(), until: String::new() };
        let events = s.audit_log()?;
        Ok(Done::Page(trail_page(ctx, &f, &events, Some(verdict))))
    })
    .await
}
