//! The app's defences, each attacked over HTTP as a hostile page, program or second
//! browser would: every attack is refused with its status and nothing is written to
//! the vault (its records and audit events counted in the file before and after).

mod common;

use std::time::Duration;

use common::{serve, unlocked, written};
use reqwest::StatusCode;
use reqwest::header::{HOST, ORIGIN};

fn new_client_form(csrf: &str) -> Vec<(&str, &str)> {
    vec![("csrf", csrf), ("name", "Mallory Injected")]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_forbids_caching_framing_referrers_and_foreign_content() {
    let app = serve(Duration::from_secs(600)).await;
    let (b, _, _) = unlocked(&app).await;
    for path in [
        "/caseload",
        "/unlock",
        "/assets/app.css",
        "/no-such-page",
        &format!("/clients/{}", app.client),
    ] {
        let r = b.get(format!("{}{path}", app.base())).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("script-src"), "no script may run: {csp}");
    }
    // A refusal carries them too.
    let r = app
        .browser()
        .get(format!("{}/caseload", app.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.headers()["cache-control"], "no-store");
    // No page names a script or an asset from elsewhere.
    let html = b
        .get(format!("{}/clients/{}", app.base(), app.client))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("<script") && !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_host_is_refused_whatever_else_is_right() {
    let app = serve(Duration::from_secs(600)).await;
    let (b, _, csrf) = unlocked(&app).await;
    let before = written(&app.vault);
    // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1.
    // The loopback address and `localhost` too: the app answers only to its own
    // random name, so its cookie goes to no other server on this machine.
    for host in [
        format!("evil.example:{}", app.port),
        format!("127.0.0.1:{}", app.port),
        format!("localhost:{}", app.port),
        format!("{}:{}", app.host, app.port + 1),
        app.host.clone(),
    ] {
        let r = b
            .get(format!("{}/caseload", app.base()))
            .header(HOST, &host)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::MISDIRECTED_REQUEST, "{host}");
        let r = b
            .post(format!("{}/clients/new", app.base()))
            .header(HOST, &host)
            .header(ORIGIN, format!("http://{host}"))
            .form(&new_client_form(&csrf))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::MISDIRECTED_REQUEST, "{host}");
    }
    assert_eq!(written(&app.vault), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cross_origin_post_or_one_without_the_token_writes_nothing() {
    let app = serve(Duration::from_secs(600)).await;
    let (b, _, csrf) = unlocked(&app).await;
    let before = written(&app.vault);
    let url = format!("{}/clients/new", app.base());
    // Another origin, with the right cookie (SameSite aside) and even the right token.
    let r = b
        .post(&url)
        .header(ORIGIN, "http://evil.example")
        .form(&new_client_form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // No Origin at all.
    let r = b
        .post(&url)
        .form(&new_client_form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // `Origin: null` (a sandboxed or no-referrer page elsewhere), as the browser says
    // a cross-site or same-site page sent it, or says nothing.
    for site in [Some("cross-site"), Some("same-site"), None] {
        let mut post = b
            .post(&url)
            .header(ORIGIN, "null")
            .form(&new_client_form(&csrf));
        if let Some(site) = site {
            post = post.header("sec-fetch-site", site);
        }
        let r = post.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{site:?}");
    }
    // Our own origin, but the browser says another site sent it.
    let r = b
        .post(&url)
        .header(ORIGIN, app.base())
        .header("sec-fetch-site", "cross-site")
        .form(&new_client_form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The right origin, no token; a wrong token.
    let r = b
        .post(&url)
        .header(ORIGIN, app.base())
        .form(&[("name", "Mallory Injected")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let wrong = "0".repeat(64);
    let r = b
        .post(&url)
        .header(ORIGIN, app.base())
        .form(&new_client_form(&wrong))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("nothing was changed"));
    assert_eq!(written(&app.vault), before);
    // The same form, as the app's own page sends it, is accepted: the refusals above
    // were the guard's, not a broken form.
    let r = b
        .post(&url)
        .header(ORIGIN, app.base())
        .form(&new_client_form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_ne!(written(&app.vault), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_browser_without_the_link_gets_nothing_and_the_link_works_once() {
    let app = serve(Duration::from_secs(600)).await;
    let (_first, _, csrf) = unlocked(&app).await;
    let before = written(&app.vault);
    let second = app.browser();
    // The link was used: it does not work again.
    let r = second.get(&app.launch).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get("set-cookie").is_none());
    for path in [
        "/caseload",
        "/unlock",
        &format!("/clients/{}", app.client),
        "/audit",
    ] {
        let r = second
            .get(format!("{}{path}", app.base()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        let text = r.text().await.unwrap();
        assert!(!text.contains("Ada Example"), "{path}: {text}");
    }
    // Even with the first browser's token, a write without its cookie is refused.
    let r = second
        .post(format!("{}/clients/new", app.base()))
        .header(ORIGIN, app.base())
        .form(&new_client_form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A forged cookie.
    let r = app
        .browser()
        .get(format!("{}/caseload", app.base()))
        .header("cookie", format!("casevault={}", "a".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(written(&app.vault), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_session_locks_itself_and_a_late_write_is_refused() {
    let app = serve(Duration::from_secs(2)).await;
    let (b, _, csrf) = unlocked(&app).await;
    let r = b
        .get(format!("{}/caseload", app.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let before = written(&app.vault);
    // The keys are gone: a page sends back to the unlock form, which says why.
    let r = b
        .get(format!("{}/caseload", app.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/unlock");
    let text = b
        .get(format!("{}/unlock", app.base()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("locked itself after being idle"), "{text}");
    let r = b
        .post(format!("{}/clients/new", app.base()))
        .header(ORIGIN, app.base())
        .form(&new_client_form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/unlock");
    assert_eq!(written(&app.vault), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lock_button_drops_the_keys_and_a_wrong_passphrase_opens_nothing() {
    let app = serve(Duration::from_secs(600)).await;
    let (b, _, csrf) = unlocked(&app).await;
    let r = b
        .post(format!("{}/lock", app.base()))
        .header(ORIGIN, app.base())
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b
        .get(format!("{}/clients/{}", app.base(), app.client))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b
        .post(format!("{}/unlock", app.base()))
        .header(ORIGIN, app.base())
        .form(&[
            ("csrf", csrf.as_str()),
            ("member", ""),
            ("passphrase", "not the passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let text = r.text().await.unwrap();
    assert!(text.contains("wrong passphrase"), "{text}");
    assert!(
        !text.contains("not the passphrase"),
        "the passphrase is never sent back"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_too_large_is_refused_before_any_page_runs() {
    let app = serve(Duration::from_secs(600)).await;
    let (b, _, csrf) = unlocked(&app).await;
    let before = written(&app.vault);
    let huge = "x".repeat(3 * 1024 * 1024);
    let r = b
        .post(format!("{}/clients/new", app.base()))
        .header(ORIGIN, app.base())
        .form(&[("csrf", csrf.as_str()), ("name", huge.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(written(&app.vault), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_search_by_name_is_posted_and_the_name_is_in_no_url() {
    let app = serve(Duration::from_secs(600)).await;
    let (b, _, csrf) = unlocked(&app).await;
    let r = b
        .post(format!("{}/caseload", app.base()))
        .header(ORIGIN, app.base())
        .form(&[("csrf", csrf.as_str()), ("q", "ada")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("1 client(s) match"), "{html}");
    // Every link and form target on the pages holds ids, never a name or a note's text.
    for page in ["/caseload".to_owned(), format!("/clients/{}", app.client)] {
        let html = b
            .get(format!("{}{page}", app.base()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for attr in ["href=\"", "action=\""] {
            for piece in html.split(attr).skip(1) {
                let target = &piece[..piece.find('"').unwrap()];
                assert!(
                    !target.contains("Ada") && !target.contains("LANTERN"),
                    "{page}: {target}"
                );
            }
        }
    }
}
