//! A server across a network is reached over TLS, its certificate checked against the
//! system's authorities or the one PGSSLROOTCERT names: a real PostgreSQL listening on
//! 127.0.0.1 with TLS only, its certificate signed by a test authority of its own.
//! (Skipped with a note without PostgreSQL's programs, unless
//! CASEVAULT_REQUIRE_POSTGRES=1.)

#[path = "common/machine.rs"]
mod machine;

use casevault_pgtest::PgServer;
use machine::*;

#[test]
fn a_tls_server_is_used_once_its_authority_is_trusted_and_refused_before() {
    let Some(server) = PgServer::start_tls() else {
        return;
    };
    let url = server.tls_url(&server.create_database());
    let a = Machine::new("dr-a", OWNER_PASS);

    // Without the practice's authority the certificate is not trusted: nothing sent.
    let out = a.run(&url, &["init"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot reach the server for"), "{stderr}");
    assert!(stderr.contains("certificate"), "{stderr}");
    assert!(stderr.contains("PGSSLROOTCERT"), "{stderr}");
    assert!(!stderr.contains("db error"), "{stderr}");

    // With it, the vault is made and used over TLS.
    let ca = server.ca_cert();
    let ok = |args: &[&str]| {
        let out = a
            .cmd(&url)
            .env("PGSSLROOTCERT", &ca)
            .args(args)
            .output()
            .expect("run casevault");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    ok(&["init"]);
    ok(&["client", "add", "--name", "Ada Alpha"]);
    assert!(ok(&["client", "list"]).contains("Ada Alpha"));
    assert!(ok(&["audit", "verify"]).contains("audit trail intact"));

    // The server takes no connection in the clear on TCP, and casevault does not ask
    // for one on loopback unless told: sslmode=disable on this machine is refused by
    // the server's rule, as a refusal, not a crash.
    let clear = url.replace("sslmode=require", "sslmode=disable");
    let out = a.cmd(&clear).args(["client", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused"), "{stderr}");
}
