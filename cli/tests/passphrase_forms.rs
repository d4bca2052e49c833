//! A passphrase opens its vault however it reaches casevault: accents composed (NFC),
//! decomposed (NFD) or a mix, from the environment, from a file with or without a
//! byte-order mark and with any line ending, or typed at the prompt. A vault whose
//! keyslot was sealed before passphrases were normalized (from an NFD passphrase, or
//! from a file's byte-order mark) still opens with the passphrase as it was given,
//! and is rewrapped so that every form opens it after. An export passphrase file with
//! a byte-order mark and CRLF gives an export that opens with the passphrase typed.
//!
//! Passphrases are generated: random words with random accented letters, each run.

mod common;

use std::io::{Read, Write};
use std::iter;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{PASSPHRASE, TestVault};
use rand::Rng;
use rand::seq::SliceRandom;
use secrecy::SecretString;
use unicode_normalization::UnicodeNormalization;

/// Letters with one or two accents, in their composed form.
const ACCENTED: &[char] = &[
    'é', 'è', 'ê', 'ë', 'à', 'â', 'ä', 'å', 'Å', 'ç', 'ñ', 'ö', 'ô', 'ő', 'ü', 'ű', 'ǖ', 'ắ', 'ṩ',
    'ệ', 'ø', 'ž', 'ş',
];

/// A generated passphrase in NFC: four words, each with accented letters.
fn generated() -> String {
    let mut rng = rand::thread_rng();
    let words: Vec<String> = (0..4)
        .map(|_| {
            let len = rng.gen_range(4..8);
            let mut word: Vec<char> = (0..len)
                .map(|_| (b'a' + rng.gen_range(0..26)) as char)
                .collect();
            for _ in 0..rng.gen_range(1..3) {
                let at = rng.gen_range(0..len);
                word[at] = *ACCENTED.choose(&mut rng).expect("letters");
            }
            word.into_iter().collect()
        })
        .collect();
    let text = words.join(" ");
    assert_eq!(text, text.nfc().collect::<String>());
    text
}

fn nfd(text: &str) -> String {
    text.nfd().collect()
}

/// Each character composed or decomposed at random, with at least one of each when
/// the text has accents.
fn mixed(text: &str) -> String {
    let mut rng = rand::thread_rng();
    let chars: Vec<char> = text.chars().collect();
    let accented: Vec<usize> = (0..chars.len())
        .filter(|&i| ACCENTED.contains(&chars[i]))
        .collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        let decompose = if accented.first() == Some(&i) {
            true
        } else if accented.last() == Some(&i) {
            false
        } else {
            rng.gen_bool(0.5)
        };
        if decompose {
            out.extend(iter::once(*c).nfd());
        } else {
            out.push(*c);
        }
    }
    out
}

/// The ways a passphrase reaches the command.
#[derive(Clone, Copy, Debug)]
enum Via {
    Env,
    /// A file: the passphrase after `prefix`, followed by `ending`.
    File {
        prefix: &'static str,
        ending: &'static str,
    },
    /// Typed at the no-echo prompt (under `script`, which gives it a terminal).
    Prompt,
}

const FILES: &[Via] = &[
    Via::File {
        prefix: "",
        ending: "\n",
    },
    Via::File {
        prefix: "",
        ending: "\r\n",
    },
    Via::File {
        prefix: "\u{feff}",
        ending: "\r\n",
    },
    Via::File {
        prefix: "\u{feff}",
        ending: "",
    },
    Via::File {
        prefix: "",
        ending: "\r",
    },
    Via::File {
        prefix: "\u{feff}",
        ending: "\n# a comment line that is not read\n",
    },
];

fn have_script() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("script").is_file()))
}

