//! The real `tseeder-cloud` binary: creating the first operator from the command line, serving
//! with settings from a file and the environment, stopping gracefully, and keeping everything
//! across a restart.

use cloud::{Client, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;
use tseeder_testkit::{cloud, free_port};

const BIN: &str = env!("CARGO_BIN_EXE_tseeder-cloud");

fn command(data: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TSEEDER_DATA_DIR", data)
        .env("TSEEDER_LOG", "info");
    cmd
}

fn create_user(data: &Path, email: &str, role: &str, password: &str) -> Output {
    let mut child = command(data)
        .args(["admin", "create-user", "--email", email, "--role", role])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write password");
    child.wait_with_output().expect("wait")
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn serve(data: &Path, port: u16, config: Option<&Path>) -> Running {
    let mut cmd = command(data);
    cmd.env("TSEEDER_LISTEN", format!("127.0.0.1:{port}"))
        .env("TSEEDER_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(config) = config {
        cmd.env("TSEEDER_CONFIG", config);
    }
    let running = Running(cmd.spawn().expect("spawn serve"));
    let url = format!("http://127.0.0.1:{port}/health");
    for _ in 0..100 {
        if let Ok(answer) = reqwest::get(&url).await {
            if answer.status() == StatusCode::OK {
                let body: serde_json::Value = answer.json().await.expect("json");
                assert_eq!(body["status"], "ok");
                assert_eq!(body["database"], "ok");
                return running;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tseeder-cloud did not become healthy on port {port}");
}

fn terminate(mut running: Running) -> std::process::ExitStatus {
    let pid = running.0.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    running.0.wait().expect("wait")
}

#[tokio::test]
async fn first_operator_serve_stop_and_restart_keep_everything() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let data = scratch.path().join("data");

    let created = create_user(&data, "Root@Example.org", "superadmin", PASSWORD);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(String::from_utf8_lossy(&created.stdout).contains("root@example.org (superadmin)"));
    let twice = create_user(&data, "root@example.org", "superadmin", PASSWORD);
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already exists"));
    let bad_role = create_user(&data, "x@example.org", "emperor", PASSWORD);
    assert!(!bad_role.status.success());
    let weak = create_user(&data, "y@example.org", "admin", "short");
    assert!(!weak.status.success(), "the same password rules as sign-up");

    // The file says one port, the environment another: the environment wins.
    let port = free_port();
    let config = scratch.path().join("tseeder.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{}\"\n[mail]\nfrom = \"ops@example.org\"\n",
            free_port()
        ),
    )
    .expect("config");
    let server = serve(&data, port, Some(&config)).await;
    let base = format!("http://127.0.0.1:{port}");
    let mut root = Client::new(&base);
    assert_eq!(
        root.login("root@example.org", PASSWORD).await.status,
        StatusCode::OK
    );
    let job = root
        .post(
            "/api/v1/jobs",
            json!({ "magnet": cloud::random_magnet("survives-restart") }),
        )
        .await;
    assert_eq!(job.status, StatusCode::CREATED);
    let job_id = job.body["job"]["id"].as_str().expect("id").to_owned();
    let registered = Client::new(&base)
        .post(
            "/api/v1/auth/register",
            json!({ "email": "later@example.org", "password": PASSWORD, "acceptedAup": true }),
        )
        .await;
    assert_eq!(registered.status, StatusCode::ACCEPTED);
    // Mail is delivered from the queue right after the answer.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mail = loop {
        let found = std::fs::read_dir(data.join("outbox")).ok().and_then(|dir| {
            dir.flatten()
                .find(|e| e.path().extension().is_some_and(|x| x == "eml"))
        });
        if let Some(mail) = found {
            break mail;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no mail in the outbox"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        std::fs::read_to_string(mail.path())
            .expect("read")
            .contains("From: ops@example.org"),
        "mail settings came from the file"
    );

    assert!(
        terminate(server).success(),
        "SIGTERM stops the server cleanly"
    );

    let server = serve(&data, port, None).await;
    let still = root.get(&format!("/api/v1/jobs/{job_id}")).await;
    assert_eq!(
        still.status,
        StatusCode::OK,
        "the session and the job survived the restart"
    );
    assert_eq!(still.body["job"]["status"], "queued");
    let conn = rusqlite::Connection::open(data.join("tseeder.db")).expect("db");
    let applied: i64 = conn
        .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
        .expect("count");
    assert_eq!(
        applied as usize,
        tseeder_cloud::store::MIGRATIONS.len(),
        "each migration applied once"
    );
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(journal, "wal");
    drop(server);
}

#[test]
fn a_missing_config_file_is_a_clear_error() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let out = command(scratch.path())
        .args(["--config", "/nonexistent/tseeder.toml", "serve"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn a_bad_environment_value_is_a_clear_error() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let out = command(scratch.path())
        .env("TSEEDER_LISTEN", "not-an-address")
        .arg("serve")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid configuration"));
}

#[test]
fn a_setting_that_does_not_exist_stops_the_start_and_names_the_one_meant() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let out = command(scratch.path())
        .env(
            "TSEEDER_DATABASE_URL",
            "postgres://tseeder@127.0.0.1/tseeder",
        )
        .arg("serve")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("`TSEEDER_DATABASE_URL` is not a setting")
            && said.contains("`TSEEDER_DATABASE__URL`"),
        "{said}"
    );

    let config = scratch.path().join("tseeder.toml");
    std::fs::write(&config, "[mail]\nsmtp = \"smtp://127.0.0.1:25\"\n").expect("config");
    let out = command(scratch.path())
        .args(["--config", config.to_str().expect("utf-8"), "serve"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("`mail.smtp` is not a setting") && said.contains("`mail.smtp_url`"),
        "{said}"
    );
}

#[tokio::test]
async fn json_logs_and_a_failed_answer_carry_the_request_id() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let dead_captcha = free_port();
    let log = scratch.path().join("server.log");
    let mut cmd = command(scratch.path());
    cmd.env("TSEEDER_LISTEN", format!("127.0.0.1:{port}"))
        .env("TSEEDER_LOG_FORMAT", "json")
        .env("TSEEDER_EMBEDDED_AGENT__ENABLED", "false")
        .env(
            "TSEEDER_CAPTCHA__VERIFY_URL",
            format!("http://127.0.0.1:{dead_captcha}/siteverify"),
        )
        .env("TSEEDER_CAPTCHA__SECRET", "s")
        .env("TSEEDER_CAPTCHA__SITE_KEY", "k")
        .arg("serve")
        .stdout(std::fs::File::create(&log).expect("log file"))
        .stderr(Stdio::null());
    let running = Running(cmd.spawn().expect("spawn serve"));
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut answer = None;
    for _ in 0..100 {
        if let Ok(reply) = http
            .post(format!("{base}/api/v1/auth/register"))
            .header("x-request-id", "support-ticket-77")
            .json(&json!({ "email": "h@example.org", "password": PASSWORD, "acceptedAup": true, "captchaToken": "t" }))
            .send()
            .await
        {
            answer = Some(reply);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answer = answer.expect("the server answered");
    assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(answer.headers()["x-request-id"], "support-ticket-77");
    let body: serde_json::Value = answer.json().await.expect("json");
    assert_eq!(body["error"]["requestId"], "support-ticket-77");

    let refused = http
        .get(format!("{base}/api/v1/jobs"))
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let generated = refused.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(generated.len(), 32, "a fresh id when none was sent");
    let body: serde_json::Value = refused.json().await.expect("json");
    assert!(
        body["error"].get("requestId").is_none(),
        "only a 5xx names it"
    );

    terminate(running);
    let lines = std::fs::read_to_string(&log).expect("log");
    let records: Vec<serde_json::Value> = lines
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert!(
        records.iter().any(|record| {
            record["span"]["request_id"] == "support-ticket-77" && record["level"] == "ERROR"
        }),
        "the failure's log line names the request: {lines}"
    );
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_into_a_new_data_folder_with_the_same_jobs() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let (data, restored) = (scratch.path().join("data"), scratch.path().join("restored"));
    let config = scratch.path().join("tseeder.toml");
    std::fs::write(&config, "[embedded_agent]\nenabled = false\n").expect("config");
    let created = create_user(&data, "root@example.org", "superadmin", PASSWORD);
    assert!(created.status.success());
    let port = free_port();
    let server = serve(&data, port, Some(&config)).await;
    let base = format!("http://127.0.0.1:{port}");
    let mut root = Client::new(&base);
    assert_eq!(
        root.login("root@example.org", PASSWORD).await.status,
        StatusCode::OK
    );
    let job = root
        .post(
            "/api/v1/jobs",
            json!({ "magnet": cloud::random_magnet("kept-by-the-backup") }),
        )
        .await;
    assert_eq!(job.status, StatusCode::CREATED);
    let job_id = job.body["job"]["id"].as_str().expect("id").to_owned();

    let backup = scratch.path().join("tseeder-backup.db");
    let taken = command(&data)
        .args(["admin", "backup", backup.to_str().expect("utf-8")])
        .output()
        .expect("backup");
    assert!(
        taken.status.success(),
        "{}",
        String::from_utf8_lossy(&taken.stderr)
    );
    assert!(String::from_utf8_lossy(&taken.stdout).contains("backed up 1 users and 1 jobs"));
    let again = command(&data)
        .args(["admin", "backup", backup.to_str().expect("utf-8")])
        .output()
        .expect("backup");
    assert!(
        !again.status.success(),
        "an existing file is not overwritten"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    drop(server);

    let into_live = command(&data)
        .args(["admin", "restore", backup.to_str().expect("utf-8")])
        .output()
        .expect("restore");
    assert!(
        !into_live.status.success()
            && String::from_utf8_lossy(&into_live.stderr).contains("already exists"),
        "a store in use is never overwritten"
    );
    let restoring = command(&restored)
        .args(["admin", "restore", backup.to_str().expect("utf-8")])
        .output()
        .expect("restore");
    assert!(
        restoring.status.success(),
        "{}",
        String::from_utf8_lossy(&restoring.stderr)
    );

    let server = serve(&restored, port, Some(&config)).await;
    let mut root = Client::new(&base);
    assert_eq!(
        root.login("root@example.org", PASSWORD).await.status,
        StatusCode::OK,
        "the account came back"
    );
    let jobs = root.get("/api/v1/jobs").await;
    assert_eq!(jobs.status, StatusCode::OK);
    let ids: Vec<&str> = jobs.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|job| job["id"].as_str())
        .collect();
    assert_eq!(ids, vec![job_id.as_str()], "the same jobs are served");
    drop(server);
}

#[test]
fn check_config_names_what_a_public_deployment_lacks_and_production_refuses_to_start() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let out = command(scratch.path())
        .arg("check-config")
        .output()
        .expect("run");
    assert!(
        !out.status.success(),
        "the embedded defaults are not public"
    );
    let said = String::from_utf8_lossy(&out.stdout);
    for setting in ["public_url", "mail.smtp_url", "captcha.verify_url"] {
        assert!(said.contains(&format!("error  {setting}:")), "{said}");
    }

    let refused = command(scratch.path())
        .env("TSEEDER_PRODUCTION", "true")
        .env("TSEEDER_LISTEN", format!("127.0.0.1:{}", free_port()))
        .arg("serve")
        .output()
        .expect("run");
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("not ready for a public deployment") && said.contains("mail.smtp_url"),
        "{said}"
    );

    let ready = scratch.path().join("public.toml");
    std::fs::write(
        &ready,
        "production = true\n\
         public_url = \"https://tseeder.example.org\"\n\
         trusted_proxies = [\"127.0.0.1\"]\n\
         [mail]\n\
         from = \"tseeder <no-reply@example.org>\"\n\
         smtp_url = \"smtps://u:p@smtp.example.org:465\"\n\
         [captcha]\n\
         verify_url = \"https://captcha.example.org/siteverify\"\n\
         secret = \"0x4AAAAAAAB-provider-secret\"\n\
         site_key = \"site\"\n",
    )
    .expect("config");
    let out = command(scratch.path())
        .args(["--config", ready.to_str().expect("utf-8"), "check-config"])
        .output()
        .expect("run");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("ready for a public deployment") && said.contains("advice backups"));
}
