//! See `casevault_fuzz::policy`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = casevault_fuzz::policy(data);
});
