//! A server that rewrites history, caught by the members' own machines: each keeps a
//! pin of the trail it last saw (in its data directory), and refuses a trail that does
//! not extend it with exit 5. Run against a real PostgreSQL the tests start
//! (skipped with a note without its programs, unless CASEVAULT_REQUIRE_POSTGRES=1).

use std::path::Path;

use casevault_pgtest::PgServer;

#[path = "common/machine.rs"]
mod machine;

use machine::*;

#[test]
fn a_server_restored_from_an_older_copy_is_refused_by_every_member_until_they_accept_it() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let (url, a, b) = practice(server);
    assert_eq!(a.pins().len(), 1, "the owner's machine keeps a pin");
    assert_eq!(b.pins().len(), 1, "dr-b's machine keeps a pin");
    let dump = tempfile::tempdir().unwrap();
    let dump = dump.path().join("older.dump");
    server.dump(db_of(&url), &dump);

    a.ok(&url, &["client", "add", "--name", "Client Two"]);
    b.ok(&url, &["member", "list"]);
    server.restore(db_of(&url), &dump);
    let events = || server.psql(db_of(&url), "SELECT count(*) FROM audit");
    let restored = events();

    // Every member's next command: exit 5, naming where the trail ends now.
    refused(
        &a.run(&url, &["client", "list"]),
        "the trail now ends at event",
    );
    refused(
        &b.run(&url, &["member", "list"]),
        "the trail now ends at event",
    );
    // Refused again, not accepted by having been seen once.
    refused(&a.run(&url, &["client", "list"]), "rolled back");
    // Nothing was appended to a trail that is not theirs.
    assert_eq!(events(), restored);

    // A machine that never saw the vault takes the trail as it finds it.
    let fresh = Machine::new("dr-a", OWNER_PASS);
    assert_eq!(fresh.ok(&url, &["client", "list"]).lines().count(), 1);

    // Once the practice knows why, each member accepts the restored trail.
    let reset = a.ok(&url, &["audit", "pin", "--reset", "--yes"]);
    assert!(reset.contains("anchor"), "{reset}");
    let listed = a.ok(&url, &["client", "list"]);
    assert!(listed.contains("Client One"), "{listed}");
    assert!(!listed.contains("Client Two"), "{listed}");
    // dr-b's machine still holds its own pin: refused until dr-b accepts too.
    refused(&b.run(&url, &["member", "list"]), "");
    b.ok(&url, &["audit", "pin", "--reset", "--yes"]);
    b.ok(&url, &["member", "list"]);
    let verified = a.ok(&url, &["audit", "verify"]);
    assert!(verified.contains("audit trail intact"), "{verified}");
}

#[test]
fn a_fork_is_found_when_members_exchange_anchors_and_when_the_server_switches_histories() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let (url, a, b) = practice(server);
    // The server copies the database and from now on serves dr-b the copy: two
    // histories from one point.
    let dump = tempfile::tempdir().unwrap();
    let dump = dump.path().join("fork.dump");
    server.dump(db_of(&url), &dump);
    let fork_db = server.create_database();
    server.restore(&fork_db, &dump);
    let fork = server.url(&fork_db);

    a.ok(&url, &["client", "add", "--name", "Client Two"]);
    b.ok(&fork, &["member", "list"]);
    b.ok(&fork, &["member", "list"]);

    // Each history on its own is well formed: the members' machines accept it...
    a.ok(&url, &["client", "list"]);
    b.ok(&fork, &["member", "list"]);
    // ...but dr-a's anchor, handed to dr-b, is not on dr-b's trail.
    let anchor = a.ok(&url, &["audit", "anchor"]);
    let out = b.run(&fork, &["audit", "verify", "--anchor", &anchor]);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("does not extend the anchor"), "{stdout}");

    // And a server that switches a member to the other history is caught at once:
    // dr-a's event stands in the other history as another event...
    for _ in 0..4 {
        b.ok(&fork, &["member", "list"]);
    }
    refused(
        &a.run(&fork, &["client", "list"]),
        "another event stands in its place",
    );
    // ...and dr-b's is not in dr-a's history at all, or is another event there.
    refused(&b.run(&url, &["member", "list"]), "");
}

#[test]
fn an_event_removed_reordered_or_altered_after_the_pin_or_removed_before_it_is_refused() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    for tamper in ["remove", "reorder", "alter", "remove before the pin"] {
        let (url, a, b) = practice(server);
        let db = db_of(&url).to_owned();
        // dr-a's pin; then dr-b's events after it.
        a.ok(&url, &["client", "list"]);
        let pinned: u64 = server
            .psql(&db, "SELECT max(seq) FROM audit")
            .trim()
            .parse()
            .unwrap();
        for _ in 0..3 {
            b.ok(&url, &["member", "list"]);
        }
        let (n1, n2) = (pinned + 1, pinned + 2);
        let sql = match tamper {
            "remove" => format!("DELETE FROM audit WHERE seq = {n2}"),
            "remove before the pin" => "DELETE FROM audit WHERE seq = 2".to_owned(),
            "reorder" => format!(
                "UPDATE audit SET seq = -1 WHERE seq = {n1};
                 UPDATE audit SET seq = {n1} WHERE seq = {n2};
                 UPDATE audit SET seq = {n2} WHERE seq = -1;"
            ),
            _ => format!("UPDATE audit SET details = details || '\\x00'::bytea WHERE seq = {n1}"),
        };
        server.psql(&db, &sql);
        let seen = if tamper == "remove before the pin" {
            "events up to it were removed"
        } else {
            "after it is missing, out of order, altered"
        };
        refused(&a.run(&url, &["client", "list"]), seen);
    }
}

#[test]
fn a_pin_altered_by_hand_is_refused_naming_its_file_and_a_vault_file_keeps_none() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let (url, a, _b) = practice(server);
    let pins = a.pins();
    let pin = pins.first().expect("a pin");
    let text = std::fs::read_to_string(pin).unwrap();
    assert!(text.starts_with("casevault pin 1\nvault "), "{text}");
    std::fs::write(pin, text.replace("event ", "event 0")).unwrap();
    let out = a.run(&url, &["client", "list"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&pin.display().to_string()), "{stderr}");
    assert!(stderr.contains("not a pin of this vault"), "{stderr}");

    // A vault file is the member's own: no pin, and `audit pin` says why.
    let local = Machine::new("dr-a", OWNER_PASS);
    let file = local.home.path().join("v.casevault");
    let file = file.to_str().unwrap();
    local.ok(file, &["init"]);
    local.ok(file, &["client", "list"]);
    assert!(local.pins().is_empty());
    let out = local.run(file, &["audit", "pin", "--reset", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(Path::new(file).exists());
}
