//! Release of information: choose the recipient, purpose and categories; see the
//! decision, category by category with its reason, and exactly what would leave,
//! redacted, before anything is written; then download the export, encrypted to a
//! passphrase given to the recipient by another way.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use casevault::{
    Basis, Decision, DisclosureRequest, Error, ExceptionRequest, ExportEncryption, ExportFormat,
    ExportOptions, Obligation, Session,
};
use maud::{Markup, html};
use secrecy::SecretString;

use super::client::optional_date;
use super::today;
use crate::app::{App, Ctx, Done, value, with_session};
use crate::html::{csrf, layout};

/// `GET /clients/ID/release`.
pub(crate) async fn form(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    with_session(app, move |s, ctx| {
        let client = s.client_details(&id)?.client;
        let (_, policy) = s.policy()?;
        Ok(Done::Page(layout(
            "Release of information",
            ctx,
            html! {
                h1 { "Release of information: " (client.name) }
                p.hint { "Nothing leaves at this step: the next page shows the decision and exactly what would go." }
                form method="post" action={ "/clients/" (client.id) "/release" } {
                    (csrf(ctx))
                    label for="to" { "Recipient" }
                    input type="text" id="to" name="recipient" required autocomplete="off" aria-describedby="to-hint";
                    p.hint id="to-hint" { "Their name as on the consent; “client” for the client's own request." }
                    label for="kind" { "Kind of recipient (optional)" }
                    select id="kind" name="recipient_kind" {
                        option value="" { "—" }
                        @for k in &policy.recipient_kinds { option value=(k) { (k) } }
                    }
                    label for="purpose" { "Purpose" }
                    select id="purpose" name="purpose" required {
                        @for p in &policy.purposes { option value=(p) { (p) } }
                    }
                    fieldset {
                        legend { "What would go" }
                        @for c in &policy.categories {
                            label { input type="checkbox" name="category" value=(c); " " (c) }
                        }
                    }
                    label for="from" { "Notes from (optional)" }
                    input type="date" id="from" name="from";
                    label for="until" { "Notes until (optional)" }
                    input type="date" id="until" name="until";
                    details {
                        summary { "Under a legal exception instead of consent" }
                        label for="exception" { "Exception" }
                        select id="exception" name="exception" {
                            option value="" { "— (under the client's consent)" }
                            @for e in policy.exceptions.iter().filter(|e| e.denial.is_none()) {
                                option value=(e.kind) { (e.kind) }
                            }
                        }
                        label for="why" { "Why it applies" }
                        textarea id="why" name="justification" {}
                        label for="reference" { "The order's or report's reference" }
                        input type="text" id="reference" name="reference" autocomplete="off";
                    }
                    button type="submit" { "See the decision" }
                }
            },
        )))
    })
    .await
}

/// The request the form's fields make.
fn request_of(client: &str, fields: &[(String, String)]) -> Result<DisclosureRequest, Error> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.trim())
    };
    let categories: Vec<String> = fields
        .iter()
        .filter(|(n, _)| n == "category")
        .map(|(_, v)| v.clone())
        .collect();
    let kind = get("recipient_kind");
    let exception = get("exception");
    let reference = get("reference");
    Ok(DisclosureRequest {
        client: client.into(),
        recipient: get("recipient").to_owned(),
        purpose: get("purpose").to_owned(),
        categories,
        consent: None,
        exception: (!exception.is_empty()).then(|| ExceptionRequest {
            kind: exception.to_owned(),
            justification: get("justification").to_owned(),
            reference: (!reference.is_empty()).then(|| reference.to_owned()),
            order_categories: Vec::new(),
            about: None,
        }),
        from: optional_date("notes from", get("from"))?,
        until: optional_date("notes until", get("until"))?,
        recipient_kind: (!kind.is_empty()).then(|| kind.to_owned()),
    })
}

/// The request again, as hidden fields of the next form.
fn carried(fields: &[(String, String)]) -> Markup {
    html! {
        @for (name, v) in fields {
            @if name != "csrf" && name != "export_passphrase" && name != "export_passphrase_again" {
                input type="hidden" name=(name) value=(v);
            }
        }
    }
}

fn decision_table(d: &Decision) -> Markup {
    html! {
        p { "Basis: "
            @match &d.basis {
                Basis::Consent { .. } => "the client's consent",
                Basis::Exception { .. } => "a legal exception",
                Basis::ClientRequest => "the client's own request",
            }
            @if d.required { " " strong { "(the law requires this disclosure)" } }
        }
        table {
            thead { tr { th { "Category" } th { "Decision" } th { "Why" } } }
            tbody {
                @for v in &d.verdicts {
                    tr {
                        td { (v.category) }
                        td class=(if v.permitted { "permitted" } else { "denied" }) {
                            @if v.permitted { "permitted" } @else { "DENIED" }
                        }
                        td { (v.reason) }
                    }
                }
            }
        }
        @let withheld: Vec<_> = d.joint_notes.iter().filter(|j| !j.permitted).collect();
        @if !withheld.is_empty() {
            p { "Joint notes withheld whole (another participant has not agreed): "
                (withheld.iter().map(|j| format!("{} of {}", j.note, j.date)).collect::<Vec<_>>().join(", ")) }
        }
        @if !d.obligations.is_empty() {
            h2 { "What it obliges" }
            ul {
                @for o in &d.obligations {
                    li { @match o {
                        Obligation::AccountingEntry => "It goes into the client's accounting of disclosures.",
                        Obligation::AccountingClientRequest => "It goes into the client's accounting, marked as their own request.",
                        Obligation::RedisclosureNotice { .. } => "The redisclosure notice goes with it.",
                        Obligation::TellClient => "Tell the client of it, unless that is unsafe.",
                        Obligation::RedactThirdParties => "Others' names are redacted.",
                        Obligation::LockboxNotice { .. } => "The recipient is told that something was withheld at the client's instruction.",
                    } }
                }
            }
        }
    }
}

