//! The harness itself, against a real server: databases, the URL, dump and restore, a
//! crash and a restart, the shared server, and the password role.
//!
//! Without PostgreSQL's binaries each test returns early (see `PgServer::start`).

use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use casevault_pgtest::{APP_ROLE, PASSWORD, PASSWORD_ROLE, PgServer};

/// Runs `command`, returning its output whatever its status.
fn output_of(mut command: Command) -> Output {
    command
        .output()
        .unwrap_or_else(|error| panic!("running {:?}: {error}", command.get_program()))
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// psql with a URL as its connection, `sql` as its one command.
fn psql_url(server: &PgServer, url: &str, sql: &str) -> Command {
    let mut psql = server.command("psql");
    psql.args([
        "-X",
        "-q",
        "-w",
        "-v",
        "ON_ERROR_STOP=1",
        "-At",
        "-d",
        url,
        "-c",
        sql,
    ]);
    psql
}

#[test]
fn databases_are_separate_and_the_url_connects_as_casevault() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let first = server.create_database();
    let second = server.create_database();
    assert_ne!(first, second);
    assert!(first.starts_with('t'), "{first}");

    server.psql(
        &first,
        "CREATE TABLE notes (id int PRIMARY KEY, body text);\n\
         INSERT INTO notes VALUES (1, 'first note');",
    );
    assert_eq!(
        server.psql(&first, "SELECT id, body FROM notes;"),
        "1|first note\n"
    );
    assert_eq!(
        server.psql(
            &second,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'notes';"
        ),
        "0\n"
    );

    let owner = server.psql(
        "postgres",
        &format!("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{second}';"),
    );
    assert_eq!(owner.trim(), APP_ROLE);

    let url = server.url(&second);
    assert!(url.starts_with("postgresql://casevault@/"), "{url}");
    assert!(url.contains(&format!("port={}", server.port())), "{url}");
    assert!(
        url.contains(&server.socket_dir().display().to_string()),
        "{url}"
    );
    let output = output_of(psql_url(
        server,
        &url,
        "CREATE TABLE own (x int); SELECT current_user, current_database();",
    ));
    assert!(
        output.status.success(),
        "psql {url}: {}",
        stderr_of(&output)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{APP_ROLE}|{second}\n")
    );
}

#[test]
fn psql_failure_panics_with_the_error() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let db = server.create_database();
    let panic = std::panic::catch_unwind(|| server.psql(&db, "SELECT * FROM no_such_table;"))
        .expect_err("psql of a bad query must panic");
    let message = panic
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(message.contains("no_such_table"), "{message}");
}

