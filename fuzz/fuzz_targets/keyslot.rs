//! See `casevault_fuzz::KeyslotHarness`.
#![no_main]

use std::sync::{LazyLock, Mutex};

use casevault_fuzz::KeyslotHarness;

static HARNESS: LazyLock<Mutex<KeyslotHarness>> =
    LazyLock::new(|| Mutex::new(KeyslotHarness::new()));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut harness = HARNESS.lock().unwrap_or_else(|e| e.into_inner());
    let _ = harness.run(data);
});
