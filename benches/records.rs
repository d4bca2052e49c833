//! One record's cost: `seal`/`open` (an age file with casevault's record stanza,
//! plaintext padded to its size bucket) beside raw ChaCha20-Poly1305 over the same
//! plaintext bytes, at 1, 2 and 16 KiB. `raw-chacha20poly1305-padded` encrypts as many
//! bytes as a record does after padding (length prefix and size bucket: 2, 4 and 32 KiB
//! here), which splits a record's overhead into padding and age's per-file work.
//!
//! `cargo bench --bench records`; see docs/PERFORMANCE.md.

mod common;

use std::hint::black_box;

use casevault::internals::{open_record, seal_record};
use casevault::{RecordKind, RecordRef};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use secrecy::SecretBox;

const SIZES: &[(usize, &str)] = &[(1024, "1KiB"), (2048, "2KiB"), (16 * 1024, "16KiB")];

/// The size a record pads `len` plaintext bytes to (as `record::padded_len` does).
fn padded_len(len: usize) -> usize {
    (len + 4).next_power_of_two().max(512)
}

/// `len` bytes of note text.
fn plaintext(len: usize) -> Vec<u8> {
    let mut rng = common::Rng::new(7);
    let mut text = Vec::with_capacity(len);
    let mut index = 1;
    while text.len() < len {
        text.extend_from_slice(common::note_body(&mut rng, index, 2048).as_bytes());
        index += 1;
    }
    text.truncate(len);
    text
}

fn records(c: &mut Criterion) {
    let key = SecretBox::new(Box::new([7u8; 32]));
    let reference = RecordRef::new(RecordKind::Note, "a1b2c3d4", 1);
    let raw = ChaCha20Poly1305::new(Key::from_slice(&[7u8; 32]));
    let nonce = Nonce::from_slice(&[0u8; 12]);

    let mut seal = c.benchmark_group("seal");
    for &(len, name) in SIZES {
        let plain = plaintext(len);
        seal.throughput(Throughput::Bytes(len as u64));
        seal.bench_with_input(BenchmarkId::new("casevault", name), &plain, |b, plain| {
            b.iter(|| seal_record(&key, &reference, black_box(plain)))
        });
        seal.bench_with_input(
            BenchmarkId::new("raw-chacha20poly1305", name),
            &plain,
            |b, plain| b.iter(|| raw.encrypt(nonce, black_box(&plain[..])).unwrap()),
        );
        let padded = plaintext(padded_len(len));
        seal.bench_with_input(
            BenchmarkId::new("raw-chacha20poly1305-padded", name),
            &padded,
            |b, padded| b.iter(|| raw.encrypt(nonce, black_box(&padded[..])).unwrap()),
        );
    }
    seal.finish();

    let mut open = c.benchmark_group("open");
    for &(len, name) in SIZES {
        let plain = plaintext(len);
        let sealed = seal_record(&key, &reference, &plain);
        let raw_sealed = raw.encrypt(nonce, &plain[..]).unwrap();
        open.throughput(Throughput::Bytes(len as u64));
        open.bench_with_input(BenchmarkId::new("casevault", name), &sealed, |b, sealed| {
            b.iter(|| open_record(&key, &reference, black_box(sealed)).unwrap())
        });
        open.bench_with_input(
            BenchmarkId::new("raw-chacha20poly1305", name),
            &raw_sealed,
            |b, sealed| b.iter(|| raw.decrypt(nonce, black_box(&sealed[..])).unwrap()),
        );
        let raw_padded = raw.encrypt(nonce, &plaintext(padded_len(len))[..]).unwrap();
        open.bench_with_input(
            BenchmarkId::new("raw-chacha20poly1305-padded", name),
            &raw_padded,
            |b, sealed| b.iter(|| raw.decrypt(nonce, black_box(&sealed[..])).unwrap()),
        );
    }
    open.finish();
}

criterion_group!(benches, records);
criterion_main!(benches);
