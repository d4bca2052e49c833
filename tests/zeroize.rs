//! Secrets are wiped before their memory is given back.
//!
//! This test binary installs a global allocator that, while armed, looks inside every
//! block freed (or moved by a reallocation) for the passphrases and the recovery code
//! in use, and counts the blocks that still hold one. Creating a vault, unlocking it,
//! a wrong passphrase, changing the passphrase and recovering with the code must free
//! no block that holds any of them: every copy the library makes lives in a
//! zeroizing type.
//!
//! The secrets are made so that the test itself leaves no copy: each `String` is
//! allocated at its exact length, so turning it into a `SecretString` moves it rather
//! than reallocating it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use casevault::{KdfParams, RecoveryCode, Vault};
use secrecy::SecretString;
use zeroize::Zeroizing;

const PASSPHRASE: &[u8] = b"zeroize-canary passphrase Qm7vX2kd";
const NEW_PASSPHRASE: &[u8] = b"zeroize-canary second one Lp4wR8tc";

/// The recovery code, without its dashes, once it is known (set before arming).
static mut CODE: [u8; 32] = [0; 32];
static CODE_SET: AtomicBool = AtomicBool::new(false);
static ARMED: AtomicBool = AtomicBool::new(false);
static LEAKS: AtomicUsize = AtomicUsize::new(0);

struct Watching;

fn holds(block: &[u8], needle: &[u8]) -> bool {
    if block.len() < needle.len() {
        return false;
    }
    // Argon2id frees 64 MiB blocks: look for the first byte, then compare.
    let last = block.len() - needle.len();
    let mut i = 0;
    while let Some(at) = block[i..=last].iter().position(|b| *b == needle[0]) {
        if &block[i + at..i + at + needle.len()] == needle {
            return true;
        }
        i += at + 1;
        if i > last {
            break;
        }
    }
    false
}

/// Reads the recovery code's characters back out of a grouped code (`ABCD-EFGH-…`):
/// a freed block holding it in either form counts.
fn holds_code(block: &[u8]) -> bool {
    if !CODE_SET.load(Ordering::SeqCst) {
        return false;
    }
    // SAFETY: CODE is written once, before CODE_SET is set, and only read after.
    let code: &[u8; 32] = unsafe { &*std::ptr::addr_of!(CODE) };
    let mut grouped = [0u8; 39];
    let mut n = 0;
    for (i, c) in code.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            grouped[n] = b'-';
            n += 1;
        }
        grouped[n] = *c;
        n += 1;
    }
    holds(block, code) || holds(block, &grouped)
}

unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::SeqCst) {
            // SAFETY: the block is still ours, `layout.size()` bytes long.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            if holds(block, PASSPHRASE) || holds(block, NEW_PASSPHRASE) || holds_code(block) {
                LEAKS.fetch_add(1, Ordering::SeqCst);
            }
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Watching = Watching;

/// A secret string allocated at exactly its length.
fn secret(bytes: &[u8]) -> SecretString {
    let mut s = String::with_capacity(bytes.len());
    s.push_str(std::str::from_utf8(bytes).unwrap());
    SecretString::from(s)
}

fn leaks_during(what: &str, f: impl FnOnce()) {
    LEAKS.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    f();
    ARMED.store(false, Ordering::SeqCst);
    let n = LEAKS.load(Ordering::SeqCst);
    assert_eq!(n, 0, "{what}: {n} freed block(s) still held a secret");
}

#[test]
fn no_secret_is_left_in_memory_given_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.casevault");

    // Positive control: a plain copy of the passphrase, freed, is seen.
    LEAKS.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    drop(std::hint::black_box(PASSPHRASE.to_vec()));
    ARMED.store(false, Ordering::SeqCst);
    assert_eq!(
        LEAKS.load(Ordering::SeqCst),
        1,
        "the watch must see a copy freed unwiped, or this test proves nothing"
    );

    let mut code_text = Zeroizing::new(String::new());
    leaks_during("creating a vault", || {
        let pass = secret(PASSPHRASE);
        let (session, code) = Vault::create(&path, &pass, KdfParams::default(), "dr-test").unwrap();
        code_text.push_str(code.expose());
        drop(session);
        drop(code);
        drop(pass);
    });
    let bare: Zeroizing<Vec<u8>> =
        Zeroizing::new(code_text.bytes().filter(|b| *b != b'-').collect());
    assert_eq!(bare.len(), 32);
    // SAFETY: written once here, before CODE_SET, with nothing armed.
    unsafe { std::ptr::addr_of_mut!(CODE).write(bare[..].try_into().unwrap()) };
    CODE_SET.store(true, Ordering::SeqCst);

    leaks_during("unlocking, reading and writing", || {
        let pass = secret(PASSPHRASE);
        let mut session = Vault::open(&path)
            .unwrap()
            .unlock(&pass, "dr-test")
            .unwrap();
        session.list_clients().unwrap();
        drop(session);
        drop(pass);
    });

    leaks_during("a wrong passphrase", || {
        let wrong = secret(NEW_PASSPHRASE);
        assert!(
            Vault::open(&path)
                .unwrap()
                .unlock(&wrong, "dr-test")
                .is_err()
        );
        drop(wrong);
    });

    leaks_during("changing the passphrase", || {
        let pass = secret(PASSPHRASE);
        let new = secret(NEW_PASSPHRASE);
        let mut session = Vault::open(&path)
            .unwrap()
            .unlock(&pass, "dr-test")
            .unwrap();
        session.change_passphrase(&pass, &new, None).unwrap();
        drop(session);
        drop((pass, new));
    });

    leaks_during(
        "recovering with the code, typed in lower case with spaces",
        || {
            let mut typed = String::with_capacity(code_text.len());
            typed.push_str(&code_text.to_lowercase().replace('-', " "));
            let typed = SecretString::from(typed);
            let code = RecoveryCode::parse(&typed);
            let new = secret(PASSPHRASE);
            let session = Vault::open(&path)
                .unwrap()
                .recover(&code, &new, None, "dr-test")
                .unwrap();
            assert!(!session.vault_id().is_empty());
            drop(session);
            drop((code, typed, new));
        },
    );

    // And the vault still opens with the passphrase recovery set.
    let pass = secret(PASSPHRASE);
    let mut session = Vault::open(&path)
        .unwrap()
        .unlock(&pass, "dr-test")
        .unwrap();
    assert!(session.verify_audit(None).unwrap().is_intact());
}
