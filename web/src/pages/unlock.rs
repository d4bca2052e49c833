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
use crate::html::{bare, bare_moving, page_response, status_page};

/// `GET /launch/TOKEN`: the first browser to follow the printed link gets the session
/// cookie; the link never works again.
pub(crate) async fn launch(State(app): State<Arc<App>>, Path(token): Path<String>) -> Response {
    match app.launch(&token) {
        // A page of the app's own that moves on to the unlock form: a redirect would
        // carry on the navigation from outside (a terminal, the opener page), and
        // the browser keeps a SameSite=Strict cookie from such a navigation.
        Some(cookie) => {
            let mut response = page_response(bare_moving(
                "Opening",
                Some("/unlock"),
                html! {
                    h1 { "Opening casevault…" }
                    p { a href="/unlock" { "Continue to the unlock page" } }
                },
            ));
            let (name, value) = set_cookie(&cookie);
            response.headers_mut().insert(name, value);
            response
        }
        None => status_page(
            StatusCode::FORBIDDEN,
            "This link does not open casevault",
            "A launch link works once, in one browser. Start `casevault serve` again for a new one.",
        ),
    }
}

/// `GET /unlock`: the member's name and passphrase, unless unlocked already.
pub(crate) async fn form(State(app): State<Arc<App>>) -> Response {
    if app.unlocked() {
        return Redirect::to("/caseload").into_response();
    }
    page_response(unlock_page(&app.csrf, app.take_locked_because(), None))
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
        let mut vault = casevault::Vault::open(&worker.vault)?;
        if let Some(pins) = &worker.pins {
            vault = vault.with_pins(pins);
        }
        let session = vault.unlock_member(&secret, &actor, named)?;
        let name = session.member().to_owned();
        // The idle time counts from the unlock, not from the request that began it.
        worker.set_session(session, name);
        Ok::<(), casevault::Error>(())
    })
    .await;
    match result {
        Ok(Ok(())) => Redirect::to("/caseload").into_response(),
        Ok(Err(e)) => {
            let mut response = page_response(unlock_page(&app.csrf, None, Some(&e.to_string())));
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
    app.lock_now("Locked. The keys were dropped from memory.");
    Redirect::to("/unlock").into_response()
}
