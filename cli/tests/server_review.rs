//! Adversarial review of the server backend (the CLI against a real PostgreSQL the
//! tests start; skipped with a note without its programs, unless
//! CASEVAULT_REQUIRE_POSTGRES=1). Tests marked "found by the review" reproduce defects it found, fixed since;
//! the others are regression guards for attacks that were refused.

use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use casevault_pgtest::PgServer;

#[path = "common/machine.rs"]
mod machine;

use machine::*;

fn events(server: &PgServer, db: &str) -> u64 {
    server
        .psql(db, "SELECT count(*) FROM audit")
        .trim()
        .parse()
        .expect("a count")
}

/// Found by the review, fixed. Claim (SECURITY.md): "Roll the whole trail back ... each member's machine
/// keeps a pin ... and refuses, with exit 5". Broke: the pin file is named by the
/// vault identifier the *server* serves (`meta.vault_id`, read at unlock, never
/// authenticated for a member other than the first), so a server that restores an
/// older copy and changes that one row sheds every member's pin: no pin is found for
/// the "new" vault, the trail is trusted on first use, and the rollback goes through
/// silently (exit 0). Fix: name the pin by something the server cannot change (the
/// location as given, or a vault identifier bound to the signed chain: check at
/// unlock that the first event chains from `signed_genesis(vault_id)` / sign the id in
/// the head), and refuse a vault whose identifier differs from the one this machine
/// pinned for this location.
#[test]
fn a_server_that_changes_the_vault_id_after_a_rollback_is_still_refused() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let (url, a, b) = practice(server);
    let db = db_of(&url).to_owned();
    let dump = tempfile::tempdir().unwrap();
    let dump = dump.path().join("older.dump");
    server.dump(&db, &dump);
    a.ok(&url, &["client", "add", "--name", "Client Two"]);
    b.ok(&url, &["member", "list"]);
    assert_eq!(b.pins().len(), 1);

    server.restore(&db, &dump);
    server.psql(
        &db,
        "UPDATE meta SET value = '\\x00112233445566778899aabbccddeeff'::bytea WHERE name = 'vault_id';
         DELETE FROM meta WHERE name = 'key_check';",
    );
    let out = b.run(&url, &["client", "list"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(5),
        "dr-b's machine accepted a rolled-back trail under a new vault id: stdout {:?} stderr {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = a.run(&url, &["client", "list"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success(),
        "dr-a's machine accepted a rolled-back trail under a new vault id: {stdout}"
    );
}

/// Found by the review, fixed. Claim (SECURITY.md): "a command refused for its pin appends nothing to the
/// server's trail". Broke: `Vault::unlock_member` (vault/mod.rs `into_session`) folds
/// the failed-unlock markers into the chain (appends signed `vault.unlock` events)
/// *before* the CLI's `keep_pins` checks the pin, so on a rolled-back (or forked)
/// server with a pending failed unlock (a mistyped passphrase by anyone, or a row the
/// server inserts itself: the table is unauthenticated) the member's machine signs and
/// appends events to the trail it then refuses. Fix: check the pin inside the unlock,
/// before anything is written (pass the pin directory to `unlock_member`, or defer the
/// failed-unlock fold to the first pinned operation).
#[test]
fn a_refused_trail_gets_no_failed_unlock_events_appended_by_the_refusing_machine() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let (url, a, _b) = practice(server);
    let db = db_of(&url).to_owned();
    let dump = tempfile::tempdir().unwrap();
    let dump = dump.path().join("older.dump");
    server.dump(&db, &dump);
    a.ok(&url, &["client", "add", "--name", "Client Two"]);
    server.restore(&db, &dump);
    // Someone mistypes their passphrase on the restored server.
    let wrong = a
        .cmd(&url)
        .env("CASEVAULT_PASSPHRASE", "not the passphrase at all, no")
        .args(["client", "list"])
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    let before = events(server, &db);
    let out = a.run(&url, &["client", "list"]);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    assert_eq!(
        events(server, &db),
        before,
        "the refusing machine appended events to the trail it refused"
    );
}

