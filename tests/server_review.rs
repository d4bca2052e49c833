//! Adversarial review of the shared-server work at the library level: server
//! addresses as the PostgreSQL client reads them, and grants signed by a member who
//! was removed. Tests marked "found by the review" reproduce defects it found, fixed since; the others are
//! regression guards for attacks that were refused.

use std::ffi::OsStr;
use std::path::Path;

use casevault::{Location, LocationError, NewClient, NewNote, Vault};

#[path = "common/practice.rs"]
mod practice;

use practice::*;

fn parse(text: &str) -> Result<Location, LocationError> {
    Location::parse(OsStr::new(text))
}

/// Found by the review (fixed). Claim (SECURITY.md "Connections", location.rs): an
/// address that turns TLS off for a server across a network is refused before any
/// connection. It broke: `is_remote` looked only at `host`, while the client connects
/// to `hostaddr` when given, so `host=localhost` with a remote `hostaddr` passed as
/// local. Fixed at the root: an address takes one host, the one named; `hostaddr`
/// and several hosts are refused, whatever the TLS mode.
#[cfg(feature = "server")]
#[test]
fn a_remote_hostaddr_with_tls_off_is_refused() {
    for address in [
        "postgres://casevault@localhost/practice?hostaddr=192.0.2.10&sslmode=disable",
        "postgres://casevault@/practice?hostaddr=192.0.2.10&sslmode=disable",
        "postgres://casevault@127.0.0.1/practice?hostaddr=192.0.2.10&sslmode=disable",
    ] {
        assert_eq!(
            parse(address),
            Err(LocationError::Unsupported("gives a hostaddr")),
            "{address}"
        );
        let prefer = address.replace("sslmode=disable", "sslmode=prefer");
        assert!(parse(&prefer).is_err(), "{prefer}");
    }
    assert_eq!(
        parse("postgres://casevault@db1.example.org,db2.example.org/practice"),
        Err(LocationError::Unsupported("names several hosts"))
    );
}

/// Regression (refused): a password smuggled in by any syntax the client reads, and
/// no secret value echoed in the message for an unreadable address.
#[cfg(feature = "server")]
#[test]
fn passwords_in_any_spelling_are_refused_and_never_echoed() {
    for address in [
        "postgres://casevault:hunter2@db.example.org/practice",
        "postgres://casevault:@db.example.org/practice",
        "postgres://casevault@db.example.org/practice?password=hunter2",
        "postgres://db.example.org/practice?user=casevault&password=hunter2",
        "postgres://casevault@db.example.org/practice?sslmode=require&password=hunter2",
        "postgresql://casevault:hunter2@/practice?host=/run/postgresql",
        "postgres://casevault:hunter%32@db.example.org/practice",
    ] {
        assert_eq!(parse(address), Err(LocationError::Password), "{address}");
    }
    for address in [
        "postgres://casevault@db.example.org/practice?Password=hunter2",
        "postgres://casevault@db.example.org/practice?sslmode=hunter2",
        "postgres://casevault@db.example.org:hunter2/practice",
        "postgres://casevault@db.example.org/practice?options=hunter2&port=hunter2",
    ] {
        match parse(address) {
            Ok(l) => panic!("{address}: accepted as {l:?}"),
            Err(e) => assert!(!e.to_string().contains("hunter2"), "{address}: {e}"),
        }
    }
    // Remote hosts with TLS off, however the host is spelled.
    for address in [
        "postgres://casevault@db.example.org/practice?sslmode=disable",
        "postgres://casevault@localhost./practice?sslmode=disable",
        "postgres://casevault@127.1/practice?sslmode=disable",
        "postgres://casevault@[::ffff:127.0.0.1]/practice?sslmode=disable",
        "postgres://casevault@localhost,db.example.org/practice?sslmode=disable",
        "postgres://casevault@/practice?host=localhost,db.example.org&sslmode=disable",
    ] {
        assert!(parse(address).is_err(), "{address}");
    }
    // A file whose name starts like a scheme is a file.
    assert!(matches!(
        parse("postgres:practice.casevault"),
        Ok(Location::File(_))
    ));
}

// ---------------------------------------------------------------------------------
// A removed member's key still signs grants
// ---------------------------------------------------------------------------------

mod forge {
    use std::io::Write;
    use std::iter;
    use std::str::FromStr;

    use sha2::{Digest, Sha256};

    /// A member's Ed25519 signing key, from their keyslot, keys record and passphrase.
    pub fn signing_key(
        keyslot: &[u8],
        member_record: &[u8],
        name: &str,
        pass: &str,
    ) -> ed25519_dalek::SigningKey {
        super::practice::member_keys::member_secrets(keyslot, member_record, name, pass).signing
    }

