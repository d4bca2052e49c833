//! A security review of the app, as attacks. `defect_*` tests reproduce a defect the
//! review found (each failed on the app as reviewed; each was fixed at its root, and
//! the test asserts the behaviour the app must have); `holds_*` tests are attacks the
//! app withstood.
//!
//! The browser tests (chromium over chromedriver) pass with a note when this machine
//! has no browser, unless `CASEVAULT_REQUIRE_BROWSER=1`.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::chromium::{body_text, driver, page_with};
use common::{PASSPHRASE, Served, serve, unlocked, written};
use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN};
use reqwest::{Client, StatusCode};

// ---------------------------------------------------------------------------------
// HTTP helpers

/// A browser: keeps cookies, does not follow redirects (the tests read them), and
/// reaches the app's host name on 127.0.0.1.
fn browser(app: &Served) -> Client {
    app.browser()
}

/// A request written byte by byte on a TCP connection, and the whole answer.
fn raw(port: u16, request: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The status code of a raw answer (0 when there is none).
fn status_of(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Posts a form as the app's own page does; returns the response.
async fn post(b: &Client, app: &Served, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    b.post(format!("{}{path}", app.base()))
        .header(ORIGIN, app.base())
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn get_text(b: &Client, app: &Served, path: &str) -> (StatusCode, String) {
    let r = b.get(format!("{}{path}", app.base())).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

// ---------------------------------------------------------------------------------
// Browser helpers (chromium over chromedriver), as in browser.rs

/// Opens the launch link in chromium and unlocks by keyboard.
async fn browser_unlock(c: &fantoccini::Client, app: &Served) {
    c.goto(&app.launch).await.expect("open the launch link");
    let pass = c
        .find(fantoccini::Locator::Css("#passphrase"))
        .await
        .expect("the unlock form");
    pass.click().await.unwrap();
    pass.send_keys(&format!("{PASSPHRASE}\u{E007}"))
        .await
        .unwrap();
    let page = page_with(c, "Ada Example").await;
    assert!(page.contains("Ada Example"), "unlocked: {page}");
}

/// A web server of someone else on another port of 127.0.0.1: answers `page` to every
/// request and keeps each request's head.
fn other_server(page: String) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 8192];
            let n = s.read(&mut buf).unwrap_or(0);
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                page.len(),
                page
            );
        }
    });
    (port, seen)
}

// ---------------------------------------------------------------------------------
// Defects

/// The editor gives each category its own box and writes the `## category` headings
/// itself, so that "no heading can be mistyped". But a box's text is copied into the
/// body as it is: a line `## progress` typed or pasted into the psychotherapy-notes box
/// is a real section heading in the body, and what follows it is filed, signed and
/// released as progress notes (a category a routine consent covers), though the
/// clinician wrote it in the psychotherapy notes.
#[tokio::test(flavor = "multi_thread")]
async fn defect_a_heading_typed_into_one_box_files_the_text_under_another_category() {
    let app = serve(Duration::from_secs(600)).await;
    let (b, _, csrf) = unlocked(&app).await;
    let today = casevault::Date::today().to_string();
    let r = post(
        &b,
        &app,
        &format!("/clients/{}/notes/new", app.client),
        &[
            ("csrf", csrf.as_str()),
            ("date", today.as_str()),
            ("type", "individual"),
            (
                "s:psychotherapy-notes:",
                "My private impressions.\n## progress\nPN-SECRET: countertransference, dreams.",
            ),
        ],
    )
    .await;
    if r.status() != StatusCode::SEE_OTHER {
        // Refused: the right answer.
        return;
    }
    let note = r.headers()["location"].to_str().unwrap().to_owned();
    let (_, html) = get_text(&b, &app, &note).await;
    assert!(
        !html.contains("<h2>progress</h2><div class=\"note-text\">PN-SECRET"),
        "text written in the psychotherapy-notes box was filed as progress notes: {html}"
    );
}