/// Regression (refused): a server that drops rows after the pin and hands out a
/// legacy (unsigned) row in their place is refused.
#[test]
fn a_legacy_unsigned_row_after_the_pin_is_refused() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let (url, a, b) = practice(server);
    let db = db_of(&url).to_owned();
    a.ok(&url, &["client", "list"]);
    let pinned = events(server, &db);
    b.ok(&url, &["member", "list"]);
    server.psql(
        &db,
        &format!(
            "UPDATE audit SET signer = NULL, signature = NULL, writes = NULL WHERE seq = {}",
            pinned + 1
        ),
    );
    let out = a.run(&url, &["client", "list"]);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
}

/// Regression (refused): `migrate --to` the same database through another spelling of
/// its address is refused, and the vault is left as it was.
#[test]
fn migrate_to_the_same_database_spelled_differently_is_refused_and_changes_nothing() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let (url, a, _b) = practice(server);
    let db = db_of(&url).to_owned();
    let before = server.psql(
        &db,
        "SELECT count(*) FROM records; SELECT count(*) FROM audit;",
    );
    let other = format!(
        "postgres://casevault@/{db}?port={}&host={}",
        server.port(),
        server.socket_dir().display()
    );
    assert_ne!(other, url);
    let out = a.run(&url, &["migrate", "--to", &other]);
    assert!(!out.status.success(), "{out:?}");
    let tables = server.psql(
        &db,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
    );
    assert_eq!(tables.trim(), "8", "no table dropped");
    let after = server.psql(
        &db,
        "SELECT count(*) FROM records; SELECT count(*) FROM audit;",
    );
    // The failed migrate may have audited its own unlock, nothing else is removed.
    let n = |s: &str| -> Vec<u64> { s.lines().map(|l| l.parse().unwrap()).collect() };
    assert_eq!(n(&before)[0], n(&after)[0]);
    assert!(n(&after)[1] >= n(&before)[1]);
    a.ok(&url, &["audit", "verify"]);
}

/// Regression (held): a thief of the server's database (plain SQL dump) finds no
/// client name, note text or passphrase.
#[test]
fn a_thief_of_the_database_finds_no_canary() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let (url, a, b) = practice(server);
    let db = db_of(&url).to_owned();
    a.ok(&url, &["client", "add", "--name", "Canaryname Zyxwv"]);
    let note = tempfile::tempdir().unwrap();
    let note = note.path().join("note.md");
    std::fs::write(&note, "Session text CANARY-NOTE-7731 discussed.\n").unwrap();
    let out = a
        .cmd(&url)
        .args([
            "note",
            "add",
            "--client",
            "Canaryname",
            "--date",
            "2026-01-05",
            "--file",
        ])
        .arg(&note)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    b.ok(&url, &["member", "list"]);
    let dump = server.dump_text(&db);
    let text = String::from_utf8_lossy(&dump).to_lowercase();
    for canary in [
        "canaryname",
        "zyxwv",
        "canary-note-7731",
        "client one",
        &OWNER_PASS.to_lowercase(),
        &DR_B_PASS.to_lowercase(),
    ] {
        assert!(!text.contains(canary), "{canary:?} in the dump");
    }
}

/// A non-loopback IPv4 address of this machine, if it has one.
fn outward_address() -> Option<std::net::IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// A fake PostgreSQL server on every address: refuses TLS ('N'), then asks for the
/// password in the clear; returns everything the client sent.
fn fake_server() -> (u16, std::thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("0.0.0.0:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        listener.set_nonblocking(true).unwrap();
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            let (mut conn, _) = match listener.accept() {
                Ok(c) => c,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
            };
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let read_msg = |conn: &mut std::net::TcpStream, seen: &mut Vec<u8>| -> Option<()> {
                let mut len = [0u8; 4];
                conn.read_exact(&mut len).ok()?;
                let n = u32::from_be_bytes(len) as usize;
                let mut body = vec![0u8; n.saturating_sub(4).min(1 << 16)];
                conn.read_exact(&mut body).ok()?;
                seen.extend_from_slice(&len);
                seen.extend_from_slice(&body);
                Some(())
            };
            // SSLRequest (or a startup message directly).
            if read_msg(&mut conn, &mut seen).is_none() {
                return seen;
            }
            let _ = conn.write_all(b"N");
            if read_msg(&mut conn, &mut seen).is_none() {
                return seen;
            }
            // AuthenticationCleartextPassword.
            let _ = conn.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3]);
            let mut tag = [0u8; 1];
            if conn.read_exact(&mut tag).is_ok() {
                seen.push(tag[0]);
                let _ = read_msg(&mut conn, &mut seen);
            }
            return seen;
        }
        seen
    });
    (port, handle)
}