/// `sh -c` quoting.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Runs `casevault ARGS` on `v` with `passphrase` given `via`; returns the exit code and
/// standard error.
fn casevault(v: &TestVault, passphrase: &str, via: Via, args: &[&str]) -> (Option<i32>, String) {
    let bin = env!("CARGO_BIN_EXE_casevault");
    let mut cmd = match via {
        Via::Prompt => {
            let line = iter::once(bin)
                .chain(args.iter().copied())
                .map(quote)
                .collect::<Vec<_>>()
                .join(" ");
            let mut cmd = Command::new("script");
            cmd.args(["-qec", &line, "/dev/null"]);
            cmd
        }
        _ => {
            let mut cmd = Command::new(bin);
            cmd.args(args);
            cmd
        }
    };
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", v.dir.path())
        .env("TMPDIR", v.dir.path())
        .env("USER", "dr-test")
        .env("CASEVAULT_VAULT", &v.path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match via {
        Via::Env => {
            cmd.env("CASEVAULT_PASSPHRASE", passphrase);
        }
        Via::File { prefix, ending } => {
            let file = v.dir.path().join("passphrase.txt");
            std::fs::write(&file, format!("{prefix}{passphrase}{ending}")).expect("write");
            cmd.env("CASEVAULT_PASSPHRASE_FILE", &file);
        }
        Via::Prompt => {}
    }
    let mut child = cmd.spawn().expect("run casevault");
    let mut stdin = child.stdin.take().expect("stdin");
    if let Via::Prompt = via {
        // `init` asks twice.
        let typed = format!("{passphrase}\n");
        let _ = stdin.write_all(typed.repeat(2).as_bytes());
        // Left open until the command ends: `script` ends its session at end of input.
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(60));
            drop(stdin);
        });
    } else {
        drop(stdin);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("casevault {args:?} via {via:?} did not end within a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr);
    let mut stdout = String::new();
    let _ = child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout);
    // Under `script`, errors come back on its standard output.
    (status.code(), format!("{stderr}{stdout}"))
}

#[test]
fn every_form_of_an_accented_passphrase_opens_the_same_vault() {
    let mut rng = rand::thread_rng();
    let prompt = have_script();
    if !prompt {
        eprintln!("note: the prompt is not tried: `script` (bsdutils) is not on PATH");
    }
    for _ in 0..2 {
        let passphrase = generated();
        let forms = [passphrase.clone(), nfd(&passphrase), mixed(&passphrase)];
        assert_ne!(forms[0], forms[1], "the passphrase has accents");
        let v = TestVault::empty();
        let made_with = forms.choose(&mut rng).expect("forms");
        let made_via = *FILES.choose(&mut rng).expect("files");
        let (code, err) = casevault(&v, made_with, made_via, &["init"]);
        assert_eq!(code, Some(0), "init via {made_via:?}: {err}");
        for (i, form) in forms.iter().enumerate() {
            let mut ways = vec![Via::Env, *FILES.choose(&mut rng).expect("files")];
            if prompt {
                ways.push(Via::Prompt);
            }
            for via in ways {
                let (code, err) = casevault(&v, form, via, &["client", "list"]);
                assert_eq!(
                    code,
                    Some(0),
                    "form {i} via {via:?} (made via {made_via:?}): {err}"
                );
                assert!(!err.contains("failed unlock"), "{err}");
            }
        }
        // A different passphrase still does not open it.
        let (code, _) = casevault(&v, &generated(), Via::Env, &["client", "list"]);
        assert_eq!(code, Some(3));
        // passwd to a decomposed new passphrase; its composed form opens the vault.
        let new = generated();
        let file = v.dir.path().join("new.txt");
        std::fs::write(&file, format!("\u{feff}{}\r\n", nfd(&new))).expect("write");
        let mut cmd = v.cmd_with_passphrase(&forms[2]);
        cmd.args(["passwd", "--new-passphrase-file"]).arg(&file);
        cmd.assert().success();
        let (code, err) = casevault(&v, &new, Via::Env, &["client", "list"]);
        assert_eq!(code, Some(0), "{err}");
        let (code, err) = casevault(&v, &mixed(&new), Via::Env, &["client", "list"]);
        assert_eq!(code, Some(0), "{err}");
    }
}

// ---------------------------------------------------------------------------------
// A keyslot as casevault sealed it before passphrases were normalized.

const TAG: &str = "casevault-argon2id";
const SALT_LABEL: &[u8] = b"casevault.org/v1/keyslot/argon2id";

fn wrapping_key(secret: &str, salt: &[u8], args: &[String]) -> [u8; 32] {
    let number = |i: usize| args[i].parse::<u32>().expect("a number");
    let params = argon2::Params::new(number(1), number(2), number(3), Some(32)).expect("params");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = [0u8; 32];
    argon
        .hash_password_into(secret.as_bytes(), &[SALT_LABEL, salt].concat(), &mut key)
        .expect("argon2id");
    key
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::prelude::BASE64_STANDARD_NO_PAD.encode(bytes)
}

struct OldIdentity(String);

