//! See `casevault_fuzz::record`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = casevault_fuzz::record(data);
});
