//! `casevault serve`: the clinician's app on 127.0.0.1, opened in the default browser
//! through a one-time launch link.

use std::io::Write;
use std::time::Duration;

use crate::child;
use crate::cli::Cli;
use crate::error::CliError;
use crate::output::Printer;

/// Serves the app until interrupted. The launch link is printed, and given to the
/// browser through a private file (not on a command line other users can read).
pub fn serve(
    cli: &Cli,
    port: u16,
    no_open: bool,
    idle_minutes: u32,
    out: &Printer,
) -> Result<(), CliError> {
    if !(1..=480).contains(&idle_minutes) {
        return Err(CliError::usage(
            format!("--idle-minutes {idle_minutes} is out of range"),
            "give 1 to 480 minutes",
        ));
    }
    let vault = super::vault_path(cli)?;
    if let Some(path) = vault.as_path()
        && !path.exists()
    {
        return Err(casevault::Error::from(casevault::StoreError::Missing(vault)).into());
    }
    // Read at startup, while the process had one thread (the time crate reads the
    // local offset only then).
    let offset = crate::output::local_time::offset().unwrap_or(time::UtcOffset::UTC);
    let pins = if vault.is_server() {
        Some(super::pins_dir()?)
    } else {
        None
    };
    let config = casevault_web::Config {
        vault,
        pins,
        port,
        idle: Duration::from_secs(u64::from(idle_minutes) * 60),
        offset,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::input(format!("cannot start the server: {e}"), "try again"))?;
    runtime.block_on(async {
        let server = casevault_web::Server::bind(config).await.map_err(|e| {
            CliError::input(
                format!("cannot listen on 127.0.0.1:{port}: {e}"),
                "choose another port with --port N, or --port 0 for any free one",
            )
        })?;
        let url = server.launch_url();
        out.served(&url, idle_minutes);
        let _opener = if no_open { None } else { open_in_browser(&url) };
        server
            .run()
            .await
            .map_err(|e| CliError::input(format!("the server stopped: {e}"), "start it again"))
    })
}

/// Opens `url` in the default browser through a private page that forwards to it (a
/// meta refresh, no script), so the link is never on a command line. The directory
/// holding the page is removed when the returned guard drops.
fn open_in_browser(url: &str) -> Option<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("casevault-open-")
        .tempdir()
        .ok()?;
    let page = dir.path().join("open.html");
    let mut file = std::fs::File::create(&page).ok()?;
    write!(
        file,
        "<!DOCTYPE html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={url}\"><title>casevault</title><p>Opening casevault…</p>"
    )
    .ok()?;
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    child::command(opener)
        .arg(&page)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    Some(dir)
}
