//! The browser's side of the trust boundary, checked before any page runs: the Host
//! (a page of another site that rebinds its name to 127.0.0.1 is refused), the session
//! cookie (only the browser that opened the launch link), and for every write the
//! Origin and the CSRF token (a page of another origin cannot post). Every response,
//! refusals included, carries headers that forbid caching, framing, referrers, sniffing
//! and any script or asset but this server's stylesheet.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::{App, BODY_LIMIT, COOKIE, value};
use crate::html::status_page;

/// The Content-Security-Policy of every response: nothing runs, nothing loads from
/// elsewhere, nothing frames the app, and forms post only here.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the protective headers to a response.
pub(crate) async fn headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, value(CSP));
    h.insert(header::CACHE_CONTROL, value("no-store"));
    h.insert(header::PRAGMA, value("no-cache"));
    h.insert(header::X_FRAME_OPTIONS, value("DENY"));
    h.insert(header::REFERRER_POLICY, value("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, value("nosniff"));
    h.insert("cross-origin-opener-policy", value("same-origin"));
    h.insert("cross-origin-resource-policy", value("same-origin"));
    response
}

/// The session cookie's value in a request, if it carries one.
fn cookie(request: &Request) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// True when a write comes from this server's own pages. The Origin names this server;
/// or, since `Referrer-Policy: no-referrer` makes a browser send `Origin: null` even
/// for its own forms, the Origin is `null` and the browser's own Fetch Metadata (which
/// no page can set) says `Sec-Fetch-Site: same-origin`.
fn same_origin(request: &Request, authority: &str) -> bool {
    let get = |name| {
        request
            .headers()
            .get(name)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
    };
    let origin = get(header::ORIGIN.as_str());
    if origin == format!("http://{authority}") {
        return !from_elsewhere(request);
    }
    origin == "null" && get("sec-fetch-site") == "same-origin"
}

/// True when the browser says another site, or another port of this one, made the
/// request (`Sec-Fetch-Site`, which no page can set): a page elsewhere on this machine
/// must neither read through the app nor keep its session awake.
fn from_elsewhere(request: &Request) -> bool {
    matches!(
        request
            .headers()
            .get("sec-fetch-site")
            .and_then(|h| h.to_str().ok()),
        Some("cross-site" | "same-site")
    )
}

/// Checks a request before its page runs.
pub(crate) async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let authority = app.authority();
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if host != authority {
        return status_page(
            StatusCode::MISDIRECTED_REQUEST,
            "Wrong address",
            "casevault answers only at the address `casevault serve` printed, with its port.",
        );
    }
    let path = request.uri().path();
    // The launch link comes from outside (the terminal, the opener page).
    if path.starts_with("/launch/") {
        return next.run(request).await;
    }
    if from_elsewhere(&request) {
        return status_page(
            StatusCode::FORBIDDEN,
            "Refused",
            "casevault answers only its own pages, not a page of another site or port.",
        );
    }
    if path == "/assets/app.css" {
        return next.run(request).await;
    }
    if !cookie(&request).is_some_and(|c| app.is_session(&c)) {
        return status_page(
            StatusCode::FORBIDDEN,
            "Open casevault from its link",
            "This browser has no session: open the link `casevault serve` printed (it works once), or start `casevault serve` again.",
        );
    }
    if request.method() == Method::GET || request.method() == Method::HEAD {
        app.touch();
        return next.run(request).await;
    }
    if !same_origin(&request, &authority) {
        return status_page(
            StatusCode::FORBIDDEN,
            "Refused",
            "A change must come from casevault's own pages; nothing was changed.",
        );
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return status_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too large",
            "The form is larger than casevault takes (2 MiB); nothing was changed.",
        );
    };
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let csrf = fields
        .iter()
        .find(|(name, _)| name == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if !app.is_csrf(csrf) {
        return status_page(
            StatusCode::FORBIDDEN,
            "Refused",
            "The form was not one of this session's (its token is missing or stale): reload the page and try again; nothing was changed.",
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
