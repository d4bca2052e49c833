//! Starting other programs (the user's editor, and whatever it starts in turn).
//!
//! A child inherits the environment, and ours may hold the vault's passphrase
//! (`CASEVAULT_PASSPHRASE`), a recovery code, or the paths of files holding them. Every
//! child is therefore started through [`command`], which removes every variable whose
//! name starts with `CASEVAULT_`: no child needs one, and a plugin, a shell hook or a
//! crash reporter could read or log it. The library forbids unsafe code, so the
//! variables cannot be removed from our own environment (`std::env::remove_var`);
//! they are removed on each `Command` instead.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

/// The prefix of every variable casevault reads, secrets among them.
const PREFIX: &[u8] = b"CASEVAULT_";

/// A `Command` for `program` whose environment holds no `CASEVAULT_*` variable.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    // The one place a child process is made; a unit test below keeps it so.
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        if name.as_bytes().starts_with(PREFIX) {
            command.env_remove(name);
        }
    }
    command
}

#[cfg(test)]
pub(crate) mod tests {
    /// Every source file of the binary, so that no child is started another way (and
    /// no input read another way: `bounded.rs`).
    pub(crate) const SOURCES: &[(&str, &str)] = &[
        ("bounded.rs", include_str!("bounded.rs")),
        ("cli.rs", include_str!("cli.rs")),
        ("commands.rs", include_str!("commands.rs")),
        ("commands/access.rs", include_str!("commands/access.rs")),
        ("commands/audit.rs", include_str!("commands/audit.rs")),
        ("commands/caseload.rs", include_str!("commands/caseload.rs")),
        ("commands/client.rs", include_str!("commands/client.rs")),
        ("commands/consent.rs", include_str!("commands/consent.rs")),
        ("commands/demo.rs", include_str!("commands/demo.rs")),
        ("commands/disclose.rs", include_str!("commands/disclose.rs")),
        ("commands/manual.rs", include_str!("commands/manual.rs")),
        ("commands/member.rs", include_str!("commands/member.rs")),
        ("commands/note.rs", include_str!("commands/note.rs")),
        ("commands/policy.rs", include_str!("commands/policy.rs")),
        (
            "commands/restriction.rs",
            include_str!("commands/restriction.rs"),
        ),
        ("commands/rights.rs", include_str!("commands/rights.rs")),
        ("commands/serve.rs", include_str!("commands/serve.rs")),
        ("commands/vault.rs", include_str!("commands/vault.rs")),
        ("editor.rs", include_str!("editor.rs")),
        ("error.rs", include_str!("error.rs")),
        ("main.rs", include_str!("main.rs")),
        ("output.rs", include_str!("output.rs")),
        ("output/law.rs", include_str!("output/law.rs")),
        ("output/local_time.rs", include_str!("output/local_time.rs")),
        ("output/results.rs", include_str!("output/results.rs")),
        ("private_input.rs", include_str!("private_input.rs")),
        ("progress.rs", include_str!("progress.rs")),
        ("secrets.rs", include_str!("secrets.rs")),
    ];

    /// The `.rs` files under `dir`, at any depth, as paths relative to `src/`
    /// (`prefix`: `dir`'s own).
    fn sources_under(dir: &std::path::Path, prefix: &str, files: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("the binary's source directory") {
            let entry = entry.expect("a directory entry");
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.path().is_dir() {
                sources_under(&entry.path(), &format!("{name}/"), files);
            } else if name.ends_with(".rs") {
                files.push(name);
            }
        }
    }

    #[test]
    fn children_are_started_only_through_child_command() {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources_under(&here, "", &mut files);
        files.retain(|n| n != "child.rs");
        files.sort();
        let listed: Vec<&str> = SOURCES.iter().map(|(n, _)| *n).collect();
        assert_eq!(files, listed, "list every source file in SOURCES");
        for (name, text) in SOURCES {
            for forbidden in ["Command::new", "process::Command"] {
                assert!(
                    !text.contains(forbidden),
                    "{name} starts a child with {forbidden}; use child::command, which keeps CASEVAULT_* secrets out of its environment"
                );
            }
        }
    }
}
