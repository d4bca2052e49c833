//! Progress on standard error, only when it is a terminal: `note import`'s bar, and a
//! spinner with the time elapsed for the operations that read the whole vault.

use std::io::IsTerminal;

/// A spinner with the time elapsed, on standard error when it is a terminal, for the
/// operations that read the whole vault (search, `audit verify`, `disclose`); it is
/// cleared when dropped.
pub struct Working(Option<indicatif::ProgressBar>);

impl Working {
    pub fn start(what: &str) -> Working {
        Working(std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.set_message(what.to_owned());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        }))
    }
}

impl Drop for Working {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// `note import`'s bar (files done of files found, the time left), when standard error
/// is a terminal.
pub fn import_bar() -> Option<indicatif::ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "importing {bar:40} {pos}/{len} files ({eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    })
}

/// `rekey`'s spinner (records looked at and resealed so far, the time elapsed), when
/// standard error is a terminal: the library reports no total to measure a bar by.
pub fn rekey_spinner() -> Option<indicatif::ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} rekeying: {msg} ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.set_message("starting");
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    })
}
