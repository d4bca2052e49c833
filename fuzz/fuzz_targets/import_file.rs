//! See `casevault_fuzz::ImportHarness`.
#![no_main]

use std::sync::{LazyLock, Mutex};

use casevault_fuzz::ImportHarness;

static HARNESS: LazyLock<Mutex<ImportHarness>> = LazyLock::new(|| Mutex::new(ImportHarness::new()));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut harness = HARNESS.lock().unwrap_or_else(|e| e.into_inner());
    let _ = harness.run(data);
});
