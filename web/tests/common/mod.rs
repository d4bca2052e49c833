//! What the app's tests share: a vault of their own, the server on a free port of
//! 127.0.0.1 in this process, and the vault file's counts read directly.

#![allow(dead_code)]

pub mod chromium;

use std::path::{Path, PathBuf};
use std::time::Duration;

use casevault::{KdfParams, NewClient, NewNote, Vault};
use secrecy::SecretString;

pub const PASSPHRASE: &str = "correct horse battery staple";
pub const MEMBER: &str = "dr-rivera";

/// A vault with one client and one signed note, and the app serving it.
pub struct Served {
    pub dir: tempfile::TempDir,
    pub vault: PathBuf,
    pub port: u16,
    /// The host name the app answers to (`casevault-….localhost`).
    pub host: String,
    pub launch: String,
    pub client: String,
}

impl Served {
    pub fn base(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    /// An HTTP client that reaches the app's host name on 127.0.0.1 (as a browser
    /// resolves `*.localhost` itself), keeps cookies and does not follow redirects.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .resolve(&self.host, ([127, 0, 0, 1], self.port).into())
            .build()
            .expect("an HTTP client")
    }
}

/// Makes the vault and starts the server in this test's runtime.
pub async fn serve(idle: Duration) -> Served {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let vault = dir.path().join("practice.casevault");
    let path = vault.clone();
    let client = tokio::task::spawn_blocking(move || {
        let (mut session, _) = Vault::create(
            &path,
            &SecretString::from(PASSPHRASE),
            KdfParams::default(),
            MEMBER,
        )
        .expect("create the vault");
        session.use_pack("us-federal").expect("use a pack");
        let client = session
            .add_client(NewClient {
                name: "Ada Example".into(),
                ..NewClient::default()
            })
            .expect("add a client")
            .to_string();
        let note = session
            .add_note(NewNote::individual(
                &client,
                casevault::Date::today(),
                "Slept better: LANTERN-1.\n\n## risk\nNo risk: LANTERN-RISK.\n",
            ))
            .expect("add a note");
        session.sign_note(note.as_ref()).expect("sign it");
        client
    })
    .await
    .expect("set up the vault");
    let server = casevault_web::Server::bind(casevault_web::Config {
        vault: casevault::Location::File(vault.clone()),
        pins: None,
        port: 0,
        idle,
        offset: time::UtcOffset::UTC,
    })
    .await
    .expect("bind 127.0.0.1");
    let port = server.port();
    let launch = server.launch_url();
    let host = launch
        .strip_prefix("http://")
        .and_then(|rest| rest.split(':').next())
        .expect("the launch link names its host")
        .to_owned();
    assert!(host.ends_with(".localhost"), "{launch}");
    tokio::spawn(server.run());
    Served {
        dir,
        vault,
        port,
        host,
        launch,
        client,
    }
}

/// How many rows `table` of the vault file holds.
pub fn count(vault: &Path, table: &str) -> i64 {
    let db =
        rusqlite::Connection::open_with_flags(vault, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the vault file");
    db.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

/// The records and audit events of the vault: what a refused request must not change.
pub fn written(vault: &Path) -> (i64, i64) {
    (count(vault, "records"), count(vault, "audit"))
}

/// The CSRF token on a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with its token")
        + 19;
    html[at..at + 64].to_owned()
}

/// A browser that followed the launch link and unlocked; its session cookie (as a
/// `name=value` pair, for raw requests) and the session's CSRF token.
pub async fn unlocked(app: &Served) -> (reqwest::Client, String, String) {
    let b = app.browser();
    // The launch answers with a page of the app's own that moves on to the unlock form
    // (a redirect would keep a browser from sending the new cookie).
    let r = b.get(&app.launch).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set.contains("HttpOnly; SameSite=Strict"), "{set}");
    let cookie = set.split(';').next().unwrap().to_owned();
    assert!(r.text().await.unwrap().contains("url=/unlock"));
    let page = b
        .get(format!("{}/unlock", app.base()))
        .send()
        .await
        .unwrap();
    let csrf = csrf_of(&page.text().await.unwrap());
    let r = b
        .post(format!("{}/unlock", app.base()))
        .header(reqwest::header::ORIGIN, app.base())
        .form(&[
            ("csrf", csrf.as_str()),
            ("member", ""),
            ("passphrase", PASSPHRASE),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "unlock");
    assert_eq!(r.headers()["location"], "/caseload");
    (b, cookie, csrf)
}
