//! The `casevault` command: argument parsing, secret input, printing and exit codes.
//! All vault work is done by the library.

#![forbid(unsafe_code)]

mod bounded;
mod child;
mod cli;
mod commands;
mod editor;
mod error;
mod output;
mod private_input;
mod progress;
mod secrets;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use commands::{
    access, audit, caseload, client, consent, demo, disclose, manual, member, note, policy,
    restriction, rights, serve, vault,
};
use error::CliError;
use output::{Printer, eout};

fn main() -> ExitCode {
    // Before any secret is read: no core dumps, no ptrace or /proc/PID/mem by others.
    if let Err(e) = casevault::harden_process() {
        let e = CliError::from(e);
        eprintln!("{e}");
        return ExitCode::from(e.code() as u8);
    }
    // First, while the process has one thread (see `read_offset`).
    output::local_time::read_offset();
    let cli = Cli::parse();
    let out = Printer::new(cli.json);
    let result = run(&cli, &out);
    // Whatever was printed before an error is still shown (a denied decision, say).
    if let Err(e) = out.flush()
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        // A reader that stopped early (`| head`) is not an error; anything else is.
        eout!("error: cannot write the output: {e}");
        return ExitCode::from(error::exit::ERROR as u8);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.code() as u8)
        }
    }
}

/// Runs one command: each is a function in the module of its family (`commands/`).
fn run(cli: &Cli, out: &Printer) -> Result<(), CliError> {
    match &cli.command {
        Command::Init(kdf) => vault::init(cli, kdf, out),
        Command::Passwd(new) => vault::passwd(cli, new, out),
        Command::Recover {
            recovery_code_file,
            new,
        } => vault::recover(cli, recovery_code_file.as_deref(), new, out),
        Command::Client(command) => client::run(cli, command, out),
        Command::Note(command) => note::run(cli, command, out),
        Command::Search { query, client } => {
            note::search(cli, query.as_deref(), client.as_deref(), out)
        }
        Command::Consent(command) => consent::run(cli, command, out),
        Command::Restriction(command) => restriction::run(cli, command, out),
        Command::Intake {
            client,
            acknowledged_on,
            allow_future,
        } => consent::intake(cli, client, *acknowledged_on, *allow_future, out),
        Command::Policy(command) => policy::run(cli, command, out),
        Command::Disclose(args) => disclose::disclose(cli, args, out),
        Command::Accounting {
            client,
            fhir,
            legal,
            request,
        } => disclose::accounting(cli, client, *fhir, legal.then_some(request.as_deref()), out),
        Command::Request(command) => rights::run(cli, command, out),
        Command::Due => rights::due(cli, out),
        Command::Retention { past } => rights::retention(cli, *past, out),
        Command::Audit(command) => audit::run(cli, command, out),
        Command::Member(command) => member::run(cli, command, out),
        Command::Caseload(command) => caseload::run(cli, command, out),
        Command::Access(command) => access::run(cli, command, out),
        Command::Rekey => vault::rekey(cli, out),
        Command::Index(cli::IndexCommand::Rebuild) => vault::index_rebuild(cli, out),
        Command::Backup { out: target } => vault::backup(cli, target, out),
        Command::Migrate { to } => vault::migrate(cli, to, out),
        Command::Demo => demo::run(out),
        Command::Serve {
            port,
            no_open,
            idle_minutes,
        } => serve::serve(cli, *port, *no_open, *idle_minutes, out),
        Command::Completions { shell } => manual::completions(*shell, out),
        Command::Man { dir } => manual::man(dir.as_deref(), out),
    }
}
