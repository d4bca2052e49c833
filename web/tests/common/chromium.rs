//! Debian's chromium driven over WebDriver by chromedriver, for the browser tests: a
//! driver on a free port of its own, a headless browser with a profile of its own, and
//! the page's text once it shows what a step waits for.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free port, stopped when dropped.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The driver, or `None` (with a note) when this machine has no browser; a failure
/// instead when `CASEVAULT_REQUIRE_BROWSER=1` (CI).
pub fn driver() -> Option<Driver> {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        if std::env::var("CASEVAULT_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!(
                "CASEVAULT_REQUIRE_BROWSER=1 but {CHROMIUM} or {CHROMEDRIVER} is missing: install chromium and chromium-driver"
            );
        }
        eprintln!("note: skipping a browser test: install chromium and chromium-driver to run it");
        return None;
    }
    // A free port can be taken by another test between the look and chromedriver's
    // bind: then chromedriver exits, and another port is tried.
    for _ in 0..5 {
        let port = free_port();
        let mut child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        for _ in 0..100 {
            if matches!(child.try_wait(), Ok(Some(_))) {
                break;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(Driver { child, port });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("chromedriver did not start");
}

/// A headless chromium with its own `profile`, downloading into `downloads` if given.
pub async fn browser(driver: &Driver, profile: &Path, downloads: Option<&Path>) -> Client {
    let mut options = json!({
        "binary": CHROMIUM,
        "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
            format!("--user-data-dir={}", profile.display()),
        ],
    });
    if let Some(dir) = downloads {
        options["prefs"] = json!({
            "download.default_directory": dir.display().to_string(),
            "download.prompt_for_download": false,
        });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    // Two TLS providers are built in this workspace (*ring*, for the server backend,
    // and aws-lc-rs, fantoccini's), so rustls cannot pick one by itself: the WebDriver
    // client's is named here, once per process.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    ClientBuilder::rustls()
        .expect("a WebDriver client")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("connect to chromedriver")
}

/// The page's text now (empty while none is shown).
pub async fn body_text(c: &Client) -> String {
    match c.find(Locator::Css("body")).await {
        Ok(b) => b.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The page's text once it shows `needle` (a submitted form's answer may take the
/// KDF's time); the last text seen, for the failure message, if it never does.
pub async fn page_with(c: &Client, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..150 {
        last = body_text(c).await;
        if last.contains(needle) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}