    fn hash(parts: &[&[u8]]) -> [u8; 32] {
        let mut h = Sha256::new();
        for part in parts {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.finalize().into()
    }

    /// A grant of `key` to `member` (age recipient `recipient`) for `compartment`,
    /// signed by `granter`, as casevault stores it.
    pub fn signed_grant(
        signing: &ed25519_dalek::SigningKey,
        granter: &str,
        member: &str,
        recipient: &str,
        compartment: &str,
        key: &[u8; 32],
    ) -> Vec<u8> {
        use ed25519_dalek::Signer;
        let recipient = age::x25519::Recipient::from_str(recipient).unwrap();
        let encryptor =
            age::Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient)).unwrap();
        let mut wrapped = Vec::new();
        let mut w = encryptor.wrap_output(&mut wrapped).unwrap();
        w.write_all(key).unwrap();
        w.finish().unwrap();
        let message = hash(&[
            b"casevault.org/v2/grant",
            member.as_bytes(),
            compartment.as_bytes(),
            &wrapped,
        ]);
        let signature = signing.sign(&message);
        let mut out = b"CVG1".to_vec();
        out.extend_from_slice(&(granter.len() as u16).to_be_bytes());
        out.extend_from_slice(granter.as_bytes());
        out.extend_from_slice(&signature.to_bytes());
        out.extend_from_slice(&wrapped);
        out
    }
}

fn grant_form(path: &Path, member: &str, compartment: &str) -> Option<String> {
    let db = rusqlite::Connection::open(path).unwrap();
    db.query_row(
        "SELECT form FROM grants WHERE member = ?1 AND compartment = ?2",
        [member, compartment],
        |r| r.get(0),
    )
    .ok()
}

/// Found by the review, fixed. Claim (SECURITY.md "Plant a key"): a member takes in, and uses, only
/// grants "a member of the roster signed"; removal means a removed member "holds
/// nothing". Broke: `Keyring::refresh_verifying` (vault/keyring.rs) puts every member
/// ever on the roster, removed ones included, into `verifying`, which
/// `unwrap_granted` trusts for grants without asking whether the granter was removed
/// (the audit side was fixed with `removed_at_seq`; grants were not). So a removed
/// clinician who kept their passphrase and a copy of their keyslot and keys record,
/// with write access to the rows (the server, or a DB login never revoked), plants a
/// key of their own choosing in a remaining member's grant row, signed with their own
/// key; the member takes it in at the next unlock and from then on seals that
/// compartment's new records under a key the removed member holds. Fix: in
/// `unwrap_granted`, accept only a granter who is active (not removed) — and, better,
/// whose role may hold that compartment.
#[test]
fn a_grant_signed_by_a_removed_member_is_never_taken_in() {
    let (_dir, path, mut owner) = new_vault();
    add_member(&mut owner, "bob", "clinician");
    add_member(&mut owner, "dave", "clinician");
    let client = owner
        .add_client(NewClient {
            name: "Ada Alpha".into(),
            ..NewClient::default()
        })
        .unwrap()
        .to_string();
    owner.assign_client("bob", &client, None).unwrap();
    {
        let mut bob = unlock(&path, "bob");
        bob.add_note(NewNote::individual(&client, date("2026-03-01"), "a note"))
            .unwrap();
    }
    // What dave keeps: bob's public key (the roster is every member's to read), his
    // own keyslot and keys record.
    let bob_recipient = {
        let mut dave = unlock(&path, "dave");
        let roster = dave.roster().unwrap();
        roster
            .members
            .iter()
            .find(|m| m.name == "bob")
            .unwrap()
            .x25519
            .clone()
    };
    let (keyslot, record): (Vec<u8>, Vec<u8>) = {
        let db = rusqlite::Connection::open(&path).unwrap();
        (
            db.query_row(
                "SELECT keyslot FROM keyslots WHERE name = ?1",
                [keyslot_of("dave")],
                |r| r.get(0),
            )
            .unwrap(),
            db.query_row(
                "SELECT ciphertext FROM records WHERE kind = 'member' AND id = 'dave' AND version = 1",
                [],
                |r| r.get(0),
            )
            .unwrap(),
        )
    };
    let signing = forge::signing_key(
        &keyslot,
        &record,
        "dave",
        "the passphrase of dave, long enough",
    );
    owner.remove_member("dave").expect("remove dave");
    drop(owner);
    {
        // bob's unlock after the removal (takes in whatever the removal granted him).
        let _ = unlock(&path, "bob");
    }

    let bob_grants: Vec<String> = {
        let db = rusqlite::Connection::open(&path).unwrap();
        let mut stmt = db
            .prepare(
                "SELECT compartment FROM grants WHERE member = 'bob' AND compartment LIKE 'c%'",
            )
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert!(
        !bob_grants.is_empty(),
        "bob holds compartments of the client"
    );
    let planted_key = [0x42u8; 32];
    let mut taken_in = Vec::new();
    for compartment in &bob_grants {
        let copy = path.with_extension("planted");
        let _ = std::fs::remove_file(&copy);
        std::fs::copy(&path, &copy).unwrap();
        let planted = forge::signed_grant(
            &signing,
            "dave",
            "bob",
            &bob_recipient,
            compartment,
            &planted_key,
        );
        rusqlite::Connection::open(&copy)
            .unwrap()
            .execute(
                "UPDATE grants SET form = 'x25519', wrapped = ?1 WHERE member = 'bob' AND compartment = ?2",
                rusqlite::params![planted, compartment],
            )
            .unwrap();
        let opened =
            Vault::open(&copy)
                .unwrap()
                .unlock_member(&passphrase("bob"), "bob", Some("bob"));
        drop(opened);
        if grant_form(&copy, "bob", compartment).as_deref() == Some("own") {
            taken_in.push(compartment.clone());
        }
    }
    assert!(
        taken_in.is_empty(),
        "bob took in {} of {} keys planted and signed by the removed member dave: {taken_in:?}",
        taken_in.len(),
        bob_grants.len()
    );
}
