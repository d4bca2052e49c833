//! The app's state (one browser session, its CSRF token, the unlocked vault session),
//! the router, and the way a page runs a library call.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use casevault::{Error, ErrorClass, Session};
use maud::Markup;
use rand::RngCore;
use rand::rngs::OsRng;
use subtle::ConstantTimeEq;

use crate::Config;
use crate::html;
use crate::pages;

/// The name of the session cookie.
pub(crate) const COOKIE: &str = "casevault";

/// The largest request body accepted (a note of the largest size the vault takes, as a
/// form, fits).
pub(crate) const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The app: where the vault is, and the one browser session.
pub struct App {
    pub(crate) vault: PathBuf,
    port: u16,
    pub(crate) idle: Duration,
    pub(crate) offset: time::UtcOffset,
    state: Mutex<Web>,
}

/// The browser session: the launch token until it is used, then the cookie and the
/// CSRF token of the one browser that used it, and the vault session while unlocked.
pub(crate) struct Web {
    launch: Option<String>,
    cookie: Option<String>,
    pub(crate) csrf: String,
    pub(crate) session: Option<Session>,
    pub(crate) member: Option<String>,
    pub(crate) last_seen: Instant,
    /// Why the session was last locked, shown once on the unlock page.
    pub(crate) locked_because: Option<&'static str>,
}

fn token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl App {
    pub(crate) fn new(config: Config, port: u16) -> Self {
        App {
            vault: config.vault,
            port,
            idle: config.idle,
            offset: config.offset,
            state: Mutex::new(Web {
                launch: Some(token()),
                cookie: None,
                csrf: token(),
                session: None,
                member: None,
                last_seen: Instant::now(),
                locked_because: None,
            }),
        }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn launch_url(&self) -> String {
        let web = self.web();
        format!(
            "http://127.0.0.1:{}/launch/{}",
            self.port,
            web.launch.as_deref().unwrap_or("used")
        )
    }

    /// The state, even if a thread panicked while holding it (its keys are dropped
    /// then: a poisoned session is locked).
    pub(crate) fn web(&self) -> MutexGuard<'_, Web> {
        match self.state.lock() {
            Ok(web) => web,
            Err(poisoned) => {
                let mut web = poisoned.into_inner();
                web.session = None;
                web
            }
        }
    }

    /// The hosts this server answers to (the Host header), and so the origins its pages
    /// post from.
    pub(crate) fn hosts(&self) -> [String; 2] {
        [
            format!("127.0.0.1:{}", self.port),
            format!("localhost:{}", self.port),
        ]
    }

    /// Exchanges the launch token for the session cookie, once.
    pub(crate) fn launch(&self, given: &str) -> Option<String> {
        let mut web = self.web();
        let launch = web.launch.as_deref()?;
        if !bool::from(launch.as_bytes().ct_eq(given.as_bytes())) {
            return None;
        }
        web.launch = None;
        let cookie = token();
        web.cookie = Some(cookie.clone());
        Some(cookie)
    }

    /// True when `given` is the session cookie.
    pub(crate) fn is_session(&self, given: &str) -> bool {
        let web = self.web();
        web.cookie
            .as_deref()
            .is_some_and(|c| bool::from(c.as_bytes().ct_eq(given.as_bytes())))
    }

    /// True when `given` is the CSRF token of the session.
    pub(crate) fn is_csrf(&self, given: &str) -> bool {
        bool::from(self.web().csrf.as_bytes().ct_eq(given.as_bytes()))
    }

    /// Locks the session (its keys dropped) when it has been idle too long; otherwise
    /// notes the activity.
    pub(crate) fn touch(&self) {
        let mut web = self.web();
        if web.session.is_some() && web.last_seen.elapsed() >= self.idle {
            web.session = None;
            web.locked_because = Some("The session locked itself after being idle.");
        }
        web.last_seen = Instant::now();
    }
}

