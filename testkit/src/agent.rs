//! The real `tseeder-agent` binary as the tests run it: quick polls and progress, the engine on
//! loopback with DHT off and private peers allowed (the test swarm is on 127.0.0.1). Each test
//! adds the object store it wants.

use crate::free_port;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running agent, killed when dropped.
#[derive(Debug)]
pub struct AgentProcess(pub Child);

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The agent at `binary` for `cloud_url` (one URL, or several separated by commas) with
/// `token`, named `name`, working under `work_dir/name`; not started yet.
pub fn agent_command(
    binary: &Path,
    cloud_url: &str,
    token: &str,
    name: &str,
    work_dir: &Path,
) -> Command {
    let mut command = Command::new(binary);
    command
        .env("TSEEDER_AGENT_CLOUD_URL", cloud_url)
        .env("TSEEDER_AGENT_TOKEN", token)
        .env("TSEEDER_AGENT_NAME", name)
        .env("TSEEDER_AGENT_REGION", "eu")
        .env("TSEEDER_AGENT_WORK_DIR", work_dir.join(name))
        .env(
            "TSEEDER_AGENT_HEALTH_LISTEN",
            format!("127.0.0.1:{}", free_port()),
        )
        .env("TSEEDER_AGENT_POLL_INTERVAL_MS", "200")
        .env("TSEEDER_AGENT_PROGRESS_INTERVAL_MS", "200")
        .env("TSEEDER_AGENT_ENGINE__LISTEN_IP", "127.0.0.1")
        .env("TSEEDER_AGENT_ENGINE__DHT", "false")
        .env(
            "TSEEDER_AGENT_TORRENT_NETWORK__ALLOW_PRIVATE_ADDRESSES",
            "true",
        )
        // Warnings reach the test's own output, which the test runner shows when a test fails.
        .env("TSEEDER_AGENT_LOG", "warn")
        .stdout(Stdio::inherit());
    command
}
