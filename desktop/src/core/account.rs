//! The cloud account: signing in (email and password become this device's API key, or a pasted
//! key), keeping the key in the keyring, restoring it at start, and signing out (the key leaves
//! the keyring and the server forgets it and this device).

use super::{lock, read, write, Desktop, DesktopError, DesktopEvent, DesktopResult, Session};
use crate::cloud::CloudClient;
use crate::db;
use crate::secrets::{Secret, SecretKind};
use crate::settings::DesktopSettings;
use serde::Serialize;
use tokio::sync::watch;
use tseeder_protocol::User;

/// The settings row naming the account last signed in: `<cloud URL>\n<user id>`.
const ACCOUNT_KEY: &str = "account";

/// What the screens need to draw the shell: account, settings, version.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppState {
    pub version: String,
    pub signed_in: bool,
    pub user: Option<User>,
    pub device_id: Option<String>,
    pub settings: DesktopSettings,
}

impl Desktop {
    /// The signed-in user, once the cloud has said who the key belongs to.
    pub(super) fn user(&self) -> Option<User> {
        read(&self.inner.session)
            .as_ref()
            .and_then(|session| session.user.clone())
    }

    /// This computer's device id in the signed-in account, once registered.
    pub(super) fn device_id(&self) -> Option<String> {
        read(&self.inner.session)
            .as_ref()
            .and_then(|session| session.device_id.clone())
    }

    pub fn app_state(&self) -> AppState {
        AppState {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            signed_in: self.signed_in(),
            user: self.user(),
            device_id: self.device_id(),
            settings: self.settings(),
        }
    }

    /// Email and password: a new API key for this device, kept in the keyring.
    pub async fn sign_in(
        &self,
        cloud_url: &str,
        email: &str,
        password: &str,
    ) -> DesktopResult<AppState> {
        let url = self.use_cloud_url(cloud_url).await?;
        if email.trim().is_empty() || password.is_empty() {
            return Err(DesktopError::Invalid(
                "Enter your email and password.".into(),
            ));
        }
        let name = format!("tseeder desktop on {}", self.inner.options.device_name);
        let (_, key) = CloudClient::sign_in(&url, email.trim(), password, &name).await?;
        self.adopt_key(&url, key).await
    }

