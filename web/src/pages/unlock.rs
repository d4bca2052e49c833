//! The launch link, the unlock form and the lock button.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use secrecy::SecretString;
use serde::Deserialize;
use zeroize::Zeroize;

use crate::app::{App, set_cookie};
use crate::html::{bare, page_response, status_page};

/// `GET /launch/TOKEN`: the first browser to follow the printed link gets the session
/// cookie; the link never works again.
pub(crate) async fn launch(State(app): State<Arc<App>>, Path(token): Path<String>) -> Response {
    match app.launch(&token) {
        Some(cookie) => ([set_cookie(&cookie)], Redirect::to("/unlock")).into_response(),
        None => status_page(
            StatusCode::FORBIDDEN,
            "This link does not open casevault",
            "A launch link works once, in one browser. Start `casevault serve` again for a new one.",
        ),
    }
}

/// `GET /unlock`: the member's name and passphrase, unless unlocked already.
pub(crate) async fn form(State(app): State<Arc<App>>) -> Response {
    let (csrf, unlocked, why) = {
        let mut web = app.web();
        (
            web.csrf.clone(),
            web.session.is_some(),
            web.locked_because.take(),
        )
    };
    if unlocked {
        return Redirect::to("/caseload").into_response();
    }
    page_response(unlock_page(&csrf, why, None))
}

fn unlock_page(csrf: &str, why: Option<&str>, error: Option<&str>) -> maud::Markup {
    bare(
        "Unlock",
        html! {
            h1 { "Unlock the vault" }
            @if let Some(why) = why { p.hint role="status" { (why) } }
            @if let Some(error) = error { p.error role="alert" { (error) } }
            form method="post" action="/unlock" {
                input type="hidden" name="csrf" value=(csrf);
                label for="member" { "Member" }
                input type="text" id="member" name="member" autocomplete="username"
                    aria-describedby="member-hint";
                p.hint id="member-hint" { "Your name in the practice; leave it empty in a vault of one." }
                label for="passphrase" { "Passphrase" }
                input type="password" id="passphrase" name="passphrase" autocomplete="current-password" required;
                button type="submit" { "Unlock" }
            }
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct UnlockForm {
    #[serde(default)]
    member: String,
    passphrase: String,
}

/// `POST /unlock`: opens the vault as the member (the KDF runs on a blocking thread).
pub(crate) async fn unlock(State(app): State<Arc<App>>, Form(form): Form<UnlockForm>) -> Response {
    let UnlockForm {
        member,
        mut passphrase,
    } = form;
    let secret = SecretString::from(passphrase.clone());
    passphrase.zeroize();
    let worker = app.clone();
    let result = tokio::task::spawn_blocking(move || {
        let member = member.trim().to_owned();
        let named = (!member.is_empty()).then_some(member.as_str());
        // The audit trail's actor: the member, or in a vault of one the user.
        let actor = match named {
            Some(name) => name.to_owned(),
            None => std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_else(|_| "app".to_owned()),
        };
        let vault = casevault::Vault::open(&worker.vault)?;
        let session = vault.unlock_member(&secret, &actor, named)?;
        let name = session.member().to_owned();
        let mut web = worker.web();
        web.session = Some(session);
        web.member = Some(name);
        // The idle time counts from the unlock, not from the request that began it.
        web.last_seen = std::time::Instant::now();
        Ok::<(), casevault::Error>(())
    })
    .await;
    match result {
        Ok(Ok(())) => Redirect::to("/caseload").into_response(),
        Ok(Err(e)) => {
            let csrf = app.web().csrf.clone();
            let mut response = page_response(unlock_page(&csrf, None, Some(&e.to_string())));
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            response
        }
        Err(_) => status_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Unlocking stopped. Try again.",
        ),
    }
}

/// `POST /lock`: drops the session's keys at once.
pub(crate) async fn lock(State(app): State<Arc<App>>) -> Response {
    {
        let mut web = app.web();
        web.session = None;
        web.locked_because = Some("Locked. The keys were dropped from memory.");
    }
    Redirect::to("/unlock").into_response()
}
