//! The clinician's app: a local web interface over the casevault library, served by
//! `casevault serve` on 127.0.0.1 only.
//!
//! The pages are as thin as the command line: every operation is a call of the
//! library's [`casevault::Session`], which audits it as the command line's would. What
//! this crate adds is the browser's side of the trust boundary (`guard.rs`): one
//! browser, the one that opened the launch link, holds the session cookie; every
//! request must name this server as its Host (DNS rebinding), every write must come
//! from this server's own pages (Origin and a CSRF token); every response forbids
//! caching, framing, referrers and any script or asset from elsewhere; an idle
//! session locks itself and drops its keys.
//!
//! Invariant: no plaintext of the vault is ever in a URL (ids only; searches and
//! passphrases are posted), in a log line, or in a file, but the export the clinician
//! downloads, which is encrypted.

#![forbid(unsafe_code)]

mod app;
mod guard;
mod html;
mod pages;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub use app::App;

/// How the app is served.
#[derive(Clone, Debug)]
pub struct Config {
    /// The vault: a file, or a database on a server.
    pub vault: casevault::Location,
    /// Where this machine keeps its pins of a server vault's trail
    /// ([`casevault::Session::keep_pins`]); `None` for a vault file.
    pub pins: Option<std::path::PathBuf>,
    /// The port on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// How long a session may sit idle before it locks itself and drops its keys.
    pub idle: Duration,
    /// The offset local times are shown in (read before the server's threads start:
    /// the time crate reads it only while the process has one thread).
    pub offset: time::UtcOffset,
}

/// A server bound to its port, not yet serving.
pub struct Server {
    listener: tokio::net::TcpListener,
    app: Arc<App>,
}

impl Server {
    /// Binds 127.0.0.1 on the configured port. Must run inside a Tokio runtime.
    pub async fn bind(config: Config) -> std::io::Result<Server> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, config.port)))
                .await?;
        let port = listener.local_addr()?.port();
        Ok(Server {
            listener,
            app: Arc::new(App::new(config, port)),
        })
    }

    /// The port it is bound to.
    pub fn port(&self) -> u16 {
        self.app.port()
    }

    /// The one-time link that opens the app: the first browser to follow it gets the
    /// session; the link does not work twice.
    pub fn launch_url(&self) -> String {
        self.app.launch_url()
    }

    /// Serves until the process ends.
    pub async fn run(self) -> std::io::Result<()> {
        let app = self.app.clone();
        tokio::spawn(app::lock_when_idle(app.clone()));
        axum::serve(self.listener, app::router(app)).await
    }
}
