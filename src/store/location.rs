//! Where a vault is: a file (the SQLite backend) or a database on a PostgreSQL server.
//!
//! A location is given as text (`--vault`, `CASEVAULT_VAULT`): `postgres://…` or
//! `postgresql://…` names a server, anything else is a path. A server address is
//! refused, before any connection, when it is not exactly what casevault parses: not
//! printable ASCII, no database named, or a password in it (an address sits in an
//! argument list or an environment that other programs can read; passwords go in
//! `~/.pgpass`).

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
#[cfg(feature = "server")]
use std::str::FromStr;

/// Where a vault is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A vault file (SQLite).
    File(PathBuf),
    /// A database on a PostgreSQL server.
    Server(ServerAddress),
}

/// A PostgreSQL server and database, as `postgres://user@host:port/database?options`
/// (a Unix socket: `postgresql://user@/database?host=/run/postgresql`). Holds no
/// password, so it can be shown in messages as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerAddress {
    url: String,
}

/// Why a location's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    /// A server address with a character other than printable ASCII.
    #[error(
        "the server address has a character casevault does not accept (only printable ASCII; percent-encode the rest)"
    )]
    NotAscii,
    /// A server address with a password in it.
    #[error(
        "the server address holds a password; casevault does not take passwords in an address, which other programs on this machine can read"
    )]
    Password,
    /// A server address naming no database.
    #[error("the server address names no database (postgres://USER@HOST/DATABASE)")]
    NoDatabase,
    /// A server across a network, with TLS turned off.
    #[error(
        "the server address turns TLS off (sslmode=disable) for a server across a network; casevault talks to a remote server over TLS only"
    )]
    NoTls,
    /// A server address with a form casevault does not take: several hosts, or a
    /// `hostaddr` (an IP address the client would connect to instead of the host
    /// named, which the checks above would not see).
    #[error(
        "the server address {0}; casevault takes one host, by name or IP address, in `postgres://USER@HOST:PORT/DATABASE` or `?host=`"
    )]
    Unsupported(&'static str),
    /// A server address the PostgreSQL client cannot parse.
    #[error("the server address cannot be read: {0}")]
    Malformed(String),
}

impl Location {
    /// Reads a location: a server address (`postgres://`, `postgresql://`) or a path.
    pub fn parse(text: &OsStr) -> Result<Location, LocationError> {
        let Some(s) = text.to_str() else {
            return Ok(Location::File(PathBuf::from(text)));
        };
        if !is_server_address(s) {
            return Ok(Location::File(PathBuf::from(text)));
        }
        ServerAddress::parse(s).map(Location::Server)
    }

    /// The vault file's path, for a file.
    pub fn as_path(&self) -> Option<&Path> {
        match self {
            Location::File(path) => Some(path),
            Location::Server(_) => None,
        }
    }

    /// True for a database on a server, which many machines share.
    pub fn is_server(&self) -> bool {
        matches!(self, Location::Server(_))
    }
}

/// Whether `text` is meant as a server address (its scheme says so, in any case).
fn is_server_address(text: &str) -> bool {
    let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

impl ServerAddress {
    fn parse(text: &str) -> Result<ServerAddress, LocationError> {
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(LocationError::NotAscii);
        }
        let (_, rest) = text.split_once("://").ok_or(LocationError::NoDatabase)?;
        let (authority, path_and_query) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && userinfo.contains(':')
        {
            return Err(LocationError::Password);
        }
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut database = path.strip_prefix('/').unwrap_or("").to_owned();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "password" => return Err(LocationError::Password),
                "dbname" => database = value.to_owned(),
                _ => {}
            }
        }
        if database.is_empty() {
            return Err(LocationError::NoDatabase);
        }
        let address = ServerAddress {
            url: text.to_owned(),
        };
        #[cfg(feature = "server")]
        check_address(&address)?;
        Ok(address)
    }

    /// The address as given (it holds no password).
    pub fn as_str(&self) -> &str {
        &self.url
    }
}