/// Every request that carries the session cookie counts as activity, whoever sent it.
/// Cookies are not kept apart by port, and SameSite=Strict does not keep them from a
/// page of 127.0.0.1 on another port (same site): any page a local web server shows
/// (a notebook, a dev server, a document viewer) can load the app's pages as images
/// with the clinician's cookie. Each load touches the session, so it never locks
/// while that page is open, and each writes read events into the audit trail in the
/// clinician's name. The guard should refuse a request the browser says came from
/// another site or port (`Sec-Fetch-Site: same-site` or `cross-site`), and so must not
/// let it count as activity.
#[tokio::test(flavor = "multi_thread")]
async fn defect_a_page_on_another_local_port_keeps_the_session_from_locking() {
    let Some(driver) = driver() else {
        return;
    };
    let app = serve(Duration::from_secs(3)).await;
    let c = common::chromium::browser(&driver, &app.dir.path().join("profile"), None).await;
    browser_unlock(&c, &app).await;
    let audit_before = common::count(&app.vault, "audit");
    // Someone else's page on another port: no script needed, an image refreshed.
    let page = format!(
        "<!DOCTYPE html><meta http-equiv=\"refresh\" content=\"1\"><img src=\"{}/clients/{}\">",
        app.base(),
        app.client
    );
    let (port, seen) = other_server(page);
    c.goto(&format!("http://127.0.0.1:{port}/")).await.unwrap();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let cookie_sent_elsewhere = seen
        .lock()
        .unwrap()
        .iter()
        .any(|r| r.to_ascii_lowercase().contains("cookie: casevault="));
    let audit_after = common::count(&app.vault, "audit");
    // Back to the app, 8 s after the last request of its own (idle: 3 s).
    c.goto(&format!("{}/caseload", app.base())).await.unwrap();
    let url = c.current_url().await.unwrap();
    let text = body_text(&c).await;
    c.close().await.unwrap();
    eprintln!(
        "note: the session cookie was sent to the other port too: {cookie_sent_elsewhere}; audit events {audit_before} -> {audit_after}"
    );
    assert!(
        url.path().ends_with("/unlock"),
        "the session should have locked itself after 3 s idle, but another port's page kept it open: {url} {text}"
    );
    assert_eq!(
        audit_after, audit_before,
        "another port's page wrote reads into the audit trail"
    );
}

/// The HTTP form of the attack above: a GET that the browser marks as coming from
/// another site keeps the session alive and is served.
#[tokio::test(flavor = "multi_thread")]
async fn defect_a_get_marked_same_site_or_cross_site_is_served_and_counts_as_activity() {
    let app = serve(Duration::from_secs(2)).await;
    let (b, cookie, _) = unlocked(&app).await;
    let mut statuses = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(4) {
        let r = browser(&app)
            .get(format!("{}/clients/{}", app.base(), app.client))
            .header(COOKIE, &cookie)
            .header("sec-fetch-site", "same-site")
            .header("sec-fetch-mode", "no-cors")
            .header("sec-fetch-dest", "image")
            .send()
            .await
            .unwrap();
        statuses.push(r.status());
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let r = b
        .get(format!("{}/caseload", app.base()))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "still unlocked after 4 s of no use but same-site GETs ({statuses:?})"
    );
    assert!(
        statuses.iter().all(|s| *s == StatusCode::FORBIDDEN),
        "same-site GETs were served: {statuses:?}"
    );
}

/// `casevault serve` opens the browser on a private file whose meta refresh goes to the
/// launch link. That navigation starts at a file:// page, another site: the launch
/// exchanges its one-time token for the SameSite=Strict cookie, but the browser does
/// not send a Strict cookie on the redirect to /unlock of a navigation another site
/// started, so the first page the clinician sees is "Open casevault from its link",
/// and the link has been used.
#[tokio::test(flavor = "multi_thread")]
async fn defect_the_browser_serve_opens_lands_on_a_refusal() {
    let Some(driver) = driver() else {
        return;
    };
    let app = serve(Duration::from_secs(600)).await;
    let c = common::chromium::browser(&driver, &app.dir.path().join("profile"), None).await;
    // The page cli/src/commands/serve.rs writes and hands to xdg-open.
    let open = app.dir.path().join("open.html");
    std::fs::write(
        &open,
        format!(
            "<!DOCTYPE html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={}\"><title>casevault</title><p>Opening casevault…</p>",
            app.launch
        ),
    )
    .unwrap();
    c.goto(&format!("file://{}", open.display())).await.unwrap();
    let text = page_with(&c, "Unlock").await;
    let url = c.current_url().await.unwrap();
    c.refresh().await.unwrap();
    eprintln!("note: after a reload: {}", body_text(&c).await);
    c.close().await.unwrap();
    assert!(
        text.contains("Unlock the vault"),
        "the launch through serve's page should end on the unlock form; it ends at {url}: {text}"
    );
}

