//! The desktop core against a real tseeder cloud on 127.0.0.1 and the session's real keyring
//! (Secret Service, started and unlocked by scripts/with-session-bus): signing in keeps the key
//! only in the keyring, this computer registers as the user's device and claims the jobs sent to
//! it, and signing out removes and revokes everything.

mod support;

use std::time::Duration;
use tokio::net::TcpListener;
use tseeder_cloud::{server, Settings};
use tseeder_desktop::cloud::CloudClient;
use tseeder_desktop::secrets::{SecretKind, Secrets};
use tseeder_desktop::{Desktop, JobPlace};
use tseeder_protocol::{CreateJob, Role};

const PASSWORD: &str = "correct horse battery";

/// A cloud on 127.0.0.1 serving until the returned sender is dropped.
async fn cloud(dir: &std::path::Path) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut settings = Settings {
        data_dir: dir.join("cloud"),
        ..Settings::default()
    };
    settings.listen = addr;
    settings.public_url = Some(format!("http://{addr}"));
    settings.embedded_agent.enabled = false;
    let services = server::start_services(settings).await.expect("services");
    services
        .admin()
        .create_user_directly("ann@example.org", PASSWORD.into(), Role::User)
        .await
        .expect("user");
    (
        format!("http://{addr}"),
        serve_until_dropped(services, listener),
    )
}

/// Serves `services` on `listener` until the returned sender is dropped.
fn serve_until_dropped(
    services: tseeder_cloud::services::Services,
    listener: TcpListener,
) -> tokio::sync::oneshot::Sender<()> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        server::serve(services, listener, async move {
            let _ = stopped.await;
        })
        .await
        .expect("serve");
    });
    stop
}

async fn eventually<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..150 {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Neither the account's API key (filed under the cloud) nor its agent token (under `slot`) is
/// left in the keyring.
async fn assert_forgotten(secrets: &Secrets, base: &str, slot: &str) {
    for (kind, name) in [(SecretKind::ApiKey, base), (SecretKind::AgentToken, slot)] {
        assert!(
            secrets
                .load_async(kind, name)
                .await
                .expect("keyring")
                .is_none(),
            "{kind:?} left in the keyring"
        );
    }
}

/// Every byte of every file under `dir` (the app's own folder).
fn files_contain(dir: &std::path::Path, needle: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            files_contain(&path, needle)
        } else {
            std::fs::read(&path)
                .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .unwrap_or(false)
        }
    })
}

#[tokio::test]
async fn sign_in_keeps_the_key_in_the_keyring_registers_this_device_and_sign_out_revokes_it() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("info,librqbit=warn")
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().expect("dir");
    let (base, _serving) = cloud(dir.path()).await;
    let service = format!("tseeder-test-{}", uuid::Uuid::new_v4().simple());
    let desktop = Desktop::open(support::options(dir.path(), &service, 20))
        .await
        .expect("open");

    let wrong = desktop
        .sign_in(&base, "ann@example.org", "not the password")
        .await;
    assert!(wrong.is_err(), "a wrong password is refused");
    assert!(!desktop.signed_in());

    let state = desktop
        .sign_in(&base, "ann@example.org", PASSWORD)
        .await
        .expect("sign in");
    assert!(state.signed_in);
    assert_eq!(state.user.expect("user").email, "ann@example.org");
    let secrets = Secrets::new(service.clone());
    let key = secrets
        .load_async(SecretKind::ApiKey, &base)
        .await
        .expect("keyring")
        .expect("the key is in the keyring");
    assert!(
        !files_contain(&dir.path().join("app"), key.expose()),
        "never in a file of ours"
    );

    // The personal agent registers this computer as one of the user's devices.
    let device_id = eventually("the device registration", async || {
        desktop.app_state().device_id
    })
    .await;
    // Its token is filed under this account, not under the cloud alone.
    let user_id = desktop.app_state().user.expect("user").id;
    let slot = tseeder_desktop::secrets::agent_token_slot(&base, &user_id);
    assert!(secrets
        .load_async(SecretKind::AgentToken, &slot)
        .await
        .expect("keyring")
        .is_some());
    assert!(secrets
        .load_async(SecretKind::AgentToken, &base)
        .await
        .expect("keyring")
        .is_none());
    let account = CloudClient::new(&base, Some(key.clone())).expect("client");
    let sent = account
        .create_job(&CreateJob {
            magnet: Some(format!("magnet:?xt=urn:btih:{}&dn=home", "ab".repeat(20))),
            torrent_url: None,
            selected_files: None,
            region: None,
            device_id: Some(device_id.clone()),
            callback_url: None,
        })
        .await
        .expect("job for this computer");
    let id = sent.job.id.clone();
    let claimed = eventually("this computer to claim the job", async || {
        let jobs = account.jobs().await.ok()?;
        // Claimed at least once (with no peer on this loopback the try then fails and waits).
        jobs.into_iter().find(|j| j.id == id && j.attempts >= 1)
    })
    .await;
    assert_eq!(claimed.device_id.as_deref(), Some(device_id.as_str()));
    let listed = eventually("the job in the app's list", async || {
        desktop
            .jobs()
            .into_iter()
            .find(|j| j.key == format!("cloud:{id}"))
    })
    .await;
    assert_eq!(listed.place, JobPlace::ThisDevice);

    // A restart finds the key in the keyring and is signed in again.
    desktop.shutdown().await;
    drop(desktop);
    let desktop = Desktop::open(support::options(dir.path(), &service, 20))
        .await
        .expect("reopen");
    assert!(
        desktop.signed_in(),
        "signed in from the keyring after a restart"
    );
    // The cloud confirms the key in the background and names the user.
    eventually("the restored account's user", async || {
        desktop
            .app_state()
            .user
            .filter(|u| u.email == "ann@example.org")
    })
    .await;

    let state = desktop.sign_out().await.expect("sign out");
    assert!(!state.signed_in);
    assert_forgotten(&secrets, &base, &slot).await;
    let revoked = account.me().await.expect_err("the key is revoked");
    assert!(revoked.is_unauthorized(), "{revoked}");
    desktop.shutdown().await;
}

