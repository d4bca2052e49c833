//! Process hygiene while secrets are in memory: no core dumps, and a process that other
//! processes of the same user cannot attach to or read (`/proc/PID/mem`, ptrace).
//!
//! The vault calls [`harden`] before it derives any key (in [`Vault::open`] and
//! [`Vault::create`]), so an embedding program gets it without asking; the CLI calls
//! [`harden_process`] first thing, before it reads a passphrase.
//!
//! [`Vault::open`]: crate::Vault::open
//! [`Vault::create`]: crate::Vault::create
//! [`harden_process`]: crate::harden_process

/// A step of the hardening failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot {what}: {source}")]
pub(crate) struct HardeningError {
    /// What failed.
    pub(crate) what: &'static str,
    /// The system's error.
    #[source]
    pub(crate) source: std::io::Error,
}

/// Turns core dumps off (soft and hard limit 0, so nothing run later can raise them)
/// and marks the process not dumpable. Idempotent; the change lasts for the life of
/// the process.
pub(crate) fn harden() -> Result<(), HardeningError> {
    use rustix::process::{Resource, Rlimit, setrlimit};

    setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    )
    .map_err(|e| HardeningError {
        what: "turn core dumps off",
        source: e.into(),
    })?;
    #[cfg(target_os = "linux")]
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .map_err(|e| HardeningError {
            what: "mark the process not dumpable",
            source: e.into(),
        })?;
    Ok(())
}