/// The idle lock drops the keys on the server, but the page on the screen stays: a
/// note, the caseload or an export preview stays readable in the tab of a clinician
/// who walked away, however long after the session "locked itself". The page should
/// leave (to the unlock form) when the session locks.
#[tokio::test(flavor = "multi_thread")]
async fn defect_an_open_page_still_shows_the_record_after_the_idle_lock() {
    let Some(driver) = driver() else {
        return;
    };
    let app = serve(Duration::from_secs(3)).await;
    let c = common::chromium::browser(&driver, &app.dir.path().join("profile"), None).await;
    browser_unlock(&c, &app).await;
    c.goto(&format!("{}/clients/{}", app.base(), app.client))
        .await
        .unwrap();
    let before = page_with(&c, "Ada Example").await;
    assert!(before.contains("Ada Example"), "{before}");
    tokio::time::sleep(Duration::from_secs(9)).await;
    let after = body_text(&c).await;
    c.close().await.unwrap();
    assert!(
        !after.contains("Ada Example"),
        "9 s after an idle lock of 3 s the client's page is still on screen: {after}"
    );
}

/// One form with many fields holds the session's lock for as long as the page's own
/// code takes: `compose` files each field under its category by a linear search, so a
/// note form of ~100,000 differently named boxes (under the 2 MiB limit) is quadratic.
/// While it runs, every other request waits, the Lock button's too, and the idle lock
/// cannot drop the keys.
#[tokio::test(flavor = "multi_thread")]
async fn defect_one_form_of_many_fields_freezes_the_app_and_its_lock_button() {
    let app = serve(Duration::from_secs(600)).await;
    let (b, _, csrf) = unlocked(&app).await;
    let today = casevault::Date::today().to_string();
    let mut body = format!("csrf={csrf}&date={today}&type=individual");
    let mut n = 0;
    while body.len() < 2 * 1024 * 1024 - 64 {
        body.push_str(&format!("&s%3A{n}%3A=x"));
        n += 1;
    }
    let url = format!("{}/clients/{}/notes/new", app.base(), app.client);
    let big = b
        .post(&url)
        .header(ORIGIN, app.base())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body);
    let started = Instant::now();
    let big = tokio::spawn(async move { big.send().await.map(|r| r.status()) });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The clinician presses Lock meanwhile.
    let pressed = Instant::now();
    let lock = post(&b, &app, "/lock", &[("csrf", csrf.as_str())]).await;
    let lock_took = pressed.elapsed();
    let status = big.await.unwrap();
    eprintln!(
        "note: {n} fields; the big form answered {status:?} after {:?}; Lock answered {} after {lock_took:?}",
        started.elapsed(),
        lock.status()
    );
    assert!(
        lock_took < Duration::from_secs(5),
        "the Lock button answered only after {lock_took:?}, behind one form of {n} fields"
    );
}

/// The session cookie is the one credential, and the browser sends it to every port of
/// 127.0.0.1 (cookies are not kept apart by port): a web server of another user or
/// program on this machine that the clinician's browser visits receives it, and with
/// it reads every page of the unlocked vault, each with the CSRF token that lets it
/// write and release too.
#[tokio::test(flavor = "multi_thread")]
async fn defect_the_session_cookie_goes_to_other_ports_and_opens_the_vault() {
    let Some(driver) = driver() else {
        return;
    };
    let app = serve(Duration::from_secs(600)).await;
    let c = common::chromium::browser(&driver, &app.dir.path().join("profile"), None).await;
    browser_unlock(&c, &app).await;
    let (port, seen) = other_server("<!DOCTYPE html><p>Another local app</p>".to_owned());
    c.goto(&format!("http://127.0.0.1:{port}/")).await.unwrap();
    page_with(&c, "Another local app").await;
    c.close().await.unwrap();
    let captured: Option<String> = seen.lock().unwrap().iter().find_map(|r| {
        r.lines()
            .find(|l| l.to_ascii_lowercase().starts_with("cookie:"))
            .map(|l| l[7..].trim().to_owned())
    });
    let Some(captured) = captured else {
        // The browser kept the cookie to its port: what it should do.
        return;
    };
    let r = browser(&app)
        .get(format!("{}/caseload", app.base()))
        .header(COOKIE, &captured)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let html = r.text().await.unwrap();
    assert!(
        !html.contains("Ada Example"),
        "the cookie another port's server received ({captured}) opened the caseload ({status})"
    );
}