const PGPASS_SECRET: &str = "CANARY-PGPASS-9f3e";

fn run_against_fake(url: &str, home: &Path) -> (Output, Vec<u8>) {
    std::fs::write(home.join(".pgpass"), format!("*:*:*:*:{PGPASS_SECRET}\n")).unwrap();
    std::fs::set_permissions(
        home.join(".pgpass"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let mut cmd = Command::cargo_bin("casevault").unwrap();
    let out = cmd
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("USER", "dr-a")
        .env("CASEVAULT_VAULT", url)
        .env("CASEVAULT_PASSPHRASE", OWNER_PASS)
        .timeout(Duration::from_secs(60))
        .args(["client", "list"])
        .output()
        .unwrap();
    (out, Vec::new())
}

/// Found by the review, fixed. Claim (SECURITY.md "Connections"): "A server across a network is reached
/// over TLS only ... Only a server on the same machine (localhost, a loopback address,
/// a Unix socket) may be reached in the clear." Broke: `is_remote` (store/postgres.rs)
/// looks at `host` only, but the PostgreSQL client connects to `hostaddr` when it is
/// given (tokio-postgres `connect`: "use the value of hostaddr to establish the TCP
/// connection"). `postgres://casevault@localhost:PORT/practice?hostaddr=<remote IP>`
/// passes as local, keeps `sslmode=prefer`, and a machine in the middle that answers
/// 'N' to the TLS request gets the ~/.pgpass password (matched for "localhost") in
/// the clear. (With `&sslmode=disable` the address is accepted outright.) Fix: treat
/// every `hostaddr` as a host in `is_remote` (remote unless loopback), or refuse
/// `hostaddr`; match ~/.pgpass per host actually connected to.
#[test]
fn a_remote_hostaddr_behind_host_localhost_is_not_reached_in_the_clear() {
    let Some(ip) = outward_address() else {
        eprintln!("note: no non-loopback address; skipped");
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let (port, fake) = fake_server();
    let url = format!("postgres://casevault@localhost:{port}/practice?hostaddr={ip}");
    let (out, _) = run_against_fake(&url, home.path());
    let seen = fake.join().unwrap();
    assert!(!out.status.success());
    let seen = String::from_utf8_lossy(&seen);
    assert!(
        !seen.contains(PGPASS_SECRET),
        "the password went to {ip} in the clear: {seen:?}"
    );
    assert!(
        !seen.contains("practice"),
        "a startup message went to {ip} in the clear: {seen:?}"
    );
}

/// Regression (refused): the same fake server named directly as the host: TLS is
/// required, nothing but the TLS request is sent.
#[test]
fn a_remote_host_is_not_reached_in_the_clear() {
    let Some(ip) = outward_address() else {
        eprintln!("note: no non-loopback address; skipped");
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let (port, fake) = fake_server();
    let url = format!("postgres://casevault@{ip}:{port}/practice?sslmode=prefer");
    let (out, _) = run_against_fake(&url, home.path());
    let seen = fake.join().unwrap();
    assert!(!out.status.success());
    let seen = String::from_utf8_lossy(&seen);
    assert!(!seen.contains(PGPASS_SECRET), "{seen:?}");
    assert!(!seen.contains("practice"), "{seen:?}");
}