#[cfg(feature = "server")]
/// Refuses, before any connection, an address the PostgreSQL client would not read
/// or would read as something else than casevault checked.
pub(super) fn check_address(address: &ServerAddress) -> std::result::Result<(), LocationError> {
    let config = postgres::Config::from_str(address.as_str())
        .map_err(|e| LocationError::Malformed(e.to_string()))?;
    if config.get_password().is_some() {
        return Err(LocationError::Password);
    }
    if config.get_dbname().is_none_or(str::is_empty) {
        return Err(LocationError::NoDatabase);
    }
    // One host, the one named: where the password is sent, and what the TLS rule
    // below looks at, is then where the client connects.
    if !config.get_hostaddrs().is_empty() {
        return Err(LocationError::Unsupported("gives a hostaddr"));
    }
    if config.get_hosts().len() > 1 {
        return Err(LocationError::Unsupported("names several hosts"));
    }
    if is_remote(&config) && config.get_ssl_mode() == postgres::config::SslMode::Disable {
        return Err(LocationError::NoTls);
    }
    Ok(())
}

#[cfg(feature = "server")]
/// Whether the address names a host across a network (not a Unix socket, not this
/// machine's loopback).
pub(super) fn is_remote(config: &postgres::Config) -> bool {
    config
        .get_hosts()
        .iter()
        .any(|h| matches!(h, postgres::config::Host::Tcp(name) if !is_loopback(name)))
}

#[cfg(feature = "server")]
pub(super) fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl fmt::Display for ServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Server(server) => server.fmt(f),
        }
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Location {
        Location::File(path)
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Location {
        Location::File(path.to_owned())
    }
}

impl From<&PathBuf> for Location {
    fn from(path: &PathBuf) -> Location {
        Location::File(path.clone())
    }
}

impl From<&Location> for Location {
    fn from(location: &Location) -> Location {
        location.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Location, LocationError> {
        Location::parse(OsStr::new(text))
    }

    #[test]
    fn paths_and_addresses_are_told_apart_by_the_scheme() {
        assert_eq!(
            parse("practice.casevault").unwrap(),
            Location::File("practice.casevault".into())
        );
        assert_eq!(
            parse("/srv/postgres:/v").unwrap(),
            Location::File("/srv/postgres:/v".into())
        );
        for good in [
            "postgres://casevault@db.example.org/practice",
            "postgresql://casevault@/practice?host=/run/postgresql",
            "postgres://casevault@db.example.org:5433/practice?sslmode=require",
            "postgresql://casevault@/x?dbname=practice&host=/tmp/s",
        ] {
            assert!(parse(good).unwrap().is_server(), "{good}");
        }
    }

    #[test]
    fn an_address_in_another_case_is_an_address_not_a_path() {
        // The scheme says it is meant as a server; the client reads only lowercase,
        // so it is refused rather than opened as a file of that name.
        let refused = parse("POSTGRES://casevault@db.example.org/practice");
        if cfg!(feature = "server") {
            assert!(
                matches!(refused, Err(LocationError::Malformed(_))),
                "{refused:?}"
            );
        } else {
            assert!(matches!(refused, Ok(Location::Server(_))), "{refused:?}");
        }
    }

    #[test]
    fn a_password_in_the_address_is_refused() {
        assert_eq!(
            parse("postgres://casevault:hunter2@db.example.org/practice"),
            Err(LocationError::Password)
        );
        assert_eq!(
            parse("postgres://casevault@db.example.org/practice?password=hunter2"),
            Err(LocationError::Password)
        );
    }

    #[test]
    fn an_address_without_a_database_or_with_odd_characters_is_refused() {
        assert_eq!(
            parse("postgres://casevault@db.example.org"),
            Err(LocationError::NoDatabase)
        );
        assert_eq!(
            parse("postgres://casevault@db.example.org/"),
            Err(LocationError::NoDatabase)
        );
        assert_eq!(
            parse("postgres://casevault@db.example.org/pr actice"),
            Err(LocationError::NotAscii)
        );
        assert_eq!(
            parse("postgres://casevault@db.example.org/p\u{1b}[2J"),
            Err(LocationError::NotAscii)
        );
    }
}