/// Another casevault command holding the vault's write lock (a backup, an import):
/// every page waits for the library's busy timeout (10 s) while holding the app's
/// state, and the Lock button waits behind it, 10 s more for every page queued. The
/// same cause as the defect above: `with_session` holds the state's mutex for the
/// whole library call, and `/lock` needs that mutex.
#[tokio::test(flavor = "multi_thread")]
async fn defect_the_lock_button_waits_behind_a_vault_busy_elsewhere() {
    let app = serve(Duration::from_secs(600)).await;
    let (b, _, csrf) = unlocked(&app).await;
    let db = rusqlite::Connection::open(&app.vault).unwrap();
    db.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let started = Instant::now();
    let page = {
        let b = b.clone();
        let url = format!("{}/caseload", app.base());
        tokio::spawn(async move {
            let r = b.get(url).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lock = post(&b, &app, "/lock", &[("csrf", csrf.as_str())]).await;
    let lock_took = started.elapsed();
    let (status, text) = page.await.unwrap();
    db.execute_batch("ROLLBACK").unwrap();
    eprintln!(
        "note: page {status} after {:?}; lock {} after {lock_took:?}; {}",
        started.elapsed(),
        lock.status(),
        text.split("role=\"alert\">")
            .nth(1)
            .unwrap_or("")
            .split('<')
            .next()
            .unwrap_or("")
    );
    assert!(
        lock_took < Duration::from_secs(3),
        "the Lock button answered only after {lock_took:?}, behind a page waiting for the vault"
    );
}

// ---------------------------------------------------------------------------------
// Attacks that held

/// Host variants a rebinding page or a confused client could send: refused, nothing
/// of the vault in the answer.
#[tokio::test(flavor = "multi_thread")]
async fn holds_host_variants_missing_hosts_and_absolute_targets() {
    let app = serve(Duration::from_secs(600)).await;
    let (_, cookie, _) = unlocked(&app).await;
    let p = app.port;
    let hosts = [
        format!("LOCALHOST:{p}"),
        format!("127.0.0.1:{p}"),
        format!("localhost:{p}"),
        format!("{}:{p}", app.host.to_uppercase()),
        format!("{}.:{p}", app.host),
        format!("127.0.0.1.:{p}"),
        format!("localhost.:{p}"),
        format!("[::1]:{p}"),
        format!("127.1:{p}"),
        format!("2130706433:{p}"),
        format!("127.0.0.1:{p}.evil.example"),
        format!("sub.localhost:{p}"),
        format!("127.0.0.1:0{p}"),
        "127.0.0.1".to_string(),
        String::new(),
    ];
    for host in &hosts {
        let a = raw(
            p,
            &format!(
                "GET /caseload HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
            ),
        );
        assert!(
            [400, 421].contains(&status_of(&a)) && !a.contains("Ada Example"),
            "{host:?}: {a}"
        );
    }
    for request in [
        format!("GET /caseload HTTP/1.0\r\nCookie: {cookie}\r\n\r\n"),
        format!("GET /caseload HTTP/1.1\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
        format!(
            "GET http://127.0.0.1:{p}/caseload HTTP/1.1\r\nHost: evil.example:{p}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ),
        format!(
            "GET /caseload HTTP/1.1\r\nHost: evil.example:{p}\r\nHost: 127.0.0.1:{p}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ),
    ] {
        let a = raw(p, &request);
        assert!(
            [400, 421].contains(&status_of(&a)) && !a.contains("Ada Example"),
            "{request:?}: {a}"
        );
    }
}

/// Methods other than GET and POST, and HEAD on a write: no write, and no CORS.
#[tokio::test(flavor = "multi_thread")]
async fn holds_other_methods_write_nothing() {
    let app = serve(Duration::from_secs(600)).await;
    let (b, _, csrf) = unlocked(&app).await;
    let before = written(&app.vault);
    let form = [("csrf", csrf.as_str()), ("name", "Mallory Method")];
    for method in ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"] {
        let r = b
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}/clients/new", app.base()),
            )
            .header(ORIGIN, "http://evil.example")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(
            r.headers().get("access-control-allow-origin").is_none(),
            "{method}"
        );
        let r = b
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}/lock", app.base()),
            )
            .header(ORIGIN, app.base())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store", "{method}");
    }
    assert_eq!(written(&app.vault), before);
    // Still unlocked: no method but POST reached the lock.
    let r = b
        .get(format!("{}/caseload", app.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// Forms in other encodings, a second `csrf` field, and several cookies.
#[tokio::test(flavor = "multi_thread")]
async fn holds_encodings_duplicated_tokens_and_cookies() {
    let app = serve(Duration::from_secs(600)).await;
    let (b, cookie, csrf) = unlocked(&app).await;
    let before = written(&app.vault);
    let url = format!("{}/clients/new", app.base());
    // text/plain (what a cross-site form can send without a preflight), from another
    // origin: refused at the Origin.
    let r = b
        .post(&url)
        .header(ORIGIN, "http://evil.example")
        .header(CONTENT_TYPE, "text/plain")
        .body(format!("csrf={csrf}&name=Mallory"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // multipart: the guard finds no token.
    let boundary = "XyZ";
    let r = b
        .post(&url)
        .header(ORIGIN, app.base())
        .header(CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nMallory\r\n--{boundary}--\r\n"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A wrong token first, the right one second.
    let r = b
        .post(&url)
        .header(ORIGIN, app.base())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("csrf={}&csrf={csrf}&name=Mallory", "0".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The token percent-encoded in part still matches (it is the same value), and a
    // token with a suffix does not.
    let r = b
        .post(&url)
        .header(ORIGIN, app.base())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}00&name=Mallory"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(written(&app.vault), before);
    // Cookies: a wrong one first, a name in another case, the value with a prefix.
    let value = cookie.split_once('=').unwrap().1;
    for jar in [
        format!("casevault=nope; {cookie}"),
        format!("Casevault={value}"),
        format!("casevault={value}x"),
        format!("xcasevault={value}"),
    ] {
        let r = browser(&app)
            .get(format!("{}/caseload", app.base()))
            .header(COOKIE, &jar)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{jar}");
    }
}

/// The launch link: wrong, shorter, longer, HEAD after use, and from another Host.
#[tokio::test(flavor = "multi_thread")]
async fn holds_the_launch_link_works_once_and_only_exactly() {
    let app = serve(Duration::from_secs(600)).await;
    let token = app.launch.rsplit('/').next().unwrap().to_owned();
    for bad in [
        token[..63].to_owned(),
        format!("{token}0"),
        token.to_uppercase(),
        "used".to_owned(),
        String::new(),
    ] {
        let r = browser(&app)
            .get(format!("{}/launch/{bad}", app.base()))
            .send()
            .await
            .unwrap();
        assert!(r.headers().get("set-cookie").is_none(), "{bad}");
    }
    // Another Host, the right token: refused before the token is spent.
    let a = raw(
        app.port,
        &format!(
            "GET /launch/{token} HTTP/1.1\r\nHost: evil.example:{}\r\nConnection: close\r\n\r\n",
            app.port
        ),
    );
    assert_eq!(status_of(&a), 421, "{a}");
    let (b, _, _) = unlocked(&app).await;
    let r = browser(&app).head(&app.launch).send().await.unwrap();
    assert!(r.headers().get("set-cookie").is_none());
    assert_eq!(
        b.get(format!("{}/caseload", app.base()))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

/// Markup in every field the pages show is shown as text.
#[tokio::test(flavor = "multi_thread")]
async fn holds_markup_in_names_notes_consents_and_searches_is_text() {
    let app = serve(Duration::from_secs(600)).await;
    let (b, _, csrf) = unlocked(&app).await;
    let evil = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>'</textarea>";
    let r = post(
        &b,
        &app,
        "/clients/new",
        &[
            ("csrf", csrf.as_str()),
            ("name", evil),
            ("contact", evil),
            ("third_parties", evil),
        ],
    )
    .await;
    let client = if r.status() == StatusCode::SEE_OTHER {
        r.headers()["location"].to_str().unwrap().to_owned()
    } else {
        format!("/clients/{}", app.client)
    };
    let today = casevault::Date::today().to_string();
    let r = post(
        &b,
        &app,
        &format!("{client}/notes/new"),
        &[
            ("csrf", csrf.as_str()),
            ("date", today.as_str()),
            ("type", "individual"),
            ("s:progress:", evil),
        ],
    )
    .await;
    let note = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    post(
        &b,
        &app,
        &format!("{client}/consents/new"),
        &[
            ("csrf", csrf.as_str()),
            ("recipient", "Dr. <b>Osei</b><script>x</script>"),
            ("organization", evil),
            ("purpose", "treatment"),
            ("category", "progress"),
            ("effective", today.as_str()),
            ("expires", "2099-12-31"),
            ("signed_by", evil),
        ],
    )
    .await;
    let mut pages = vec![
        "/caseload".to_owned(),
        client.clone(),
        format!("{client}/notes/new"),
        format!("{client}/consents/new"),
        format!("{client}/intake"),
        format!("{client}/release"),
        format!("{client}/accounting"),
        format!("{client}/page"),
        "/audit?member=%3Cscript%3E".to_owned(),
        "/clients/%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_owned(),
    ];
    pages.extend(note);
    for page in &pages {
        let (_, html) = get_text(&b, &app, page).await;
        assert!(
            !html.contains("<script") && !html.contains("<img") && !html.contains("<b>"),
            "{page}: {html}"
        );
    }
    for (path, form) in [
        ("/caseload", vec![("csrf", csrf.as_str()), ("q", evil)]),
        (
            &format!("{client}/release") as &str,
            vec![
                ("csrf", csrf.as_str()),
                ("recipient", evil),
                ("purpose", evil),
                ("category", evil),
                ("from", evil),
                (evil, evil),
            ],
        ),
    ] {
        let html = post(&b, &app, path, &form).await.text().await.unwrap();
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{path}: {html}"
        );
    }
}

/// Odd ids in paths: traversal, NUL, CR LF: an error page, no header of theirs.
#[tokio::test(flavor = "multi_thread")]
async fn holds_odd_ids_in_paths() {
    let app = serve(Duration::from_secs(600)).await;
    let (_, cookie, csrf) = unlocked(&app).await;
    let before = written(&app.vault);
    for path in [
        "/clients/..",
        "/clients/../caseload",
        "/clients/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/clients/%00",
        "/clients/x%0d%0aSet-Cookie:%20a=b",
        "/notes/%22%3E%3Cscript%3E",
        "//caseload",
    ] {
        let a = raw(
            app.port,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: {}:{}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n",
                app.host, app.port
            ),
        );
        let head = a.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
        assert!(!head.contains("set-cookie: a=b"), "{path}: {a}");
        assert!(head.contains("cache-control: no-store"), "{path}: {a}");
        assert!(!a.contains("<script"), "{path}: {a}");
    }
    // An export for an id with a quote and a line break: no file, no header of theirs.
    let a = raw(app.port, &{
        let body = format!(
            "csrf={csrf}&recipient=client&purpose=treatment&category=progress&export_passphrase=a+long+passphrase&export_passphrase_again=a+long+passphrase"
        );
        format!(
            "POST /clients/x%22%0d%0aX-Evil:%201/release/export HTTP/1.1\r\nHost: {h}:{p}\r\nOrigin: http://{h}:{p}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len(),
            h = app.host,
            p = app.port
        )
    });
    let head = a.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
    assert!(!head.contains("x-evil"), "{a}");
    assert!(!a.contains("age-encryption.org"), "{a}");
    assert_eq!(written(&app.vault).0, before.0);
}

/// Error pages and refusals say what went wrong, not the passphrases nor where the
/// vault is; a released export leaves no file behind and is sent as no-store.
#[tokio::test(flavor = "multi_thread")]
async fn holds_errors_leak_no_secret_and_the_export_leaves_no_file() {
    let app = serve(Duration::from_secs(600)).await;
    let (b, _, csrf) = unlocked(&app).await;
    let dir = app.dir.path().display().to_string();
    let release = format!("/clients/{}/release/export", app.client);
    let today = casevault::Date::today().to_string();
    let r = post(
        &b,
        &app,
        &format!("/clients/{}/consents/new", app.client),
        &[
            ("csrf", csrf.as_str()),
            ("recipient", "Dr. Osei"),
            ("purpose", "treatment"),
            ("category", "progress"),
            ("effective", today.as_str()),
            ("expires", "2099-12-31"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the consent");
    let base = [
        ("csrf", csrf.as_str()),
        ("recipient", "Dr. Osei"),
        ("purpose", "treatment"),
        ("category", "progress"),
    ];
    // Passphrases that differ, one too short: an error page without either.
    for (one, two) in [
        ("PASS-ONE-1234567", "PASS-TWO-1234567"),
        ("SHORT-1", "SHORT-1"),
    ] {
        let mut form = base.to_vec();
        form.push(("export_passphrase", one));
        form.push(("export_passphrase_again", two));
        let r = post(&b, &app, &release, &form).await;
        assert_ne!(r.status(), StatusCode::OK);
        let text = r.text().await.unwrap();
        assert!(
            !text.contains("PASS-") && !text.contains("SHORT-1") && !text.contains(&dir),
            "{text}"
        );
    }
    for path in [
        "/clients/nope".to_owned(),
        "/notes/nope".to_owned(),
        "/audit?from=not-a-date".to_owned(),
    ] {
        let (_, text) = get_text(&b, &app, &path).await;
        assert!(
            !text.contains(&dir) && !text.contains(PASSPHRASE),
            "{path}: {text}"
        );
    }
    // The decision page carries the request, never a passphrase posted to it.
    let mut form = base.to_vec();
    form.push(("export_passphrase", "CARRIED-PASSPHRASE"));
    let text = post(&b, &app, &format!("/clients/{}/release", app.client), &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(!text.contains("CARRIED-PASSPHRASE"), "{text}");
    // A release to the client: the download, and nothing of it left in the temp dir.
    let tmp = std::env::temp_dir();
    let exports_before = exports_in(&tmp);
    let mut form = base.to_vec();
    form.push(("export_passphrase", "a passphrase for the client"));
    form.push(("export_passphrase_again", "a passphrase for the client"));
    let r = post(&b, &app, &release, &form).await;
    assert_eq!(r.status(), StatusCode::OK, "the export");
    let h = r.headers().clone();
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["content-type"], "application/octet-stream");
    let cd = h["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        cd.starts_with("attachment; filename=\"casevault-release-") && cd.ends_with(".md.age\""),
        "{cd}"
    );
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    assert!(!String::from_utf8_lossy(&bytes).contains("LANTERN"));
    assert_eq!(
        exports_in(&tmp),
        exports_before,
        "an export was left in {tmp:?}"
    );
}

/// The export files under the temporary directory (one level of directories down).
fn exports_in(tmp: &Path) -> usize {
    std::fs::read_dir(tmp)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().join("export.md.age").exists())
                .count()
        })
        .unwrap_or(0)
}

/// Every answer, whatever its status, forbids caching.
#[tokio::test(flavor = "multi_thread")]
async fn holds_no_store_on_every_status() {
    let app = serve(Duration::from_secs(600)).await;
    let (b, _, csrf) = unlocked(&app).await;
    let huge = "x".repeat(3 * 1024 * 1024);
    let answers = vec![
        b.get(format!("{}/", app.base())).send().await.unwrap(),
        b.get(format!("{}/nope", app.base())).send().await.unwrap(),
        b.put(format!("{}/caseload", app.base()))
            .header(ORIGIN, app.base())
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap(),
        b.post(format!("{}/caseload", app.base()))
            .header(ORIGIN, app.base())
            .form(&[("csrf", csrf.as_str()), ("q", huge.as_str())])
            .send()
            .await
            .unwrap(),
        b.post(format!("{}/clients/new", app.base()))
            .header(ORIGIN, app.base())
            .header(CONTENT_TYPE, "text/plain")
            .body(format!("csrf={csrf}&name=x"))
            .send()
            .await
            .unwrap(),
        b.post(format!("{}/clients/new", app.base()))
            .header(ORIGIN, app.base())
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap(),
    ];
    for r in answers {
        assert_eq!(r.headers()["cache-control"], "no-store", "{}", r.status());
        assert!(r.headers().contains_key("content-security-policy"));
    }
}