impl age::Identity for OldIdentity {
    fn unwrap_stanza(
        &self,
        stanza: &age_core::format::Stanza,
    ) -> Option<Result<age_core::format::FileKey, age::DecryptError>> {
        use base64::Engine;
        if stanza.tag != TAG {
            return None;
        }
        let salt = base64::prelude::BASE64_STANDARD_NO_PAD
            .decode(&stanza.args[0])
            .expect("salt");
        let key = wrapping_key(&self.0, &salt, &stanza.args);
        let plain = age_core::primitives::aead_decrypt(&key, 16, &stanza.body).ok()?;
        Some(Ok(age_core::format::FileKey::init_with_mut(|k| {
            k.copy_from_slice(&plain)
        })))
    }
}

struct OldRecipient(String);

impl age::Recipient for OldRecipient {
    fn wrap_file_key(
        &self,
        file_key: &age_core::format::FileKey,
    ) -> Result<
        (
            Vec<age_core::format::Stanza>,
            std::collections::HashSet<String>,
        ),
        age::EncryptError,
    > {
        use secrecy::ExposeSecret;
        let mut salt = [0u8; 16];
        rand::thread_rng().fill(&mut salt);
        let args: Vec<String> = [b64(&salt), "65536".into(), "3".into(), "4".into()].into();
        let key = wrapping_key(&self.0, &salt, &args);
        let body = age_core::primitives::aead_encrypt(&key, file_key.expose_secret());
        Ok((
            vec![age_core::format::Stanza {
                tag: TAG.into(),
                args,
                body,
            }],
            Default::default(),
        ))
    }
}

/// Replaces the vault's passphrase keyslot (opened with `current`) by one sealed the
/// way casevault sealed them before: from `given` exactly as it is.
fn seal_as_before(v: &TestVault, current: &str, given: &str) -> Vec<u8> {
    let db = v.sqlite();
    let slot = common::keyslot(&db, "passphrase");
    let decryptor = age::Decryptor::new_buffered(&slot[..]).expect("an age file");
    let identity = OldIdentity(current.to_owned());
    let mut reader = decryptor
        .decrypt(iter::once(&identity as &dyn age::Identity))
        .expect("the current passphrase opens the keyslot");
    let mut root = Vec::new();
    reader.read_to_end(&mut root).expect("the root secret");
    assert_eq!(root.len(), 32);
    let recipient = OldRecipient(given.to_owned());
    let encryptor = age::Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient))
        .expect("encryptor");
    let mut sealed = Vec::new();
    let mut writer = encryptor.wrap_output(&mut sealed).expect("in memory");
    writer.write_all(&root).expect("in memory");
    writer.finish().expect("in memory");
    db.execute(
        "UPDATE keyslots SET keyslot = ?1 WHERE name = 'passphrase'",
        [&sealed],
    )
    .expect("replace the keyslot");
    sealed
}

#[test]
fn a_vault_sealed_before_normalization_still_opens_and_is_rewrapped() {
    let passphrase = generated();
    // Sealed from the decomposed form (a Mac keyboard, say), and from a Notepad file
    // whose byte-order mark became part of the passphrase.
    for (given, via) in [
        (nfd(&passphrase), Via::Env),
        (
            format!("\u{feff}{passphrase}"),
            Via::File {
                prefix: "\u{feff}",
                ending: "\r\n",
            },
        ),
    ] {
        let (v, _) = TestVault::init_with_passphrase(&passphrase);
        let old = seal_as_before(&v, &passphrase, &given);
        let typed = given.strip_prefix('\u{feff}').unwrap_or(&given);
        let (code, err) = casevault(&v, typed, via, &["client", "list"]);
        assert_eq!(code, Some(0), "the old keyslot opens as before: {err}");
        // Rewrapped under the normal form, audited like a passphrase change.
        let db = v.sqlite();
        assert_ne!(common::keyslot(&db, "passphrase"), old, "rewrapped");
        drop(db);
        let out = v
            .cmd_with_passphrase(&passphrase)
            .args(["audit", "log", "--json"])
            .assert()
            .success();
        let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(text.contains("vault.passwd"), "{text}");
        // Every form opens it now, and the plain composed passphrase from anywhere.
        for form in [passphrase.clone(), nfd(&passphrase), mixed(&passphrase)] {
            let (code, err) = casevault(&v, &form, Via::Env, &["client", "list"]);
            assert_eq!(code, Some(0), "{err}");
        }
        let (code, err) = casevault(
            &v,
            &passphrase,
            Via::File {
                prefix: "",
                ending: "\n",
            },
            &["client", "list"],
        );
        assert_eq!(code, Some(0), "{err}");
    }
}

