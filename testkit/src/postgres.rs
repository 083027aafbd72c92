//! PostgreSQL for tests: Debian's server started into a temporary folder on a free loopback
//! port (never the system's cluster), and a fresh database per test server. `scripts/with-postgres`
//! starts one server for a whole run and names it in `TSEEDER_TEST_POSTGRES_URL`; the test
//! server then keeps its state there instead of in a SQLite file.

use std::path::PathBuf;
use std::process::Command;

use crate::free_port;

/// The variable `scripts/with-postgres` sets to the server every test server then uses.
pub const SHARED_URL: &str = "TSEEDER_TEST_POSTGRES_URL";

/// A private PostgreSQL server, stopped and deleted when dropped.
#[derive(Debug)]
pub struct PostgresServer {
    /// Superuser URL of the `postgres` database.
    pub url: String,
    bin: PathBuf,
    data: PathBuf,
    dir: tempfile::TempDir,
}

/// The newest installed server's programs (`scripts/setup` installs Debian's `postgresql`).
fn server_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (scripts/setup)")
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop().expect("an initdb under /usr/lib/postgresql")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs one of the server's programs, as the `postgres` user when we are root (initdb refuses
/// root).
fn run_as_owner(program: &PathBuf, args: &[&str]) {
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let out = command
        .args(args)
        .output()
        .expect("run a PostgreSQL program");
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PostgresServer {
    pub fn start() -> PostgresServer {
        let bin = server_bin();
        let dir = tempfile::Builder::new()
            .prefix("tseeder-pg")
            .tempdir()
            .expect("tempdir");
        if is_root() {
            let status = Command::new("chown")
                .arg("postgres")
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success(), "chown the server's folder to postgres");
        }
        let data = dir.path().join("data");
        let data_arg = data.to_string_lossy().into_owned();
        run_as_owner(
            &bin.join("initdb"),
            &["-D", &data_arg, "-A", "trust", "-U", "tseeder", "--no-sync"],
        );
        let port = free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off",
            dir.path().display()
        );
        let log = dir.path().join("log").to_string_lossy().into_owned();
        run_as_owner(
            &bin.join("pg_ctl"),
            &["-D", &data_arg, "-o", &options, "-l", &log, "-w", "start"],
        );
        PostgresServer {
            url: format!("postgres://tseeder@127.0.0.1:{port}/postgres"),
            bin,
            data,
            dir,
        }
    }

    pub fn folder(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let data = self.data.to_string_lossy().into_owned();
        run_as_owner(
            &self.bin.join("pg_ctl"),
            &["-D", &data, "-m", "immediate", "stop"],
        );
    }
}

/// Creates an empty database on the server at `server_url` and answers its URL.
pub async fn fresh_database(server_url: &str) -> String {
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let server_url = server_url.to_owned();
    let statement = format!("CREATE DATABASE {name}");
    let url = tokio::task::spawn_blocking(move || {
        let mut client =
            postgres::Client::connect(&server_url, postgres::NoTls).expect("connect to PostgreSQL");
        client.batch_execute(&statement).expect("create database");
        let (base, _) = server_url
            .rsplit_once('/')
            .expect("a URL ending in a database name");
        format!("{base}/{name}")
    })
    .await
    .expect("create database");
    url
}

/// A fresh database on the run's shared server, when the run has one.
pub async fn shared_fresh_database() -> Option<String> {
    let server = std::env::var(SHARED_URL)
        .ok()
        .filter(|url| !url.is_empty())?;
    Some(fresh_database(&server).await)
}
