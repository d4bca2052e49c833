//! The app's state (one browser session, its CSRF token, the unlocked vault session),
//! the router, and the way a page runs a library call.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
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

/// The app: where the vault is, and the one browser session. The session's parts are
/// kept apart so that nothing the guard, the Lock button or the idle timer needs waits
/// behind a library call: only `session` is held while the library works.
pub struct App {
    pub(crate) vault: casevault::Location,
    pub(crate) pins: Option<std::path::PathBuf>,
    port: u16,
    /// The host name the app answers to: a random name under `.localhost` (a loopback
    /// name browsers resolve themselves), so that its cookie goes to no other server
    /// on this machine: cookies are kept apart by host name, never by port.
    host: String,
    pub(crate) idle: Duration,
    pub(crate) offset: time::UtcOffset,
    launch: Mutex<Option<String>>,
    cookie: OnceLock<String>,
    pub(crate) csrf: String,
    last_seen: Mutex<Instant>,
    /// Set by the Lock button or the idle timer when a library call holds the session:
    /// the call drops it as it ends.
    lock_requested: AtomicBool,
    /// Why the session was last locked, shown once on the unlock page.
    locked_because: Mutex<Option<&'static str>>,
    /// The unlocked vault session and its member's name.
    session: Mutex<Option<(Session, String)>>,
}

fn token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A lock, even after a thread panicked while holding it; the poison is cleared.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => {
            m.clear_poison();
            poisoned.into_inner()
        }
    }
}

const IDLE: &str = "The session locked itself after being idle.";

impl App {
    pub(crate) fn new(config: Config, port: u16) -> Self {
        App {
            vault: config.vault,
            pins: config.pins,
            port,
            host: format!("casevault-{}.localhost", token(6)),
            idle: config.idle,
            offset: config.offset,
            launch: Mutex::new(Some(token(32))),
            cookie: OnceLock::new(),
            csrf: token(32),
            last_seen: Mutex::new(Instant::now()),
            lock_requested: AtomicBool::new(false),
            locked_because: Mutex::new(None),
            session: Mutex::new(None),
        }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn launch_url(&self) -> String {
        let launch = lock(&self.launch);
        format!(
            "http://{}:{}/launch/{}",
            self.host,
            self.port,
            launch.as_deref().unwrap_or("used")
        )
    }

    /// The Host header this server answers to.
    pub(crate) fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Exchanges the launch token for the session cookie, once.
    pub(crate) fn launch(&self, given: &str) -> Option<String> {
        let mut launch = lock(&self.launch);
        let expected = launch.as_deref()?;
        if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            return None;
        }
        *launch = None;
        let cookie = token(32);
        self.cookie.set(cookie.clone()).ok()?;
        Some(cookie)
    }

    /// True when `given` is the session cookie.
    pub(crate) fn is_session(&self, given: &str) -> bool {
        self.cookie
            .get()
            .is_some_and(|c| bool::from(c.as_bytes().ct_eq(given.as_bytes())))
    }

    /// True when `given` is the CSRF token of the session.
    pub(crate) fn is_csrf(&self, given: &str) -> bool {
        bool::from(self.csrf.as_bytes().ct_eq(given.as_bytes()))
    }

    /// Notes activity of the browser that holds the session (a request that passed
    /// every check); a session idle too long is locked first.
    pub(crate) fn touch(&self) {
        let mut last = lock(&self.last_seen);
        if last.elapsed() >= self.idle {
            self.lock_now(IDLE);
        }
        *last = Instant::now();
    }

    /// Drops the session's keys now, or, if a library call holds them, as it ends.
    pub(crate) fn lock_now(&self, why: &'static str) {
        *lock(&self.locked_because) = Some(why);
        match self.session.try_lock() {
            Ok(mut s) => *s = None,
            Err(std::sync::TryLockError::Poisoned(p)) => {
                self.session.clear_poison();
                *p.into_inner() = None;
            }
            Err(std::sync::TryLockError::WouldBlock) => {
                self.lock_requested.store(true, Ordering::SeqCst);
            }
        }
    }

    /// Why the session was last locked, once.
    pub(crate) fn take_locked_because(&self) -> Option<&'static str> {
        lock(&self.locked_because).take()
    }

    /// True while a vault session is unlocked (without waiting for a library call).
    pub(crate) fn unlocked(&self) -> bool {
        match self.session.try_lock() {
            Ok(s) => s.is_some(),
            Err(_) => true,
        }
    }

    /// The session, held; a panic during an earlier call dropped it (its keys with it).
    fn session_guard(&self) -> MutexGuard<'_, Option<(Session, String)>> {
        match self.session.lock() {
            Ok(g) => g,
            Err(poisoned) => {
                self.session.clear_poison();
                let mut g = poisoned.into_inner();
                *g = None;
                g
            }
        }
    }

    /// Keeps a newly unlocked session; the idle time counts from now.
    pub(crate) fn set_session(&self, session: Session, member: String) {
        let mut s = self.session_guard();
        self.lock_requested.store(false, Ordering::SeqCst);
        *s = Some((session, member));
        *lock(&self.last_seen) = Instant::now();
    }
}

/// Locks an idle session within seconds of its time, whether or not the browser asks
/// for anything: its keys do not wait in memory for the next request.
pub(crate) async fn lock_when_idle(app: Arc<App>) {
    let tick = (app.idle / 4).clamp(Duration::from_millis(200), Duration::from_secs(5));
    loop {
        tokio::time::sleep(tick).await;
        let idle = lock(&app.last_seen).elapsed() >= app.idle;
        if idle && app.unlocked() {
            app.lock_now(IDLE);
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
        .route("/clients/{id}/profile", post(pages::client::profile))
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
    /// The idle time: an open page leaves for the unlock form a little after it.
    pub(crate) idle: Duration,
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
        let mut held = app.session_guard();
        let Some((session, member)) = held.as_mut() else {
            return Redirect::to("/unlock").into_response();
        };
        let ctx = Ctx {
            csrf: app.csrf.clone(),
            member: member.clone(),
            offset: app.offset,
            idle: app.idle,
        };
        let response = match f(session, &ctx) {
            Ok(Done::Page(markup)) => html::page_response(markup),
            Ok(Done::See(to)) => Redirect::to(&to).into_response(),
            Err(e) => error_response(&e, &ctx),
        };
        // A lock asked for while the call ran takes effect now.
        if app.lock_requested.swap(false, Ordering::SeqCst) {
            *held = None;
        }
        response
    })
    .await;
    joined.unwrap_or_else(|_| {
        html::status_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "The operation stopped; nothing half-done was kept, and the session was locked. Unlock and try again.",
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
