//! See `casevault_fuzz::note_markup`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = casevault_fuzz::note_markup(data);
});