/// `POST /clients/ID/release`: the decision, stored as a dry run, and when every
/// category is permitted the export's text exactly as it would leave, then the form
/// that writes it.
pub(crate) async fn decide(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    with_session(app, move |s, ctx| {
        let request = request_of(&id, &fields)?;
        let preview = preview(s, &request)?;
        let decision = &preview.decision.decision;
        Ok(Done::Page(layout(
            "The decision",
            ctx,
            html! {
                h1 { "The decision" }
                p { "To " strong { (request.recipient) } " for " (request.purpose) ", decided under " (decision.policy) "." }
                (decision_table(decision))
                @if let Some(text) = &preview.text {
                    h2 { "Exactly what would leave" }
                    pre.preview aria-label="What would leave" { (text.as_str()) }
                    (export_form(&id, &fields, ctx))
                } @else {
                    p.error role="alert" { "Denied: nothing can leave as asked. Narrow the request to what is permitted, or record the consent it needs." }
                    p { a href={ "/clients/" (id) "/release" } { "Change the request" } }
                }
            },
        )))
    })
    .await
}

fn export_form(id: &str, fields: &[(String, String)], ctx: &Ctx) -> Markup {
    html! {
        h2 { "Write the export" }
        form method="post" action={ "/clients/" (id) "/release/export" } {
            (csrf(ctx))
            (carried(fields))
            label for="pass" { "A passphrase for the recipient (at least 10 characters; give it to them by another way)" }
            input type="password" id="pass" name="export_passphrase" required minlength="10" autocomplete="new-password";
            label for="pass2" { "The passphrase again" }
            input type="password" id="pass2" name="export_passphrase_again" required minlength="10" autocomplete="new-password";
            button type="submit" { "Release and download the encrypted export" }
        }
    }
}

/// The decision, stored as a dry run, and when it permits everything the export's
/// text exactly as it would leave.
fn preview(s: &mut Session, request: &DisclosureRequest) -> Result<casevault::Preview, Error> {
    s.preview_disclosure(request, today(), ExportFormat::Markdown)
}

/// `POST /clients/ID/release/export`: the disclosure itself, written encrypted to a
/// private temporary file, sent as a download and removed.
pub(crate) async fn export(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    // Only the id's letters and digits go into the header (a client's id is hex; the
    // path could hold anything).
    let safe: String = id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect();
    let file_name = format!("casevault-release-{safe}-{}.md.age", today());
    let worker = app.clone();
    let got = {
        let fields = fields.clone();
        with_session_bytes(worker, move |s| {
            let get = |name: &str| {
                fields
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or("", |(_, v)| v.as_str())
            };
            let pass = get("export_passphrase");
            if pass != get("export_passphrase_again") {
                return Err(Error::InvalidInput(
                    "the two passphrases differ; nothing was released".into(),
                ));
            }
            if pass.chars().count() < 10 {
                return Err(Error::InvalidInput(
                    "the export passphrase is shorter than 10 characters; nothing was released"
                        .into(),
                ));
            }
            let request = request_of(&id, &fields)?;
            let dir = tempfile::tempdir().map_err(|e| {
                Error::InvalidInput(format!("cannot make a private temporary directory: {e}"))
            })?;
            let out = dir.path().join("export.md.age");
            s.disclose(
                &request,
                today(),
                &ExportOptions {
                    format: ExportFormat::Markdown,
                    encryption: ExportEncryption::Passphrase(casevault::normalize_passphrase(
                        &SecretString::from(pass.to_owned()),
                    )),
                    out: out.clone(),
                },
            )?;
            std::fs::read(&out).map_err(|e| {
                Error::InvalidInput(format!(
                    "the export was written but cannot be read back: {e}"
                ))
            })
        })
        .await
    };
    match got {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, value("application/octet-stream")),
                (
                    header::CONTENT_DISPOSITION,
                    value(&format!("attachment; filename=\"{file_name}\"")),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(response) => response,
    }
}

/// [`with_session`] for a call that ends in bytes to download: the page of its error
/// otherwise.
async fn with_session_bytes<F>(app: Arc<App>, f: F) -> Result<Vec<u8>, Response>
where
    F: FnOnce(&mut Session) -> Result<Vec<u8>, Error> + Send + 'static,
{
    let slot = Arc::new(std::sync::Mutex::new(None));
    let put = slot.clone();
    let response = with_session(app, move |s, _| {
        let bytes = f(s)?;
        *put.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(bytes);
        Ok(Done::See(String::new()))
    })
    .await;
    let taken = slot
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    taken.ok_or(response)
}
