//! `scripts/smoke-test` against real deployments: `tseeder-cloud` on SQLite with Garage as its
//! S3 store, a real `tseeder-agent`, an SMTP sink and an aria2c seeder. On a sound deployment the
//! script passes every step (a fresh user signed up from the mail, the torrent downloaded by the
//! agent, the file fetched through a signed link and its sha256 checked); on broken ones (no
//! agent, wrong storage credentials, no mail) it stops at the step that shows the fault.

use cloud::{Client, PASSWORD};
use reqwest::StatusCode;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tseeder_testkit::agent::{agent_command, AgentProcess};
use tseeder_testkit::mail::SmtpSink;
use tseeder_testkit::swarm::{SeedOptions, Seeder};
use tseeder_testkit::{cloud, free_port, garage};

const BIN: &str = env!("CARGO_BIN_EXE_tseeder-cloud");
const OPERATOR: &str = "ops@example.org";
/// The test user an operator provisions when the smoke test cannot read the mail.
const PROVISIONED: &str = "smoke-tester@example.org";

/// How the smoke test gets its test user.
#[derive(Clone, Copy, PartialEq)]
enum TestUser {
    SignUpFromTheMailFolder,
    Provisioned,
}

/// What to break.
#[derive(Clone, Copy)]
struct Faults {
    no_agent: bool,
    wrong_storage_secret: bool,
    no_mail: bool,
}

const SOUND: Faults = Faults {
    no_agent: false,
    wrong_storage_secret: false,
    no_mail: false,
};

struct Deployment {
    base: String,
    sink: SmtpSink,
    seeder: Seeder,
    _cloud: Served,
    _agent: Option<AgentProcess>,
    _garage: garage::Garage,
    _scratch: tempfile::TempDir,
}

struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn storage_secret(faults: Faults) -> String {
    if faults.wrong_storage_secret {
        "f".repeat(garage::SECRET.len())
    } else {
        garage::SECRET.to_owned()
    }
}

impl Deployment {
    async fn start(faults: Faults) -> Deployment {
        let scratch = tempfile::tempdir().expect("tempdir");
        let garage = garage::start_garage().await;
        let sink = SmtpSink::start(&scratch.path().join("maildir")).await;
        let cloud_command = || {
            let mut cmd = Command::new(BIN);
            cmd.env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("TSEEDER_DATA_DIR", scratch.path().join("data"))
                .env("TSEEDER_EMBEDDED_AGENT__ENABLED", "false")
                .env("TSEEDER_LOG", "warn");
            garage.storage_env(&mut cmd, "TSEEDER_STORAGE__", &storage_secret(faults));
            if !faults.no_mail {
                cmd.env("TSEEDER_MAIL__SMTP_URL", sink.url());
            }
            cmd
        };
        for (email, role) in [(OPERATOR, "admin"), (PROVISIONED, "user")] {
            let created = cloud_command()
                .env("TSEEDER_ADMIN_PASSWORD", PASSWORD)
                .args(["admin", "create-user", "--email", email, "--role", role])
                .output()
                .expect("create-user");
            assert!(created.status.success(), "{created:?}");
        }

        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let served = Served(
            cloud_command()
                .env("TSEEDER_LISTEN", format!("127.0.0.1:{port}"))
                .env("TSEEDER_PUBLIC_URL", &base)
                .arg("serve")
                .stdout(Stdio::null())
                .spawn()
                .expect("serve"),
        );
        wait_healthy(&base).await;

        let agent = if faults.no_agent {
            None
        } else {
            let mut operator = Client::new(&base);
            assert_eq!(
                operator.login(OPERATOR, PASSWORD).await.status,
                StatusCode::OK
            );
            let token = cloud::issue_agent_token(&operator, "smoke-1", "eu").await;
            let mut agent =
                agent_command(&agent_binary(), &base, &token, "smoke-1", scratch.path());
            garage.storage_env(
                &mut agent,
                "TSEEDER_AGENT_STORAGE__",
                &storage_secret(faults),
            );
            let agent = agent.spawn().expect("start tseeder-agent");
            let agent = AgentProcess(agent);
            wait_for_an_online_agent(&operator).await;
            Some(agent)
        };
        let seeder = Seeder::start(SeedOptions {
            name: "smoke-swarm",
            files: &[("episode.mkv", 2 * 1024 * 1024 + 5)],
            ..Default::default()
        });
        Deployment {
            base,
            sink,
            seeder,
            _cloud: served,
            _agent: agent,
            _garage: garage,
            _scratch: scratch,
        }
    }

