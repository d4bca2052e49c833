//! Test support: a real, private PostgreSQL server for tests.
//!
//! [`PgServer::start`] runs `initdb` in a fresh temporary directory under `/tmp` and
//! starts a server there that listens on a Unix socket only, in a socket directory of its
//! own: servers of parallel tests and test processes never meet. [`PgServer::shared`]
//! starts one such server per test process; each test then makes its own database with
//! [`PgServer::create_database`].
//!
//! The server is driven with PostgreSQL's own programs (`initdb`, `pg_ctl`, `psql`,
//! `pg_dump`, `pg_restore`, `createdb`, `pg_isready`), found in `CASEVAULT_PG_BINDIR`, else
//! in the highest `/usr/lib/postgresql/*/bin` (Debian's layout), else on `PATH`. Without
//! them, `start` prints a note and returns `None`, so tests skip; with
//! `CASEVAULT_REQUIRE_POSTGRES=1` (CI) it panics instead.
//!
//! Run as root (uid 0), the server programs (`initdb`, `pg_ctl`, `postgres`) run as the
//! system user `postgres` through `runuser`, since PostgreSQL refuses to run as root; the
//! client programs run as the current user.
//!
//! Roles: the superuser `postgres` (trusted on the socket), the application's login role
//! `casevault` (trusted, owns every database made by `create_database`), and
//! [`PASSWORD_ROLE`], whose logins need [`PASSWORD`] (SCRAM).
//!
//! ```no_run
//! use casevault_pgtest::PgServer;
//!
//! let Some(server) = PgServer::shared() else {
//!     return; // No PostgreSQL here: the note is printed, the test skips.
//! };
//! let db = server.create_database();
//! server.psql(&db, "CREATE TABLE t (x int); INSERT INTO t VALUES (1);");
//! assert_eq!(server.psql(&db, "SELECT x FROM t;"), "1\n");
//! let url = server.url(&db); // postgresql://casevault@/t0_…?host=/tmp/cvpg…/sock&port=…
//! # let _ = url;
//! ```

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// The login role casevault connects as; it owns each database made by
/// [`PgServer::create_database`], and the socket trusts it (no password).
pub const APP_ROLE: &str = "casevault";

/// A login role that must give [`PASSWORD`] (pg_hba.conf: `scram-sha-256`), for tests of
/// how a refused password is reported.
pub const PASSWORD_ROLE: &str = "casevault_pw";

/// The password of [`PASSWORD_ROLE`].
pub const PASSWORD: &str = "pw-for-tests";

/// The superuser made by initdb; psql, pg_dump and pg_restore of this crate connect as it.
const SUPERUSER: &str = "postgres";

/// The system user the server programs run as when the tests run as root.
const SYSTEM_USER: &str = "postgres";

/// The programs this crate runs; a binary directory is used only if it has them all.
const TOOLS: [&str; 8] = [
    "initdb",
    "pg_ctl",
    "postgres",
    "psql",
    "pg_dump",
    "pg_restore",
    "createdb",
    "pg_isready",
];

const NOT_FOUND: &str = "PostgreSQL server binaries not found (install Debian's postgresql)";

/// How long a (re)start may take until the server accepts connections.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long `kill` waits for the killed processes to be gone.
const KILL_TIMEOUT: Duration = Duration::from_secs(30);

/// Numbers the servers of this process (for the port) and the databases (for their names).
static SERVER_COUNTER: AtomicU32 = AtomicU32::new(0);
static DATABASE_COUNTER: AtomicU32 = AtomicU32::new(0);

/// Run by the watchdog process of each server, as `sh -c WATCHDOG NAME ROOT DATA PG_CTL...`.
/// Its standard input is a pipe whose only writing end the test process holds: `read`
/// meets the end of input once the test process is gone (however it ended) or the
/// [`PgServer`] was dropped. Then, if the directory is still there, it stops the server
/// and removes the directory. Signals are ignored so that a Ctrl-C of `cargo test` does
/// not stop the cleanup.
const WATCHDOG: &str = r#"trap '' HUP INT QUIT TERM PIPE
while read -r _line; do :; done
root=$1
data=$2
shift 2
if [ -d "$root" ]; then
    if [ -f "$data/postmaster.pid" ]; then
        "$@" stop -D "$data" -m immediate -w -t 30 -s
    fi
    rm -rf "$root"