/// Locks an idle session within seconds of its time, whether or not the browser asks
/// for anything: its keys do not wait in memory for the next request.
pub(crate) async fn lock_when_idle(app: Arc<App>) {
    let tick = (app.idle / 4).clamp(Duration::from_millis(200), Duration::from_secs(5));
    loop {
        tokio::time::sleep(tick).await;
        let mut web = app.web();
        if web.session.is_some() && web.last_seen.elapsed() >= app.idle {
            web.session = None;
            web.locked_because = Some("The session locked itself after being idle.");
        }
    }
}

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/caseload") }))
        .route("/launch/{token}", get(pages::unlock::launch))
        .route(
            "/unlock",
            get(pages::unlock::form).post(pages::unlock::unlock),
        )
        .route("/lock", post(pages::unlock::lock))
        .route("/assets/app.css", get(pages::asset_css))
        .route(
            "/caseload",
            get(pages::caseload::page).post(pages::caseload::search),
        )
        .route(
            "/clients/new",
            get(pages::client::new_form).post(pages::client::create),
        )
        .route("/clients/{id}", get(pages::client::page))
        .route("/clients/{id}/care", post(pages::client::care))
        .route(
            "/clients/{id}/notes/new",
            get(pages::notes::new_form).post(pages::notes::create),
        )
        .route("/notes/{id}", get(pages::notes::page))
        .route("/notes/{id}/sign", post(pages::notes::sign))
        .route("/notes/{id}/amend", post(pages::notes::amend))
        .route(
            "/clients/{id}/consents/new",
            get(pages::consent::new_form).post(pages::consent::create),
        )
        .route("/consents/{id}/revoke", post(pages::consent::revoke))
        .route(
            "/clients/{id}/intake",
            get(pages::consent::intake).post(pages::consent::acknowledge),
        )
        .route("/clients/{id}/page", get(pages::client::client_page))
        .route("/clients/{id}/accounting", get(pages::records::accounting))
        .route(
            "/clients/{id}/release",
            get(pages::release::form).post(pages::release::decide),
        )
        .route("/clients/{id}/release/export", post(pages::release::export))
        .route("/audit", get(pages::records::audit))
        .route("/audit/verify", post(pages::records::verify))
        .fallback(|| async {
            html::status_page(
                StatusCode::NOT_FOUND,
                "No such page",
                "Go back to the caseload.",
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            crate::guard::guard,
        ))
        .layer(axum::middleware::map_response(crate::guard::headers))
        .with_state(app)
}

/// What a page knows of the session while it runs.
pub(crate) struct Ctx {
    pub(crate) csrf: String,
    pub(crate) member: String,
    pub(crate) offset: time::UtcOffset,
}

/// What a page's library call ends in: a page, or a redirect after a write.
pub(crate) enum Done {
    Page(Markup),
    See(String),
}

impl From<Markup> for Done {
    fn from(m: Markup) -> Self {
        Done::Page(m)
    }
}

/// Runs `f` with the unlocked session on a blocking thread (the library's calls decrypt
/// and hash); a locked session is sent to the unlock page. A library error becomes a
/// page that says what went wrong.
pub(crate) async fn with_session<F>(app: Arc<App>, f: F) -> Response
where
    F: FnOnce(&mut Session, &Ctx) -> Result<Done, Error> + Send + 'static,
{
    let joined = tokio::task::spawn_blocking(move || {
        let mut web = app.web();
        let ctx = Ctx {
            csrf: web.csrf.clone(),
            member: web.member.clone().unwrap_or_default(),
            offset: app.offset,
        };
        let Some(session) = web.session.as_mut() else {
            return Redirect::to("/unlock").into_response();
        };
        match f(session, &ctx) {
            Ok(Done::Page(markup)) => html::page_response(markup),
            Ok(Done::See(to)) => Redirect::to(&to).into_response(),
            Err(e) => error_response(&e, &ctx),
        }
    })
    .await;
    joined.unwrap_or_else(|_| {
        html::status_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "The operation stopped; nothing half-done was kept. Go back and try again.",
        )
    })
}

/// The page for a library error, with the status its class calls for.
fn error_response(e: &Error, ctx: &Ctx) -> Response {
    let status = match e.class() {
        ErrorClass::Denied => StatusCode::FORBIDDEN,
        ErrorClass::Integrity => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorClass::WrongSecret => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = html::page_response(html::layout(
        "Not done",
        ctx,
        maud::html! {
            h1 { "Not done" }
            p.error role="alert" { (e.to_string()) }
            @if e.class() == ErrorClass::Integrity {
                p { "The vault may have been tampered with or damaged: open the audit trail and verify it." }
            }
            p { a href="/caseload" { "Back to the caseload" } }
        },
    ));
    *response.status_mut() = status;
    response
}

/// A header value known to be valid.
pub(crate) fn value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The cookie header that sets the session cookie.
pub(crate) fn set_cookie(cookie: &str) -> (header::HeaderName, HeaderValue) {
    (
        header::SET_COOKIE,
        value(&format!(
            "{COOKIE}={cookie}; HttpOnly; SameSite=Strict; Path=/"
        )),
    )
}