    /// Runs the script as an operator would after a deployment: exit status, stdout, stderr.
    async fn smoke_test(&self, user: TestUser) -> (i32, String, String) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/smoke-test");
        let mut command = tokio::process::Command::new("python3");
        match user {
            TestUser::SignUpFromTheMailFolder => {
                command.env("TSEEDER_SMOKE_OUTBOX", &self.sink.maildir);
            }
            TestUser::Provisioned => {
                command
                    .env("TSEEDER_SMOKE_USER_EMAIL", PROVISIONED)
                    .env("TSEEDER_SMOKE_USER_PASSWORD", PASSWORD);
            }
        }
        let run = command
            .arg(script)
            .arg(&self.base)
            .env("TSEEDER_SMOKE_ADMIN_EMAIL", OPERATOR)
            .env("TSEEDER_SMOKE_ADMIN_PASSWORD", PASSWORD)
            .env("TSEEDER_SMOKE_MAGNET", self.seeder.magnet())
            .env("TSEEDER_SMOKE_SHA256", &self.seeder.files[0].sha256)
            .env("TSEEDER_SMOKE_TIMEOUT", "180")
            .env("TSEEDER_SMOKE_CLAIM_SECONDS", "30")
            .env("TSEEDER_SMOKE_MAIL_SECONDS", "10")
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(300), run)
            .await
            .expect("the smoke test ends on its own")
            .expect("python3");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn agent_binary() -> PathBuf {
    let path = Path::new(BIN).with_file_name("tseeder-agent");
    assert!(
        path.exists(),
        "{} is missing: build the workspace",
        path.display()
    );
    path
}

async fn wait_healthy(base: &str) {
    for _ in 0..200 {
        if let Ok(answer) = reqwest::get(format!("{base}/health")).await {
            if answer.status() == StatusCode::OK {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tseeder-cloud did not become healthy at {base}");
}

async fn wait_for_an_online_agent(operator: &Client) {
    for _ in 0..100 {
        let overview = operator.get("/api/v1/admin/overview").await;
        if overview.body["agents"]["online"].as_u64().unwrap_or(0) > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the agent never registered");
}

#[tokio::test]
async fn a_sound_deployment_passes_every_step() {
    let deployment = Deployment::start(SOUND).await;
    let (status, stdout, stderr) = deployment
        .smoke_test(TestUser::SignUpFromTheMailFolder)
        .await;
    assert_eq!(status, 0, "{stdout}\n{stderr}");
    for step in [
        "health",
        "openapi",
        "agents",
        "test user",
        "follow",
        "download",
        "audit",
    ] {
        assert!(stdout.contains(&format!("{step} … ok")), "{step}: {stdout}");
    }
    assert!(
        stdout.contains("matches TSEEDER_SMOKE_SHA256"),
        "the file was checked: {stdout}"
    );
    assert!(stdout.contains("smoke test passed"));
    let verification = deployment.sink.delivered();
    assert_eq!(verification.len(), 1, "one fresh user signed up");
}

/// Runs the smoke test on a deployment with `faults` and expects it to stop with `failure`.
async fn fails_at(faults: Faults, failure: &str) -> String {
    let deployment = Deployment::start(faults).await;
    let (status, stdout, stderr) = deployment
        .smoke_test(TestUser::SignUpFromTheMailFolder)
        .await;
    assert_eq!(status, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains(failure), "{stdout}\n{stderr}");
    stdout
}

#[tokio::test]
async fn without_an_agent_it_stops_at_the_agents_step() {
    let stdout = fails_at(
        Faults {
            no_agent: true,
            ..SOUND
        },
        "FAILED at step 4 (agents): no agent is online",
    )
    .await;
    assert!(
        !stdout.contains("test user"),
        "nothing after the failure ran"
    );
}

#[tokio::test]
async fn with_wrong_storage_credentials_it_stops_where_the_files_should_be_stored() {
    fails_at(
        Faults {
            wrong_storage_secret: true,
            ..SOUND
        },
        "FAILED at step 8 (follow): an agent's attempt failed",
    )
    .await;
}

#[tokio::test]
async fn without_mail_it_stops_at_the_sign_up() {
    fails_at(
        Faults {
            no_mail: true,
            ..SOUND
        },
        "FAILED at step 5 (test user): no verification mail",
    )
    .await;
}

#[tokio::test]
async fn an_operator_provisioned_test_user_needs_no_mail() {
    let deployment = Deployment::start(Faults {
        no_mail: true,
        ..SOUND
    })
    .await;
    let (status, stdout, stderr) = deployment.smoke_test(TestUser::Provisioned).await;
    assert_eq!(status, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("test user … ok: provisioned {PROVISIONED}")),
        "{stdout}"
    );
    assert!(stdout.contains("smoke test passed"));
}
