//! The app in a real browser: Debian's chromium, driven over WebDriver by chromedriver.
//! A clinician's day, from the launch link to the accounting, with a denial shown with
//! its reason. Without chromium and chromedriver the test says so and passes, unless
//! `CASEVAULT_REQUIRE_BROWSER=1` (set in CI), where it fails.
//!
//! With `CASEVAULT_SCREENSHOTS=DIR`, the main pages are saved there as PNG files (the
//! pictures in docs/screenshots are made so).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::chromium::{browser, driver, page_with};
use fantoccini::{Client, Locator};
use serde_json::json;

/// Saves a screenshot when asked to (`CASEVAULT_SCREENSHOTS`).
async fn shot(c: &Client, name: &str) {
    if let Ok(dir) = std::env::var("CASEVAULT_SCREENSHOTS") {
        let png = c.screenshot().await.expect("a screenshot");
        std::fs::create_dir_all(&dir).expect("the screenshot directory");
        std::fs::write(PathBuf::from(dir).join(format!("{name}.png")), png).expect("save it");
    }
}

async fn fill(c: &Client, css: &str, value: &str) {
    let field = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.ok();
    field
        .send_keys(value)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn follow(c: &Client, link_text: &str) {
    c.find(Locator::LinkText(link_text))
        .await
        .unwrap_or_else(|e| panic!("link {link_text:?}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("follow {link_text:?}: {e}"));
}

/// Sets a date field by script (the date widget's typing depends on the locale).
async fn date(c: &Client, css: &str, value: &str) {
    c.execute(
        "document.querySelector(arguments[0]).value = arguments[1];",
        vec![json!(css), json!(value)],
    )
    .await
    .unwrap_or_else(|e| panic!("set {css}: {e}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clinicians_day_in_the_browser() {
    let Some(driver) = driver() else {
        return;
    };
    let app = common::serve(Duration::from_secs(600)).await;
    let profile = app.dir.path().join("chromium-profile");
    let downloads = app.dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let c = browser(&driver, &profile, Some(&downloads)).await;

    // The launch link, then the unlock form, by keyboard alone.
    c.goto(&app.launch).await.expect("open the launch link");
    page_with(&c, "Unlock the vault").await;
    assert!(c.current_url().await.unwrap().path().ends_with("/unlock"));
    shot(&c, "unlock").await;
    let member = c.find(Locator::Css("#member")).await.unwrap();
    member.click().await.unwrap();
    member
        .send_keys(&format!("\u{E004}{}\u{E007}", common::PASSPHRASE))
        .await
        .unwrap();
    let page = page_with(&c, "Ada Example").await;
    assert!(
        page.contains("Caseload") && page.contains("Ada Example"),
        "{page}"
    );

    // A new client.
    follow(&c, "New client").await;
    fill(&c, "#name", "Bea Newcomer").await;
    click(&c, "main button[type=submit]").await;
    let page = page_with(&c, "No note yet").await;
    assert!(
        page.contains("Bea Newcomer") && page.contains("No note yet"),
        "{page}"
    );
    let client_url = c.current_url().await.unwrap();
    // The profile edited in place: a contact added.
    fill(&c, "#p-contact", "555-0142").await;
    click(&c, "form[action$='/profile'] button[type=submit]").await;
    let page = page_with(&c, "555-0142").await;
    assert!(
        page.contains("Contact") && page.contains("555-0142"),
        "{page}"
    );
    shot(&c, "client").await;

    // Intake: the handout from the policy, then the acknowledgement.
    follow(&c, "Intake: confidentiality handout").await;
    let page = page_with(&c, "When information").await;
    assert!(
        page.contains("When information may leave without your consent"),
        "{page}"
    );
    assert!(
        page.contains("child-protection") || page.contains("abuse"),
        "{page}"
    );
    shot(&c, "intake-handout").await;
    click(&c, "main form button[type=submit]").await;
    assert!(
        page_with(&c, "Acknowledged on")
            .await
            .contains("Acknowledged on")
    );

    // A note from the SOAP template; then signed.
    c.goto(client_url.as_str()).await.unwrap();
    follow(&c, "New note").await;
    follow(&c, "SOAP").await;
    fill(
        &c,
        "textarea[name='s:progress:Subjective']",
        "Sleeping better: HERON-17.",
    )
    .await;
    fill(
        &c,
        "textarea[name='s:diagnosis:Assessment']",
        "Adjustment disorder: HERON-DX.",
    )
    .await;
    fill(
        &c,
        "textarea[name='s:treatment-plan:Plan']",
        "Weekly sessions.",
    )
    .await;
    shot(&c, "note-editor").await;
    click(&c, "main form button[type=submit]").await;
    let page = page_with(&c, "HERON-17").await;
    assert!(
        page.contains("Subjective.") && page.contains("HERON-17") && page.contains("draft"),
        "{page}"
    );
    click(&c, "main form button[type=submit]").await;
    let page = page_with(&c, "signed by").await;
    assert!(page.contains("signed by"), "{page}");

    // A consent: to Dr. Osei, for treatment, the progress notes.
    c.goto(client_url.as_str()).await.unwrap();
    follow(&c, "Record a consent").await;
    fill(&c, "#to", "Dr. Osei").await;
    click(&c, "input[name=purpose][value=treatment]").await;
    click(&c, "input[name=category][value=progress]").await;
    date(&c, "#expires", "2099-12-31").await;
    click(&c, "main form button[type=submit]").await;
    let page = page_with(&c, "active").await;
    assert!(
        page.contains("Dr. Osei") && page.contains("active"),
        "{page}"
    );

    // A release the consent does not cover: denied, with its reason, nothing leaves.
    follow(&c, "Release of information").await;
    fill(&c, "#to", "Dr. Osei").await;
    c.find(Locator::Css("#purpose"))
        .await
        .unwrap()
        .select_by_value("treatment")
        .await
        .unwrap();
    click(&c, "input[name=category][value=diagnosis]").await;
    click(&c, "main form > button[type=submit]").await;
    let page = page_with(&c, "DENIED").await;
    assert!(
        page.contains("DENIED") && page.contains("nothing can leave"),
        "{page}"
    );
    assert!(!page.contains("HERON-DX"), "{page}");
    shot(&c, "release-denied").await;

    // The release the consent covers: the decision, the preview, the download.
    c.goto(&format!(
        "{}release",
        client_url.as_str().trim_end_matches('/').to_owned() + "/"
    ))
    .await
    .unwrap();
    fill(&c, "#to", "Dr. Osei").await;
    c.find(Locator::Css("#purpose"))
        .await
        .unwrap()
        .select_by_value("treatment")
        .await
        .unwrap();
    click(&c, "input[name=category][value=progress]").await;
    click(&c, "main form > button[type=submit]").await;
    let page = page_with(&c, "Exactly what would leave").await;
    assert!(
        page.contains("permitted") && page.contains("Exactly what would leave"),
        "{page}"
    );
    let preview = c
        .find(Locator::Css("pre.preview"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(preview.contains("HERON-17"), "{preview}");
    assert!(
        !preview.contains("HERON-DX"),
        "the diagnosis must not leave: {preview}"
    );
    shot(&c, "release-preview").await;
    fill(&c, "#pass", "a passphrase for Dr. Osei").await;
    fill(&c, "#pass2", "a passphrase for Dr. Osei").await;
    click(&c, "form[action$='/release/export'] button[type=submit]").await;
    let mut export = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        export = std::fs::read_dir(&downloads)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "age"));
        if export.is_some() {
            break;
        }
    }
    let export = export.expect("the export was downloaded");
    let bytes = std::fs::read(&export).unwrap();
    assert!(
        bytes.starts_with(b"age-encryption.org/v1"),
        "the export is an age file"
    );
    assert!(!String::from_utf8_lossy(&bytes).contains("HERON"));

    // The accounting shows it.
    c.goto(client_url.as_str()).await.unwrap();
    follow(&c, "Accounting of disclosures").await;
    let page = page_with(&c, "Dr. Osei").await;
    assert!(
        page.contains("Dr. Osei") && page.contains("treatment"),
        "{page}"
    );
    shot(&c, "accounting").await;

    // Readable at 200%: at half the width, nothing needs a sideways scroll.
    c.set_window_size(640, 900).await.unwrap();
    c.goto(client_url.as_str()).await.unwrap();
    let wide = c
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        wide,
        json!(true),
        "the client page scrolls sideways at 640 px"
    );

    // The audit trail, checked from the page.
    c.set_window_size(1280, 1000).await.unwrap();
    follow(&c, "Audit trail").await;
    click(&c, "form[action='/audit/verify'] button").await;
    let page = page_with(&c, "The audit trail is intact").await;
    assert!(page.contains("The audit trail is intact"), "{page}");
    shot(&c, "audit").await;

    // Lock: the keys are dropped; the caseload needs the passphrase again.
    click(&c, "header form button").await;
    let page = page_with(&c, "Locked.").await;
    assert!(
        page.contains("Unlock the vault") && page.contains("Locked."),
        "{page}"
    );
    c.goto(&format!("{}/caseload", app.base())).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/unlock"));
    c.close().await.unwrap();
}