#[test]
fn a_wrong_passphrase_against_an_old_keyslot_is_one_failed_unlock() {
    let passphrase = generated();
    let (v, _) = TestVault::init_with_passphrase(&passphrase);
    seal_as_before(&v, &passphrase, &nfd(&passphrase));
    let (code, _) = casevault(&v, &nfd(&generated()), Via::Env, &["client", "list"]);
    assert_eq!(code, Some(3));
    let (code, err) = casevault(&v, &nfd(&passphrase), Via::Env, &["client", "list"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("1 failed unlock attempt"), "{err}");
    // Rewrapped: the composed form opens it too now.
    let (code, err) = casevault(&v, &passphrase, Via::Env, &["client", "list"]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn an_export_passphrase_file_with_a_bom_and_crlf_opens_with_the_typed_passphrase() {
    let (v, w) = TestVault::realistic();
    let typed = generated();
    let file = v.dir.path().join("export-passphrase.txt");
    std::fs::write(&file, format!("\u{feff}{}\r\n", nfd(&typed))).expect("write");
    let out = v.dir.path().join("export.md.age");
    v.cmd()
        .args([
            "disclose",
            "--client",
            &w.clients[0],
            "--to",
            "Dr Smith",
            "--purpose",
            "treatment",
            "--categories",
            "progress",
            "--export-passphrase-file",
        ])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let sealed = std::fs::read(&out).expect("the export");
    let open = |passphrase: &str| -> Result<Vec<u8>, age::DecryptError> {
        let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
        let decryptor = age::Decryptor::new_buffered(&sealed[..])?;
        let mut reader = decryptor.decrypt(iter::once(&identity as &dyn age::Identity))?;
        let mut plain = Vec::new();
        reader.read_to_end(&mut plain).expect("read the export");
        Ok(plain)
    };
    let plain = open(&typed).expect("the typed passphrase opens the export");
    assert!(String::from_utf8_lossy(&plain).contains("Dr Smith"));
    assert!(open(&format!("\u{feff}{}", nfd(&typed))).is_err());
    age_cli_opens(&out, &typed);
}

/// The `age` command, typing `passphrase` at its prompt (under `script`), opens `file`;
/// skipped when `age` is not installed, unless `CASEVAULT_REQUIRE_AGE=1`.
fn age_cli_opens(file: &Path, passphrase: &str) {
    let on_path = |tool: &str| {
        std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
    };
    if !on_path("age") || !on_path("script") {
        assert!(
            std::env::var("CASEVAULT_REQUIRE_AGE").map_or(true, |v| v != "1"),
            "`age` and `script` are needed (apt-get install age bsdutils)"
        );
        eprintln!("note: the age CLI check is skipped: `age` or `script` is not on PATH");
        return;
    }
    let decrypted = file.with_extension("decrypted");
    let line = format!(
        "age -d -o {} {}",
        quote(decrypted.to_str().expect("UTF-8")),
        quote(file.to_str().expect("UTF-8"))
    );
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{passphrase}\n").as_bytes())
        .expect("type");
    let out = child.wait_with_output().expect("age");
    assert!(
        out.status.success(),
        "age -d: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let plain = std::fs::read(&decrypted).expect("age wrote it");
    assert!(String::from_utf8_lossy(&plain).contains("Dr Smith"));
}

#[test]
fn every_form_normalizes_to_the_composed_passphrase() {
    use secrecy::ExposeSecret;
    let normal = |text: &str| {
        casevault::normalize_passphrase(&SecretString::from(text.to_owned()))
            .expose_secret()
            .to_owned()
    };
    assert_eq!(normal(PASSPHRASE), PASSPHRASE);
    for _ in 0..200 {
        let p = generated();
        for form in [p.clone(), nfd(&p), mixed(&p)] {
            for (prefix, ending) in [
                ("", ""),
                ("\u{feff}", ""),
                ("", "\n"),
                ("", "\r\n"),
                ("\u{feff}", "\r"),
                ("", "\r"),
            ] {
                assert_eq!(normal(&format!("{prefix}{form}{ending}")), p, "{form:?}");
            }
        }
        // Only one line ending, and only at the end, is dropped.
        assert_eq!(normal(&format!("{p}\n\n")), format!("{p}\n"));
        assert_eq!(normal(&format!(" {p} ")), format!(" {p} "));
    }
}
