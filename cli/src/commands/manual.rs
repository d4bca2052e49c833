//! Generated from the argument definitions: `completions` and `man`.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::CliError;
use crate::output::Printer;

pub fn completions(shell: clap_complete::Shell, out: &Printer) -> Result<(), CliError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "casevault", &mut script);
    out.text(&String::from_utf8_lossy(&script));
    Ok(())
}

pub fn man(dir: Option<&Path>, out: &Printer) -> Result<(), CliError> {
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .and_then(|()| clap_mangen::generate_to(Cli::command(), dir))
                .map_err(|e| {
                    CliError::input(
                        format!("cannot write the manual pages into {}: {e}", dir.display()),
                        "check that the directory can be created and written",
                    )
                })?;
            out.done(&format!("manual pages written to {}", dir.display()));
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| {
                    CliError::input(
                        format!("cannot render the manual page: {e}"),
                        "report this as a bug",
                    )
                })?;
            out.text(&String::from_utf8_lossy(&page));
        }
    }
    Ok(())
}