#[test]
fn restore_of_an_earlier_dump_drops_later_rows() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let db = server.create_database();
    server.psql(
        &db,
        &format!(
            "CREATE TABLE notes (id int PRIMARY KEY, body text);\n\
             ALTER TABLE notes OWNER TO {APP_ROLE};\n\
             INSERT INTO notes VALUES (1, 'kept');"
        ),
    );
    let dir = tempfile::tempdir().expect("a temporary directory for the dump");
    let dump = dir.path().join("db.dump");
    server.dump(&db, &dump);
    server.psql(&db, "INSERT INTO notes VALUES (2, 'after the dump');");

    // A connection open during the restore is terminated, not an obstacle.
    let mut holder = server.command("psql");
    holder
        .args(["-X", "-w", "-d", &db, "-c", "SELECT pg_sleep(60);"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut holder = holder
        .spawn()
        .expect("starting a psql that holds a connection");
    let deadline = Instant::now() + Duration::from_secs(20);
    while server
        .psql(
            "postgres",
            &format!("SELECT count(*) FROM pg_stat_activity WHERE datname = '{db}';"),
        )
        .trim()
        == "0"
    {
        assert!(
            Instant::now() < deadline,
            "the holding psql never connected"
        );
        thread::sleep(Duration::from_millis(20));
    }

    server.restore(&db, &dump);
    let holder_status = holder.wait().expect("waiting for the holding psql");
    assert!(!holder_status.success(), "its connection was terminated");

    assert_eq!(server.psql(&db, "SELECT id, body FROM notes;"), "1|kept\n");
    let owner = server.psql(
        "postgres",
        &format!("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{db}';"),
    );
    assert_eq!(owner.trim(), APP_ROLE);
    let table_owner = server.psql(
        &db,
        "SELECT tableowner FROM pg_tables WHERE tablename = 'notes';",
    );
    assert_eq!(table_owner.trim(), APP_ROLE);

    let text = String::from_utf8(server.dump_text(&db)).expect("a UTF-8 dump");
    assert!(text.contains("CREATE TABLE public.notes"), "{text}");
    assert!(text.contains("kept"), "{text}");
    assert!(!text.contains("after the dump"), "{text}");
}

#[test]
fn a_crash_and_a_restart_keep_committed_rows() {
    let Some(server) = PgServer::start() else {
        return;
    };
    let db = server.create_database();
    server.psql(
        &db,
        "CREATE TABLE notes (id int PRIMARY KEY);\n\
         INSERT INTO notes SELECT generate_series(1, 1000);",
    );
    // A client connected at the time of the crash.
    let mut holder = server.command("psql");
    holder
        .args(["-X", "-w", "-d", &db, "-c", "SELECT pg_sleep(60);"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut holder = holder
        .spawn()
        .expect("starting a psql that holds a connection");
    thread::sleep(Duration::from_millis(200));

    server.kill();
    let refused = output_of(psql_url(&server, &server.url(&db), "SELECT 1;"));
    assert!(
        !refused.status.success(),
        "a killed server accepts no connection"
    );
    assert!(!holder.wait().expect("waiting for psql").success());

    server.start_again();
    assert_eq!(server.psql(&db, "SELECT count(*) FROM notes;"), "1000\n");
    server.psql(&db, "INSERT INTO notes VALUES (1001);");

    server.stop();
    let refused = output_of(psql_url(&server, &server.url(&db), "SELECT 1;"));
    assert!(
        !refused.status.success(),
        "a stopped server accepts no connection"
    );
    server.start_again();
    assert_eq!(server.psql(&db, "SELECT count(*) FROM notes;"), "1001\n");

    // Twice in a row.
    server.kill();
    server.start_again();
    assert_eq!(server.psql(&db, "SELECT max(id) FROM notes;"), "1001\n");

    let root = server
        .socket_dir()
        .parent()
        .expect("the socket dir's parent")
        .to_owned();
    drop(server);
    assert!(!root.exists(), "{} removed on drop", root.display());
}

#[test]
fn shared_is_one_server() {
    let Some(first) = PgServer::shared() else {
        return;
    };
    let from_thread =
        thread::spawn(|| PgServer::shared().map(|server| server as *const PgServer as usize))
            .join()
            .expect("the thread");
    let second = PgServer::shared().expect("the shared server, again");
    assert!(std::ptr::eq(first, second));
    assert_eq!(from_thread, Some(first as *const PgServer as usize));
    let db = second.create_database();
    assert_eq!(first.psql(&db, "SELECT 1;"), "1\n");
}

#[test]
fn the_password_role_needs_its_password() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let db = server.create_database();
    let url = server
        .url(&db)
        .replacen(&format!("{APP_ROLE}@"), &format!("{PASSWORD_ROLE}@"), 1);
    assert!(url.contains(PASSWORD_ROLE), "{url}");

    let mut wrong = psql_url(server, &url, "SELECT current_user;");
    wrong.env("PGPASSWORD", "wrong");
    let refused = output_of(wrong);
    assert!(!refused.status.success(), "a wrong password is refused");
    let stderr = stderr_of(&refused);
    assert!(
        stderr.contains("password authentication failed"),
        "{stderr}"
    );

    let missing = output_of(psql_url(server, &url, "SELECT current_user;"));
    assert!(!missing.status.success(), "no password is refused");

    let mut right = psql_url(server, &url, "SELECT current_user;");
    right.env("PGPASSWORD", PASSWORD);
    let accepted = output_of(right);
    assert!(accepted.status.success(), "{}", stderr_of(&accepted));
    assert_eq!(
        String::from_utf8_lossy(&accepted.stdout),
        format!("{PASSWORD_ROLE}\n")
    );
}
