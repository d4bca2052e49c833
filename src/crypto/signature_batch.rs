//! Ed25519 batch verification, with each signer's key counted once.
//!
//! `ed25519_dalek::verify_batch` checks, for random 128-bit `zᵢ`,
//!
//! ```text
//! −(Σ zᵢ·sᵢ)·B + Σ zᵢ·Rᵢ + Σ (zᵢ·hᵢ)·Aᵢ = 0,    hᵢ = SHA-512(Rᵢ ‖ Aᵢ ‖ Mᵢ)
//! ```
//!
//! with one point per signature for `Aᵢ`. An audit trail's events are signed by a
//! handful of members, so the same `A` comes back hundreds of times in a batch: here
//! the terms of one key are summed first, `(Σ zᵢ·hᵢ)·A`, which is the same equation with
//! about half the points (and the points with full-size scalars, the costly half).
//! Everything else is as in `ed25519_dalek`: `s` must be canonical, `R` must
//! decompress, the `zᵢ` are 128 bits. The `zᵢ` come from the operating system's
//! generator.
//!
//! A batch that fails says only that some signature in it is bad; the caller checks
//! those one by one (`VerifyingKey::verify_strict`).

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use ed25519_dalek::{Signature, VerifyingKey};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha512};

/// True when every `(message, signature, key)` verifies, as `ed25519_dalek::verify_batch`
/// decides.
pub(crate) fn verify(batch: &[(&[u8], Signature, VerifyingKey)]) -> bool {
    if batch.is_empty() {
        return true;
    }
    // The distinct keys, in order of first use, and each one's summed coefficient.
    let mut keys: Vec<(VerifyingKey, Scalar)> = Vec::new();
    let mut b_coefficient = Scalar::ZERO;
    let mut r_coefficients = Vec::with_capacity(batch.len());
    let mut r_points = Vec::with_capacity(batch.len());
    for (message, signature, key) in batch {
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(*signature.s_bytes()))
        else {
            return false;
        };
        let Some(r) = CompressedEdwardsY(*signature.r_bytes()).decompress() else {
            return false;
        };
        let mut h = Sha512::new();
        h.update(signature.r_bytes());
        h.update(key.as_bytes());
        h.update(message);
        let h = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let mut z = [0u8; 16];
        OsRng.fill_bytes(&mut z);
        let z = Scalar::from(u128::from_le_bytes(z));
        b_coefficient += z * s;
        r_coefficients.push(z);
        r_points.push(r);
        match keys.iter_mut().find(|(k, _)| k == key) {
            Some((_, coefficient)) => *coefficient += z * h,
            None => keys.push((*key, z * h)),
        }
    }
    let scalars = std::iter::once(-b_coefficient)
        .chain(r_coefficients)
        .chain(keys.iter().map(|(_, c)| *c));
    let points = std::iter::once(curve25519_dalek::constants::ED25519_BASEPOINT_POINT)
        .chain(r_points)
        .chain(keys.iter().map(|(k, _)| k.to_edwards()));
    EdwardsPoint::vartime_multiscalar_mul(scalars, points).is_identity()
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer, SigningKey};

    use super::*;

    fn signed(keys: &[SigningKey], n: usize) -> Vec<(Vec<u8>, Signature, VerifyingKey)> {
        (0..n)
            .map(|i| {
                let key = &keys[i % keys.len()];
                let message = format!("event {i}").into_bytes();
                let signature = key.sign(&message);
                (message, signature, key.verifying_key())
            })
            .collect()
    }

    fn check(items: &[(Vec<u8>, Signature, VerifyingKey)]) -> bool {
        let batch: Vec<(&[u8], Signature, VerifyingKey)> =
            items.iter().map(|(m, s, k)| (&m[..], *s, *k)).collect();
        let ours = verify(&batch);
        let messages: Vec<&[u8]> = items.iter().map(|(m, ..)| &m[..]).collect();
        let signatures: Vec<Signature> = items.iter().map(|(_, s, _)| *s).collect();
        let keys: Vec<VerifyingKey> = items.iter().map(|(.., k)| *k).collect();
        let theirs = ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok();
        assert_eq!(ours, theirs, "differs from ed25519_dalek::verify_batch");
        ours
    }

    fn keys(n: usize) -> Vec<SigningKey> {
        (0..n).map(|_| SigningKey::generate(&mut OsRng)).collect()
    }

    #[test]
    fn good_batches_verify() {
        for (signers, n) in [(1, 1), (1, 300), (3, 300), (40, 41)] {
            assert!(check(&signed(&keys(signers), n)), "{signers} signers, {n}");
        }
        assert!(verify(&[]));
    }

    #[test]
    fn one_bad_signature_fails_the_batch() {
        let items = signed(&keys(2), 64);
        for i in [0, 17, 63] {
            // Another message.
            let mut bad = items.clone();
            bad[i].0.push(b'!');
            assert!(!check(&bad), "message {i}");
            // Another signer's key.
            let mut bad = items.clone();
            bad[i].2 = bad[(i + 1) % 64].2;
            assert!(!check(&bad), "key {i}");
            // Each half of the signature altered.
            for byte in [0, 40] {
                let mut bytes = bad_signature_bytes(&items[i].1);
                bytes[byte] ^= 1;
                let mut bad = items.clone();
                bad[i].1 = Signature::from_bytes(&bytes);
                assert!(!check(&bad), "signature {i} byte {byte}");
            }
            // Two signatures swapped.
            let mut bad = items.clone();
            let other = bad[(i + 2) % 64].1;
            bad[i].1 = other;
            assert!(!check(&bad), "swapped {i}");
        }
    }

    #[test]
    fn non_canonical_s_is_refused() {
        let mut items = signed(&keys(1), 4);
        let mut bytes = bad_signature_bytes(&items[1].1);
        // s + ℓ: the same value mod ℓ, not canonical.
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(bytes[32 + i]) + u16::from(L[i]) + carry;
            bytes[32 + i] = sum as u8;
            carry = sum >> 8;
        }
        items[1].1 = Signature::from_bytes(&bytes);
        assert!(!check(&items));
    }

    fn bad_signature_bytes(signature: &Signature) -> [u8; 64] {
        signature.to_bytes()
    }
}
