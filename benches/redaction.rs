//! Redaction's cost as the profile grows: `Redactor::new` and one `redact` of a
//! 2 KiB note, for a client whose profile lists 10, 100 and 1,000 third parties
//! (two-word names), the note mentioning a few of them. An export builds one
//! redactor per client and runs it over every section, so both halves count.
//!
//! `cargo bench --bench redaction`; see docs/PERFORMANCE.md.

use std::hint::black_box;

use casevault::{Client, Redactor};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ren", "tas", "vu", "dor", "bel", "quin", "sa", "tor", "ny", "gal", "fe",
    "hu", "jon", "pri", "zed", "wil", "co",
];

/// A made-up name part, distinct for each `n`: three syllables.
fn part(n: usize) -> String {
    let s = SYLLABLES.len();
    let mut word: String = [n % s, (n / s) % s, (n / (s * s)) % s]
        .iter()
        .map(|&i| SYLLABLES[i])
        .collect();
    if let Some(first) = word.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    word
}

fn client(names: usize) -> Client {
    Client {
        id: "0badcafe".into(),
        name: "Ada Example".into(),
        date_of_birth: Some("1990-05-17".parse().expect("a date")),
        contact: Some("555-123-4567, ada@example.org; 12 Elm St., Springfield".into()),
        third_parties: (0..names)
            .map(|i| format!("{} {} (friend)", part(2 * i + 1), part(2 * i + 2)))
            .collect(),
        created_at: "2026-03-01T00:00:00Z".parse().unwrap(),
        care: Default::default(),
    }
}

/// About 2 KiB of session notes naming the first few third parties.
fn note(client: &Client) -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 2048 {
        let name = &client.third_parties[i % client.third_parties.len().min(5)];
        let name = name.split(" (").next().unwrap_or(name);
        text.push_str(&format!(
            "Ada spoke of {name} again; she said the week was hard, that work at the \
             office kept her late and that she slept badly. Call back on 555-010-{i:04}. "
        ));
        i += 1;
    }
    text
}

fn redaction(c: &mut Criterion) {
    let mut group = c.benchmark_group("redaction");
    for names in [10, 100, 1000] {
        let client = client(names);
        let note = note(&client);
        group.bench_with_input(BenchmarkId::new("new+redact", names), &names, |b, _| {
            b.iter(|| {
                let redactor = Redactor::new(black_box(&client), true, false);
                black_box(redactor.redact(black_box(&note)))
            });
        });
        let redactor = Redactor::new(&client, true, false);
        group.bench_with_input(BenchmarkId::new("redact", names), &names, |b, _| {
            b.iter(|| black_box(redactor.redact(black_box(&note))));
        });
    }
    group.finish();
}

criterion_group!(benches, redaction);
criterion_main!(benches);