    /// A key the user pasted (created in the web console).
    pub async fn sign_in_with_key(&self, cloud_url: &str, key: &str) -> DesktopResult<AppState> {
        let url = self.use_cloud_url(cloud_url).await?;
        let key = key.trim();
        if key.is_empty()
            || key.len() > 200
            || key.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(DesktopError::Invalid(
                "That does not look like an API key.".into(),
            ));
        }
        self.adopt_key(&url, Secret::new(key)).await
    }

    async fn use_cloud_url(&self, cloud_url: &str) -> DesktopResult<String> {
        let settings = self.settings();
        if settings.cloud_url == cloud_url.trim().trim_end_matches('/') {
            return Ok(settings.cloud_url);
        }
        let saved = self
            .save_settings(DesktopSettings {
                cloud_url: cloud_url.to_owned(),
                ..settings
            })
            .await?;
        Ok(saved.cloud_url)
    }

    async fn adopt_key(&self, url: &str, key: Secret) -> DesktopResult<AppState> {
        let client = CloudClient::new(url, Some(key.clone()))?;
        let me = client.me().await?;
        self.inner
            .secrets
            .store_async(SecretKind::ApiKey, url, key)
            .await?;
        self.remember_account(url, &me.user.id).await;
        *write(&self.inner.session) = Some(Session::new(client, Some(me.user)));
        self.restart_account_work().await;
        self.emit(DesktopEvent::State);
        Ok(self.app_state())
    }

    /// At start: the keyring's key makes the app signed in at once; whether the cloud still
    /// takes it is asked in the background, so a slow or absent network never holds the window.
    pub(super) async fn restore_account(&self) {
        let url = self.settings().cloud_url;
        let key = match self
            .inner
            .secrets
            .load_async(SecretKind::ApiKey, &url)
            .await
        {
            Ok(Some(key)) => key,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(%err, "could not read the keyring; signed out");
                return;
            }
        };
        let Ok(client) = CloudClient::new(&url, Some(key)) else {
            return;
        };
        *write(&self.inner.session) = Some(Session::new(client.clone(), None));
        let desktop = self.clone();
        tokio::spawn(async move { desktop.confirm_restored_account(client, url).await });
    }

    async fn confirm_restored_account(&self, client: CloudClient, url: String) {
        let answer = client.me().await;
        // The user may have signed out or in meanwhile: then this answer is about nobody.
        let still_current = self
            .cloud()
            .is_some_and(|current| current.same_account(&client));
        if !still_current {
            return;
        }
        match answer {
            Ok(me) => {
                self.remember_account(&url, &me.user.id).await;
                if let Some(session) = write(&self.inner.session)
                    .as_mut()
                    .filter(|session| session.cloud.same_account(&client))
                {
                    session.user = Some(me.user);
                }
            }
            Err(err) if err.is_unauthorized() => {
                tracing::info!("the stored key was revoked; signing out");
                *write(&self.inner.session) = None;
                self.forget_secrets(&url).await;
                self.emit(DesktopEvent::State);
                return;
            }
            // Offline at start: keep the key, the background work retries.
            Err(err) => tracing::warn!(%err, "the cloud is not reachable; working offline"),
        }
        self.restart_account_work().await;
        self.emit(DesktopEvent::State);
    }

    /// Removes the key and this device from the cloud (when reachable) and from the keyring.
    pub async fn sign_out(&self) -> DesktopResult<AppState> {
        let url = self.settings().cloud_url;
        self.sign_out_of(&url).await;
        Ok(self.app_state())
    }

    pub(super) async fn sign_out_of(&self, url: &str) {
        self.stop_account_work().await;
        if let Some(client) = self.cloud() {
            if let Some(device) = self.device_id() {
                let path = format!("/api/v1/devices/{device}");
                if let Err(err) = client.raw("DELETE", &path, None).await {
                    tracing::warn!(%err, "could not remove this device from the cloud");
                }
            }
            if let Err(err) = client.revoke_own_key().await {
                tracing::warn!(%err, "could not revoke the API key in the cloud");
            }
        }
        self.forget_secrets(url).await;
        *write(&self.inner.session) = None;
        lock(&self.inner.cloud_jobs).clear();
        self.emit(DesktopEvent::State);
        self.jobs_changed();
    }

    /// Notes which account is signed in at `url`, so its secrets can be found to forget even
    /// when a sign-out happens offline, before the cloud has said who the key belongs to.
    async fn remember_account(&self, url: &str, user_id: &str) {
        let value = format!("{url}\n{user_id}");
        let stored = self
            .inner
            .db
            .call(move |conn| db::put_setting(conn, ACCOUNT_KEY, &value))
            .await;
        if let Err(err) = stored {
            tracing::warn!(%err, "could not note the signed-in account");
        }
    }

    /// The account last signed in at `url`, from memory or, offline, from the app's database.
    async fn known_account(&self, url: &str) -> Option<String> {
        if let Some(user) = self.user() {
            return Some(user.id);
        }
        let stored = self
            .inner
            .db
            .call(|conn| db::setting(conn, ACCOUNT_KEY))
            .await
            .ok()
            .flatten()?;
        let (stored_url, user) = stored.split_once('\n')?;
        (stored_url == url).then(|| user.to_owned())
    }

    /// Removes this account's key and agent token from the keyring (and an agent token filed
    /// under the cloud alone, as earlier versions did).
    async fn forget_secrets(&self, url: &str) {
        let user = self.known_account(url).await;
        let mut slots = vec![
            (SecretKind::ApiKey, url.to_owned()),
            (SecretKind::AgentToken, url.to_owned()),
        ];
        if let Some(user) = user {
            slots.push((
                SecretKind::AgentToken,
                crate::secrets::agent_token_slot(url, &user),
            ));
        }
        for (kind, slot) in slots {
            if let Err(err) = self.inner.secrets.remove_async(kind, &slot).await {
                tracing::warn!(%err, "could not remove a secret from the keyring");
            }
        }
    }

    /// (Re)starts the signed-in account's background work with the current settings.
    pub(super) async fn restart_account_work(&self) {
        self.stop_account_work().await;
        let Some(client) = self.cloud() else { return };
        let (stop, stopped) = watch::channel(false);
        *lock(&self.inner.account_stop) = Some(stop);
        let mut tasks = vec![self.spawn_live_follower(client.clone(), stopped.clone())];
        tasks.push(self.spawn_sync_loop(client.clone(), stopped.clone()));
        if self.settings().personal_agent {
            tasks.push(self.spawn_personal_agent(client, stopped));
        }
        *lock(&self.inner.account_tasks) = tasks;
    }

    pub(super) async fn stop_account_work(&self) {
        if let Some(stop) = lock(&self.inner.account_stop).take() {
            let _ = stop.send(true);
        }
        let tasks: Vec<_> = lock(&self.inner.account_tasks).drain(..).collect();
        for task in tasks {
            // Each task watches the stop signal and hands its work back before it ends.
            let abort = task.abort_handle();
            if tokio::time::timeout(std::time::Duration::from_secs(15), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}