#[tokio::test]
async fn signing_out_while_the_cloud_is_unreachable_still_forgets_this_accounts_secrets() {
    let dir = tempfile::tempdir().expect("dir");
    let (base, serving) = cloud(dir.path()).await;
    let service = format!("tseeder-test-{}", uuid::Uuid::new_v4().simple());
    let desktop = Desktop::open(support::options(dir.path(), &service, 20))
        .await
        .expect("open");
    desktop
        .sign_in(&base, "ann@example.org", PASSWORD)
        .await
        .expect("sign in");
    eventually("the device registration", async || {
        desktop.app_state().device_id
    })
    .await;
    let user_id = desktop.app_state().user.expect("user").id;
    let slot = tseeder_desktop::secrets::agent_token_slot(&base, &user_id);
    let secrets = Secrets::new(service.clone());
    assert!(secrets
        .load_async(SecretKind::AgentToken, &slot)
        .await
        .expect("keyring")
        .is_some());
    desktop.shutdown().await;
    drop(desktop);

    // The cloud goes away; the app starts offline, signed in from the keyring, without the
    // cloud having said whose key it is.
    drop(serving);
    let addr = base.trim_start_matches("http://").to_owned();
    eventually("the cloud to stop answering", async || {
        tokio::net::TcpStream::connect(&addr).await.err()
    })
    .await;
    let desktop = Desktop::open(support::options(dir.path(), &service, 20))
        .await
        .expect("reopen");
    assert!(desktop.signed_in());

    let state = desktop.sign_out().await.expect("sign out");
    assert!(!state.signed_in);
    assert_forgotten(&secrets, &base, &slot).await;
    desktop.shutdown().await;
}

/// One cloud served on two listeners, as two replicas behind no load balancer would be; each
/// stops when its sender is dropped.
async fn two_replicas(
    dir: &std::path::Path,
) -> ([String; 2], [tokio::sync::oneshot::Sender<()>; 2]) {
    let mut settings = Settings {
        data_dir: dir.join("cloud"),
        ..Settings::default()
    };
    settings.embedded_agent.enabled = false;
    let services = server::start_services(settings).await.expect("services");
    services
        .admin()
        .create_user_directly("ann@example.org", PASSWORD.into(), Role::User)
        .await
        .expect("user");
    let replica = async || {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        (url, serve_until_dropped(services.clone(), listener))
    };
    let (a, stop_a) = replica().await;
    let (b, stop_b) = replica().await;
    ([a, b], [stop_a, stop_b])
}

#[tokio::test]
async fn the_app_fails_over_between_the_control_planes_it_is_given() {
    let dir = tempfile::tempdir().expect("dir");
    let ([a, b], [stop_a, stop_b]) = two_replicas(dir.path()).await;
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("addr"))
    };
    let urls = format!("{dead}, {a}/ ,{b}");
    let service = format!("tseeder-test-{}", uuid::Uuid::new_v4().simple());
    let desktop = Desktop::open(support::options(dir.path(), &service, 20))
        .await
        .expect("open");

    // The first URL is down: signing in goes on to the next.
    let state = desktop
        .sign_in(&urls, "ann@example.org", PASSWORD)
        .await
        .expect("sign in past the unreachable first URL");
    assert!(state.signed_in);
    let stored = format!("{dead},{a},{b}");
    assert_eq!(desktop.settings().cloud_url, stored, "kept normalised");
    let secrets = Secrets::new(service.clone());
    let key = secrets
        .load_async(SecretKind::ApiKey, &stored)
        .await
        .expect("keyring")
        .expect("the key is filed under the cloud's URLs");

    let account = CloudClient::new(&stored, Some(key.clone())).expect("client");
    let magnet = |n: u8| {
        format!(
            "magnet:?xt=urn:btih:{}&dn=failover",
            format!("{n:02x}").repeat(20)
        )
    };
    let job = |n| CreateJob {
        magnet: Some(magnet(n)),
        torrent_url: None,
        selected_files: None,
        region: None,
        device_id: None,
        callback_url: None,
    };
    let first = account.create_job(&job(1)).await.expect("a job through A");
    assert_eq!(
        account.base(),
        a,
        "the URL that answered is tried first from then on"
    );

    // A goes away: a new start of the app reaches the cloud through B, with the same account.
    drop(stop_a);
    eventually("A to stop answering", async || {
        tokio::net::TcpStream::connect(a.trim_start_matches("http://"))
            .await
            .is_err()
            .then_some(())
    })
    .await;
    let restarted = CloudClient::new(&stored, Some(key)).expect("client");
    let second = restarted
        .create_job(&job(2))
        .await
        .expect("a job through B");
    assert_eq!(restarted.base(), b);
    let ids: Vec<String> = restarted
        .jobs()
        .await
        .expect("jobs through B")
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert!(
        ids.contains(&first.job.id) && ids.contains(&second.job.id),
        "{ids:?}"
    );

    // When none answers, the error names the URLs tried.
    drop(stop_b);
    let all_down = CloudClient::new(&format!("{dead},{a}"), None)
        .expect("client")
        .me()
        .await
        .expect_err("nothing answers");
    assert!(all_down.to_string().contains(&dead), "{all_down}");
    desktop.shutdown().await;
}