fi
"#;

/// A private PostgreSQL server in a temporary directory of its own, listening on a Unix
/// socket only. Dropping it stops the server (`pg_ctl stop -m immediate`) and removes the
/// directory.
#[derive(Debug)]
pub struct PgServer {
    /// Holds `data/` (the cluster), `sock/` (the socket) and `server.log`.
    root: tempfile::TempDir,
    socket_dir: PathBuf,
    bindir: PathBuf,
    port: u16,
    /// Running as root: initdb, pg_ctl and postgres run as the system user `postgres`.
    as_system_user: bool,
    /// Also listening on 127.0.0.1 (on `port`, free on TCP), TLS only
    /// ([`PgServer::start_tls`]).
    tls: bool,
    /// The watchdog process; dropping its standard input lets it go.
    watchdog: Mutex<Option<Child>>,
}

impl PgServer {
    /// Starts a new private server: initdb in a fresh temporary directory (`/tmp/cvpg*`),
    /// listening on a Unix socket only (`listen_addresses = ''`) in a socket directory
    /// inside that temporary directory. The port only names the socket file: it is chosen
    /// from the process id and a counter, and need not be free on TCP.
    ///
    /// Takes about half a second on an idle machine, more under load (initdb dominates). A
    /// watchdog process stops the server and removes its directory if the test process
    /// ends without dropping it.
    ///
    /// Returns `None` after printing a one-line note to stderr when the PostgreSQL binaries
    /// are missing, unless `CASEVAULT_REQUIRE_POSTGRES=1`: then it panics. Panics, with
    /// the tool's error output, when the server cannot be set up.
    pub fn start() -> Option<PgServer> {
        Self::start_with(false)
    }

    /// [`PgServer::start`], also listening on 127.0.0.1 (the port is then one free on
    /// TCP), where it takes TLS connections only, with a certificate for `localhost`
    /// and 127.0.0.1 signed by an authority of its own ([`PgServer::ca_cert`]; made
    /// with the `openssl` command).
    pub fn start_tls() -> Option<PgServer> {
        Self::start_with(true)
    }

    /// The certificate of the authority that signed a [`PgServer::start_tls`]
    /// server's certificate (PEM).
    pub fn ca_cert(&self) -> PathBuf {
        self.root.path().join("tls").join("ca.pem")
    }

    /// The URL of database `db` over TCP and TLS, for a [`PgServer::start_tls`] server:
    /// `postgres://casevault@localhost:PORT/DB?sslmode=require`.
    pub fn tls_url(&self, db: &str) -> String {
        format!(
            "postgres://{APP_ROLE}@localhost:{}/{}?sslmode=require",
            self.port,
            percent_encode(db.as_bytes())
        )
    }

    fn start_with(tls: bool) -> Option<PgServer> {
        let Some(bindir) = find_bindir() else {
            if std::env::var_os("CASEVAULT_REQUIRE_POSTGRES").is_some_and(|value| value == "1") {
                panic!("{NOT_FOUND}, and CASEVAULT_REQUIRE_POSTGRES=1 requires them");
            }
            // Straight to the process's stderr: the test harness captures `eprintln!`,
            // and a passing test would hide the note.
            let _ = writeln!(io::stderr(), "skipping: {NOT_FOUND}");
            return None;
        };
        let as_system_user = running_as_root();
        if as_system_user && !user_exists(SYSTEM_USER) {
            panic!(
                "running as root, the PostgreSQL server must run as the system user \
                 {SYSTEM_USER:?}, which does not exist (Debian's postgresql package makes it)"
            );
        }
        let root = tempfile::Builder::new()
            .prefix("cvpg")
            .tempdir_in("/tmp")
            .unwrap_or_else(|error| panic!("creating a temporary directory in /tmp: {error}"));
        let socket_dir = root.path().join("sock");
        fs::create_dir(&socket_dir).unwrap_or_else(|error| {
            panic!(
                "creating the socket directory {}: {error}",
                socket_dir.display()
            )
        });
        let port = if tls { free_tcp_port() } else { choose_port() };
        let server = PgServer {
            root,
            socket_dir,
            bindir,
            port,
            as_system_user,
            tls,
            watchdog: Mutex::new(None),
        };
        if tls {
            server.make_certificates();
        }
        // From here on, a panic drops `server`, which stops and removes what was made.
        if as_system_user {
            let mut chown = Command::new("chown");
            chown
                .arg("-R")
                .arg(format!("{SYSTEM_USER}:"))
                .arg(server.root.path());
            run(
                chown,
                "chown of the server's temporary directory to postgres",
            );
        }
        server.spawn_watchdog();
        server.init_cluster();
        server.start_postmaster("start");
        server.psql(
            "postgres",
            &format!(
                "CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;\n\
                 CREATE ROLE {PASSWORD_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE \
                 PASSWORD {};\n",
                quote_literal(PASSWORD)
            ),
        );
        Some(server)
    }

