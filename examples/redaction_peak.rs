//! Peak memory and time of one redaction against a profile of 1,000 third parties
//! whose names are 1,000 characters long (the worst a profile may hold before the
//! redactor fails closed), the note mentioning a few of them.
//!
//! `cargo run --release --example redaction_peak`; prints the time of `Redactor::new`
//! and `redact` and the process's peak resident memory (VmHWM, Linux only).

use std::time::Instant;

use casevault::{Client, Redactor};

/// A name of about `len` characters: words made from `seed`, none a common word.
fn long_name(seed: usize, len: usize) -> String {
    let mut name = String::new();
    let mut word = 0;
    while name.len() + 12 < len {
        if !name.is_empty() {
            name.push(' ');
        }
        name.push_str(&format!("Qx{seed:04}w{word:04}z"));
        word += 1;
    }
    name
}

fn main() {
    let third_parties: Vec<String> = (0..1000).map(|i| long_name(i, 1000)).collect();
    let mentioned = [&third_parties[3], &third_parties[500], &third_parties[999]];
    let mut note = String::new();
    while note.len() < 2048 {
        for name in mentioned {
            note.push_str(&format!("Today she spoke of {name}, at length. "));
        }
    }
    let client = Client {
        id: "0badcafe".into(),
        name: "Ada Example".into(),
        date_of_birth: None,
        contact: None,
        third_parties,
        created_at: "2026-03-01T00:00:00Z".parse().unwrap(),
        care: Default::default(),
    };
    let start = Instant::now();
    let redactor = Redactor::new(&client, true, false);
    let built = start.elapsed();
    let after_new = peak();
    let (text, redactions) = redactor.redact(&note);
    let total = start.elapsed();
    assert!(!text.contains("Qx"), "a name survived");
    println!(
        "new: {built:.2?}, new+redact: {total:.2?}, {} markers",
        redactions.len()
    );
    println!("peak after new: {after_new}; after redact: {}", peak());
}

/// The process's peak resident memory so far (VmHWM), as /proc/self/status gives it.
fn peak() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .map_or_else(|| "unknown".to_owned(), |kb| kb.trim().to_owned())
}
