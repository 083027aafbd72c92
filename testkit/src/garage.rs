//! Garage, a real S3-compatible server that checks SigV4, started on 127.0.0.1 for a test
//! (install it with `scripts/setup`). Shared by the storage, cloud and agent tests.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::free_port;

pub const KEY_ID: &str = "GK0123456789abcdef01234567";
pub const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
pub const BUCKET: &str = "tseeder-test";

#[derive(Debug)]
pub struct Garage {
    child: Child,
    pub endpoint: String,
    _dir: tempfile::TempDir,
}

impl Drop for Garage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn garage_bin() -> PathBuf {
    if let Ok(path) = std::env::var("GARAGE_BIN") {
        return PathBuf::from(path);
    }
    let home_bin =
        PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo/bin/garage");
    if home_bin.exists() {
        return home_bin;
    }
    PathBuf::from("garage")
}

pub fn garage(config: &Path, args: &[&str]) -> String {
    let out = Command::new(garage_bin())
        .arg("-c")
        .arg(config)
        .args(args)
        .output()
        .expect("run garage (install it with scripts/setup)");
    assert!(
        out.status.success(),
        "garage {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub async fn start_garage() -> Garage {
    // A port found free can be taken by another test's server before Garage binds it; Garage
    // then serves its RPC but not the S3 API, and requests reach whatever took the port.
    for _ in 0..5 {
        if let Some((garage_proc, config)) = try_start().await {
            return set_up(garage_proc, &config);
        }
    }
    panic!("garage did not start on free ports in five tries");
}

/// Starts Garage on fresh ports; `None` when its S3 port turned out to be someone else's.
async fn try_start() -> Option<(Garage, PathBuf)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rpc, s3, admin) = (free_port(), free_port(), free_port());
    let config = dir.path().join("garage.toml");
    std::fs::write(
        &config,
        format!(
            r#"metadata_dir = "{meta}"
data_dir = "{data}"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:{admin}"
"#,
            meta = dir.path().join("meta").display(),
            data = dir.path().join("data").display(),
            secret = SECRET,
        ),
    )
    .expect("config");
    let child = Command::new(garage_bin())
        .arg("-c")
        .arg(&config)
        .arg("server")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start garage (install it with scripts/setup)");
    let pid = child.id();
    let mut garage_proc = Garage {
        child,
        endpoint: format!("http://127.0.0.1:{s3}"),
        _dir: dir,
    };
    // Up to 30 s to answer at all, then 5 s more for the S3 listener to be its own.
    let mut answered = 0;
    for _ in 0..150 {
        if garage_proc.child.try_wait().ok().flatten().is_some() {
            return None;
        }
        let status = Command::new(garage_bin())
            .arg("-c")
            .arg(&config)
            .arg("status")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if status.is_ok_and(|s| s.success()) {
            if listens_on(pid, s3) {
                return Some((garage_proc, config));
            }
            answered += 1;
            if answered > 25 {
                return None;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("garage did not start");
}

/// Whether process `pid` holds the listening TCP socket on 127.0.0.1:`port` (Linux).
fn listens_on(pid: u32, port: u16) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    let sockets: std::collections::HashSet<String> = fds
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy();
            target
                .strip_prefix("socket:[")
                .and_then(|rest| rest.strip_suffix(']'))
                .map(str::to_owned)
        })
        .collect();
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    // "sl local_address rem_address st … uid timeout inode": ports and states in hex.
    table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() > 9
            && fields[3] == "0A"
            && fields[1]
                .rsplit_once(':')
                .and_then(|(_, hex)| u16::from_str_radix(hex, 16).ok())
                == Some(port)
            && sockets.contains(fields[9])
    })
}

/// The layout, key and bucket of a node that just started.
fn set_up(garage_proc: Garage, config: &Path) -> Garage {
    let node = garage(config, &["node", "id", "-q"]);
    let node_id = node.trim().split('@').next().expect("node id").to_owned();
    garage(
        config,
        &["layout", "assign", "-z", "dc1", "-c", "1G", &node_id],
    );
    garage(config, &["layout", "apply", "--version", "1"]);
    garage(
        config,
        &["key", "import", "--yes", "-n", "test", KEY_ID, SECRET],
    );
    garage(config, &["bucket", "create", BUCKET]);
    garage(
        config,
        &[
            "bucket", "allow", "--read", "--write", "--owner", BUCKET, "--key", "test",
        ],
    );
    garage_proc
}

impl Garage {
    /// Points a program's storage settings at this node's bucket: `prefix` is the program's
    /// settings prefix plus `STORAGE__` (`TSEEDER_STORAGE__`, `TSEEDER_AGENT_STORAGE__`), and
    /// `secret` the secret key to present (a wrong one, to test a misconfigured deployment).
    pub fn storage_env(&self, command: &mut Command, prefix: &str, secret: &str) {
        for (key, value) in [
            ("BACKEND", "s3"),
            ("S3__ENDPOINT", self.endpoint.as_str()),
            ("S3__REGION", "garage"),
            ("S3__BUCKET", BUCKET),
            ("S3__ACCESS_KEY_ID", KEY_ID),
            ("S3__SECRET_ACCESS_KEY", secret),
            ("S3__PATH_STYLE", "true"),
        ] {
            command.env(format!("{prefix}{key}"), value);
        }
    }
}