    /// One server per test process, started on first use and shared by the tests of that
    /// process (each test makes its own database). Rust runs no destructor for statics:
    /// the server's watchdog process stops it and removes its directory once the test
    /// process has exited. `None` as for [`PgServer::start`].
    ///
    /// Tests that `kill`, `stop` or restart a server must `start` their own.
    pub fn shared() -> Option<&'static PgServer> {
        static SHARED: OnceLock<Option<PgServer>> = OnceLock::new();
        SHARED.get_or_init(PgServer::start).as_ref()
    }

    /// Creates a new empty database with a unique name (`t<counter>_<random hex>`), owned
    /// by the role `casevault`; returns its name.
    pub fn create_database(&self) -> String {
        let number = DATABASE_COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("t{number}_{}", random_hex(4));
        self.createdb(&name, "create_database");
        name
    }

    /// The URL casevault uses for database `db`:
    /// `postgresql://casevault@/DB?host=SOCKETDIR&port=PORT`, percent-encoded.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgresql://{APP_ROLE}@/{}?host={}&port={}",
            percent_encode(db.as_bytes()),
            percent_encode(self.socket_dir.as_os_str().as_encoded_bytes()),
            self.port
        )
    }

    /// The directory of the server's Unix socket (libpq's `host`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The port, which with the socket directory names the socket file.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory of the PostgreSQL programs in use.
    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    /// A command for a PostgreSQL client program of [`PgServer::bindir`] (`psql`,
    /// `pg_dump`…), run as the current user, with `PGHOST`, `PGPORT` and `PGUSER`
    /// (`postgres`) naming this server, no other `PG*` variable of the environment, no
    /// password file, and standard input from `/dev/null`. Add arguments, or set `PGUSER`,
    /// `PGDATABASE` or `PGPASSWORD`, to taste.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bindir.join(program));
        self.isolate(&mut command);
        command
            .env("PGHOST", &self.socket_dir)
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", SUPERUSER)
            .env("PGPASSFILE", self.root.path().join("no-pgpass"))
            .env("PGCONNECT_TIMEOUT", "30");
        command
    }

    /// Runs SQL with psql (`-X -q -v ON_ERROR_STOP=1 -At`, the SQL as a script on its
    /// standard input) as the superuser on `db`; returns its standard output, the rows of
    /// the queries (no command tags, `|` between columns). Panics with psql's stderr on
    /// failure.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let mut psql = self.command("psql");
        psql.args([
            "-X",
            "-q",
            "-w",
            "-v",
            "ON_ERROR_STOP=1",
            "-At",
            "-f",
            "-",
            "-d",
        ])
        .arg(db);
        let output = run_with_input(psql, sql.as_bytes(), &format!("psql on {db:?}"));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Dumps `db` with `pg_dump -Fc` to the file `out`.
    pub fn dump(&self, db: &str, out: &Path) {
        let mut pg_dump = self.command("pg_dump");
        pg_dump.args(["-w", "-Fc", "-f"]).arg(out).arg("-d").arg(db);
        run(pg_dump, &format!("pg_dump of {db:?} to {}", out.display()));
    }

    /// Replaces database `db`'s contents with a dump made by [`PgServer::dump`]: drops the
    /// database (terminating its connections), creates it again owned by `casevault`, and
    /// runs pg_restore (stopping at the first error).
    pub fn restore(&self, db: &str, dump: &Path) {
        self.psql(
            "postgres",
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE);", quote_ident(db)),
        );
        self.createdb(db, "restore");
        let mut pg_restore = self.command("pg_restore");
        pg_restore
            .args(["-w", "--exit-on-error", "-d"])
            .arg(db)
            .arg(dump);
        run(
            pg_restore,
            &format!("pg_restore of {} into {db:?}", dump.display()),
        );
    }

    /// The whole database as plain SQL text (`pg_dump --format=plain`): what a thief of the
    /// server would see.
    pub fn dump_text(&self, db: &str) -> Vec<u8> {
        let mut pg_dump = self.command("pg_dump");
        pg_dump.args(["-w", "--format=plain", "-d"]).arg(db);
        run(pg_dump, &format!("pg_dump --format=plain of {db:?}")).stdout
    }

    /// Kills the server's postmaster and its children with SIGKILL (a crash), and waits
    /// until they are gone. Panics if the server is not running.
    pub fn kill(&self) {
        let pid = self
            .running_postmaster()
            .unwrap_or_else(|| panic!("kill: the server in {} is not running", self.describe()));
        // Stopped, the postmaster starts no child while its children are listed.
        send_signal("STOP", &[pid], "kill: stopping the postmaster");
        let deadline = Instant::now() + KILL_TIMEOUT;
        while proc_stat(pid).is_some_and(|(state, _)| !matches!(state, 'T' | 'Z' | 'X')) {
            if Instant::now() > deadline {
                panic!("kill: the postmaster {pid} did not stop after {KILL_TIMEOUT:?}");
            }
            thread::sleep(Duration::from_millis(5));
        }
        let children = children_of(pid);
        send_signal("KILL", &[pid], "kill: killing the postmaster");
        if !children.is_empty() {
            // A child may have ended meanwhile: no error then.
            let _ = Command::new("kill")
                .args(["-s", "KILL"])
                .args(children.iter().map(u32::to_string))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let mut pids = children;
        pids.push(pid);
        let deadline = Instant::now() + KILL_TIMEOUT;
        while pids.iter().any(|&pid| process_alive(pid)) {
            if Instant::now() > deadline {
                panic!(
                    "kill: processes {pids:?} of the server in {} still alive after {KILL_TIMEOUT:?}",
                    self.describe()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
        // The lock files stay, as after any crash, and the next postmaster finds them
        // stale. But a dead postmaster nobody has reaped (a zombie: an init that does not
        // reap orphans, as in some containers) still holds its process id, and the next
        // postmaster would take it for a running one: then the lock files go.
        if process_exists(pid) {
            for lock in [
                self.data_dir().join("postmaster.pid"),
                self.socket_dir.join(format!(".s.PGSQL.{}.lock", self.port)),
            ] {
                if let Err(error) = fs::remove_file(&lock)
                    && error.kind() != io::ErrorKind::NotFound
                {
                    panic!("kill: removing {}: {error}", lock.display());
                }
            }
        }
    }

    /// Starts the server again after [`PgServer::kill`] or [`PgServer::stop`] (same data
    /// directory, socket and port; after a kill, crash recovery runs first), and waits until
    /// it accepts connections, at most 60 seconds. Panics, with the server log's tail, if
    /// it does not.
    pub fn start_again(&self) {
        if let Some(pid) = self.running_postmaster() {
            panic!(
                "start_again: the server in {} is running (postmaster {pid})",
                self.describe()
            );
        }
        self.start_postmaster("start_again");
    }

    /// Stops the server (`pg_ctl stop -m fast`), waiting until it is down.
    pub fn stop(&self) {
        let mut pg_ctl = self.server_command("pg_ctl");
        pg_ctl
            .args(["stop", "-D"])
            .arg(self.data_dir())
            .args(["-m", "fast", "-w", "-t", "60", "-s"]);
        run(pg_ctl, "pg_ctl stop -m fast");
    }

    fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    fn log_file(&self) -> PathBuf {
        self.root.path().join("server.log")
    }

    fn describe(&self) -> String {
        self.root.path().display().to_string()
    }

    /// The postmaster's process id, if postmaster.pid names a live process.
    fn running_postmaster(&self) -> Option<u32> {
        let pid_file = fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        let pid = pid_file.lines().next()?.trim().parse().ok()?;
        process_alive(pid).then_some(pid)
    }

    /// Removes the `PG*` variables of the environment (PGDATA, PGSERVICE, PGPASSWORD…, which
    /// would redirect or change connections) and runs in the server's directory (readable
    /// by the system user `postgres`, unlike the test's working directory perhaps).
    fn isolate(&self, command: &mut Command) {
        for (name, _) in std::env::vars_os() {
            if name.as_encoded_bytes().starts_with(b"PG") {
                command.env_remove(name);
            }
        }
        command.current_dir(self.root.path()).stdin(Stdio::null());
    }

    /// The argument vector that runs server program `program` (initdb, pg_ctl): through
    /// `runuser -u postgres --` when root.
    fn server_argv(&self, program: &str) -> Vec<OsString> {
        let mut argv = Vec::new();
        if self.as_system_user {
            argv.push(runuser().into());
            argv.extend(["-u", SYSTEM_USER, "--"].map(OsString::from));
        }
        argv.push(self.bindir.join(program).into());
        argv
    }

    fn server_command(&self, program: &str) -> Command {
        let argv = self.server_argv(program);
        let mut command = Command::new(&argv[0]);
        command.args(&argv[1..]);
        self.isolate(&mut command);
        command
    }

    /// A test authority and a certificate for `localhost` and 127.0.0.1 signed by it,
    /// in `tls/` (made with `openssl`; EC P-256, valid two days).
    fn make_certificates(&self) {
        let dir = self.root.path().join("tls");
        fs::create_dir(&dir).unwrap_or_else(|error| panic!("creating {}: {error}", dir.display()));
        fs::write(
            dir.join("server.ext"),
            "subjectAltName = DNS:localhost, IP:127.0.0.1\n\
             basicConstraints = critical, CA:FALSE\n\
             keyUsage = critical, digitalSignature\n\
             extendedKeyUsage = serverAuth\n",
        )
        .unwrap_or_else(|error| panic!("writing the certificate extensions: {error}"));
        let openssl = |args: &[&str], what: &str| {
            let mut command = Command::new("openssl");
            command.current_dir(&dir).args(args);
            run(command, what);
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=casevault test authority",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ]);
        openssl(&ca, "openssl: the test authority");
        let mut request = vec!["req"];
        request.extend(ec);
        request.extend([
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        openssl(&request, "openssl: the server's key");
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "server.ext",
            ],
            "openssl: the server's certificate",
        );
        // The server refuses a key others may read.
        fs::set_permissions(dir.join("server.key"), fs::Permissions::from_mode(0o600))
            .unwrap_or_else(|error| panic!("chmod of the server's key: {error}"));
    }

    fn spawn_watchdog(&self) {
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg(WATCHDOG)
            .arg("casevault-pgtest-watchdog")
            .arg(self.root.path())
            .arg(self.data_dir())
            .args(self.server_argv("pg_ctl"));
        self.isolate(&mut sh);
        sh.current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Out of the terminal's foreground group: a Ctrl-C does not reach it.
            .process_group(0);
        let child = sh
            .spawn()
            .unwrap_or_else(|error| panic!("starting the server's watchdog (sh): {error}"));
        *self.watchdog.lock().unwrap_or_else(|e| e.into_inner()) = Some(child);
    }

    fn init_cluster(&self) {
        let mut initdb = self.server_command("initdb");
        initdb
            .arg("-D")
            .arg(self.data_dir())
            .args(["-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-locale"])
            // initdb's own fsyncs only matter for a machine crash; the server keeps fsync on.
            .arg("--no-sync");
        run(initdb, "initdb");

        let mut settings = String::from("\n# casevault-pgtest\n");
        if self.tls {
            let tls = self.root.path().join("tls");
            let _ = write!(
                settings,
                "ssl = on\n\
                 ssl_cert_file = {}\n\
                 ssl_key_file = {}\n",
                quote_literal(&tls.join("server.pem").to_string_lossy()),
                quote_literal(&tls.join("server.key").to_string_lossy()),
            );
        }
        let _ = write!(
            settings,
            "listen_addresses = {}\n\
             unix_socket_directories = {}\n\
             port = {}\n\
             fsync = on\n\
             synchronous_commit = on\n\
             full_page_writes = on\n\
             max_connections = 100\n\
             shared_buffers = 16MB\n\
             logging_collector = off\n\
             password_encryption = 'scram-sha-256'\n",
            if self.tls { "'127.0.0.1'" } else { "''" },
            quote_literal(&self.socket_dir.to_string_lossy()),
            self.port,
        );
        let conf = self.data_dir().join("postgresql.conf");
        fs::OpenOptions::new()
            .append(true)
            .open(&conf)
            .and_then(|mut file| file.write_all(settings.as_bytes()))
            .unwrap_or_else(|error| panic!("appending to {}: {error}", conf.display()));
        // Overwritten in place: the file stays the server user's.
        let hba = self.data_dir().join("pg_hba.conf");
        fs::write(
            &hba,
            format!(
                "# casevault-pgtest: a Unix socket (and, for TLS tests, 127.0.0.1 over TLS only).\n\
                 local all {PASSWORD_ROLE} scram-sha-256\n\
                 local all all trust\n\
                 hostssl all all 127.0.0.1/32 trust\n\
                 hostnossl all all 0.0.0.0/0 reject\n"
            ),
        )
        .unwrap_or_else(|error| panic!("writing {}: {error}", hba.display()));
    }

    /// pg_ctl start, then waits until the server accepts connections.
    fn start_postmaster(&self, what: &str) {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut pg_ctl = self.server_command("pg_ctl");
        pg_ctl
            .args(["start", "-D"])
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_file())
            .args(["-w", "-t", &READY_TIMEOUT.as_secs().to_string(), "-s"]);
        let output = pg_ctl
            .output()
            .unwrap_or_else(|error| panic!("{what}: running pg_ctl start: {error}"));
        if !output.status.success() {
            panic!(
                "{what}: pg_ctl start failed ({}): {}\n{}",
                output.status,
                output_text(&output),
                self.log_tail()
            );
        }
        loop {
            let mut pg_isready = self.command("pg_isready");
            pg_isready.args(["-q", "-t", "5", "-d", "postgres"]);
            let status = pg_isready
                .status()
                .unwrap_or_else(|error| panic!("{what}: running pg_isready: {error}"));
            if status.success() {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{what}: the server in {} accepts no connections after {READY_TIMEOUT:?} \
                     (pg_isready: {status})\n{}",
                    self.describe(),
                    self.log_tail()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn createdb(&self, db: &str, what: &str) {
        let mut createdb = self.command("createdb");
        createdb.args(["-w", "-O", APP_ROLE, db]);
        run(createdb, &format!("{what}: createdb {db:?}"));
    }

    /// The last lines of the server's log, for panic messages.
    fn log_tail(&self) -> String {
        let path = self.log_file();
        match fs::read(&path) {
            Ok(log) => {
                let log = String::from_utf8_lossy(&log);
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(30)..].join("\n");
                format!("last lines of {}:\n{tail}", path.display())
            }
            Err(error) => format!("(no server log: {}: {error})", path.display()),
        }
    }
}

impl Drop for PgServer {
    /// Stops the server (`pg_ctl stop -m immediate`) if it runs, removes the directory, and
    /// lets the watchdog go. Failures are reported on stderr, not panics.
    fn drop(&mut self) {
        if self.running_postmaster().is_some() {
            let mut pg_ctl = self.server_command("pg_ctl");
            pg_ctl.args(["stop", "-D"]).arg(self.data_dir()).args([
                "-m",
                "immediate",
                "-w",
                "-t",
                "30",
                "-s",
            ]);
            match pg_ctl.output() {
                Ok(output) if !output.status.success() => eprintln!(
                    "casevault-pgtest: pg_ctl stop -m immediate of {} failed ({}): {}",
                    self.describe(),
                    output.status,
                    output_text(&output)
                ),
                Ok(_) => {}
                Err(error) => eprintln!(
                    "casevault-pgtest: running pg_ctl stop for {}: {error}",
                    self.describe()
                ),
            }
        }
        if let Err(error) = fs::remove_dir_all(self.root.path())
            && error.kind() != io::ErrorKind::NotFound
        {
            eprintln!("casevault-pgtest: removing {}: {error}", self.describe());
        }
        let watchdog = self
            .watchdog
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(mut watchdog) = watchdog {
            // End of input: the watchdog finds the directory gone and exits.
            drop(watchdog.stdin.take());
            let _ = watchdog.wait();
        }
    }
}

/// The directory of the PostgreSQL programs: `CASEVAULT_PG_BINDIR`, else the highest
/// `/usr/lib/postgresql/*/bin` that has them, else the `PATH` directory of `initdb`.
fn find_bindir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CASEVAULT_PG_BINDIR") {
        let dir = PathBuf::from(dir);
        return has_tools(&dir).then_some(dir);
    }
    let mut versions: Vec<(Vec<u32>, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let version = name
                .to_str()?
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.into_iter().rev().find(|(_, dir)| has_tools(dir)) {
        return Some(dir);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .find(|dir| dir.join("initdb").is_file() && has_tools(dir))
}

fn has_tools(dir: &Path) -> bool {
    TOOLS.iter().all(|tool| dir.join(tool).is_file())
}

fn running_as_root() -> bool {
    let mut id = Command::new("id");
    id.arg("-u");
    String::from_utf8_lossy(&run(id, "id -u").stdout).trim() == "0"
}

fn user_exists(user: &str) -> bool {
    Command::new("id")
        .arg("-u")
        .arg(user)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn runuser() -> &'static OsStr {
    ["/usr/sbin/runuser", "/sbin/runuser"]
        .into_iter()
        .find(|path| Path::new(path).is_file())
        .map_or(OsStr::new("runuser"), OsStr::new)
}

/// 20000 + (process id mixed with a per-process counter) mod 20000. Each server has a
/// socket directory of its own, so the port only needs to name the socket file.
/// A port free on 127.0.0.1 now (the kernel's choice), for a server listening on TCP.
fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|error| panic!("finding a free TCP port on 127.0.0.1: {error}"))
}

fn choose_port() -> u16 {
    let counter = SERVER_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mixed = std::process::id().wrapping_add(counter.wrapping_mul(7919)) % 20000;
    20000 + u16::try_from(mixed).expect("a number below 20000 fits in u16")
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    fs::File::open("/dev/urandom")
        .and_then(|mut urandom| urandom.read_exact(&mut buffer))
        .unwrap_or_else(|error| panic!("reading /dev/urandom: {error}"));
    buffer.iter().fold(String::new(), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// Percent-encodes everything but unreserved characters and `/`.
fn percent_encode(bytes: &[u8]) -> String {
    let mut encoded = String::new();
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// An SQL string literal (also the syntax of postgresql.conf values).
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A process's state letter and parent, from /proc/PID/stat.
fn proc_stat(pid: u32) -> Option<(char, u32)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid …", where comm may hold spaces and parentheses.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    Some((state, parent))
}

/// The process exists, even as a zombie.
fn process_exists(pid: u32) -> bool {
    proc_stat(pid).is_some()
}

/// The process exists and is not a zombie (dead but not reaped).
fn process_alive(pid: u32) -> bool {
    proc_stat(pid).is_some_and(|(state, _)| !matches!(state, 'Z' | 'X' | 'x'))
}

fn children_of(parent: u32) -> Vec<u32> {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .filter(|&pid| proc_stat(pid).is_some_and(|(_, ppid)| ppid == parent))
        .collect()
}

/// `kill -s SIGNAL PIDS`; panics, with kill's stderr, if it fails.
fn send_signal(signal: &str, pids: &[u32], what: &str) {
    let mut kill = Command::new("kill");
    kill.args(["-s", signal])
        .args(pids.iter().map(u32::to_string));
    run(kill, what);
}

/// Runs `command`; panics, with its stderr (and stdout), unless it succeeds.
fn run(mut command: Command, what: &str) -> Output {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("{what}: running {:?}: {error}", command.get_program()));
    if !output.status.success() {
        panic!(
            "{what} failed ({}): {}",
            output.status,
            output_text(&output)
        );
    }
    output
}

/// Runs `command` with `input` on its standard input; as [`run`].
fn run_with_input(mut command: Command, input: &[u8], what: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{what}: running {:?}: {error}", command.get_program()));
    let mut stdin = child.stdin.take().expect("stdin was piped");
    // Written by another thread, so that a large output cannot block a large input.
    let output = thread::scope(|scope| {
        let writer = scope.spawn(move || stdin.write_all(input));
        let output = child.wait_with_output();
        // A program that fails early may close its input unread: its output says why.
        let _ = writer.join();
        output
    })
    .unwrap_or_else(|error| panic!("{what}: waiting for {:?}: {error}", command.get_program()));
    if !output.status.success() {
        panic!(
            "{what} failed ({}): {}",
            output.status,
            output_text(&output)
        );
    }
    output
}

fn output_text(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    match (stderr.trim(), stdout.trim()) {
        ("", "") => "(no output)".to_owned(),
        (stderr, "") => stderr.to_owned(),
        ("", stdout) => stdout.to_owned(),
        (stderr, stdout) => format!("{stderr}\n(stdout:) {stdout}"),
    }
}
