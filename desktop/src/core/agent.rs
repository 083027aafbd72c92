//! This computer as the user's personal agent: while the app runs and the user is signed in, its
//! engine is registered with the cloud as one of the user's devices and takes the jobs the user
//! sends to "my computer", keeping the files in the download folder.

use super::{write, Desktop, DesktopEvent};
use crate::cloud::CloudClient;
use crate::secrets::{Secret, SecretKind};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tseeder_engine::worker::{AgentClient, ClientError, Delivery, Worker, WorkerConfig};
use tseeder_protocol::RegisterAgent;

impl Desktop {
    pub(super) fn spawn_personal_agent(
        &self,
        client: CloudClient,
        mut stopped: watch::Receiver<bool>,
    ) -> JoinHandle<()> {
        let desktop = self.clone();
        tokio::spawn(async move {
            let agent = loop {
                match desktop.agent_client(&client).await {
                    Ok(agent) => break agent,
                    Err(err) => {
                        tracing::warn!(%err, "this computer could not join as a device; retrying")
                    }
                }
                tokio::select! {
                    _ = stopped.wait_for(|stop| *stop) => return,
                    _ = tokio::time::sleep(Duration::from_secs(10)) => {}
                }
            };
            let settings = desktop.settings();
            let worker = Worker::new(
                agent,
                desktop.inner.engine.clone(),
                Delivery::KeepIn(settings.download_dir.clone()),
                WorkerConfig {
                    name: desktop.device_label(),
                    region: "device".into(),
                    capacity: 2,
                    work_dir: desktop.inner.options.data_dir.join("agent"),
                    poll_interval_ms: 2000,
                    progress_interval_ms: 1000,
                },
            );
            let (stop, stop_rx) = watch::channel(false);
            let run = tokio::spawn({
                let worker = worker.clone();
                async move { worker.run(stop_rx).await }
            });
            let _ = stopped.wait_for(|stop| *stop).await;
            // The worker hands unfinished jobs back to the cloud before it returns.
            let _ = stop.send(true);
            let _ = run.await;
        })
    }

    fn device_label(&self) -> String {
        format!("tseeder desktop on {}", self.inner.options.device_name)
    }

    /// The agent token from the keyring, checked by registering; a missing or revoked one is
    /// replaced by registering this computer as a new device.
    async fn agent_client(&self, client: &CloudClient) -> Result<AgentClient, String> {
        let url = client.cloud_url();
        let user = self
            .user()
            .map(|user| user.id)
            .ok_or_else(|| "the account is not known yet".to_owned())?;
        let slot = crate::secrets::agent_token_slot(&url, &user);
        let secrets = &self.inner.secrets;
        let stored = secrets
            .load_async(SecretKind::AgentToken, &slot)
            .await
            .map_err(|err| err.to_string())?;
        if let Some(token) = stored {
            let agent = AgentClient::new(&url, token.expose()).map_err(|err| err.to_string())?;
            match agent.register(&self.registration()).await {
                Ok(registered) => {
                    self.learn_device(client, registered.agent_id);
                    return Ok(agent);
                }
                Err(ClientError::Refused {
                    status: 401 | 403, ..
                }) => {
                    tracing::info!("this computer's device token was revoked; registering again");
                }
                Err(err) => return Err(err.to_string()),
            }
        }
        let issued = client
            .register_device(&self.device_label())
            .await
            .map_err(|err| err.to_string())?;
        secrets
            .store_async(
                SecretKind::AgentToken,
                &slot,
                Secret::new(issued.token.clone()),
            )
            .await
            .map_err(|err| err.to_string())?;
        self.learn_device(client, issued.agent.id);
        AgentClient::new(&url, &issued.token).map_err(|err| err.to_string())
    }

    fn registration(&self) -> RegisterAgent {
        RegisterAgent {
            name: self.device_label(),
            region: "device".into(),
            capacity: 2,
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }

    /// Notes this computer's device id, unless the user signed out or into another account
    /// while it was being registered.
    fn learn_device(&self, client: &CloudClient, id: String) {
        match write(&self.inner.session)
            .as_mut()
            .filter(|session| session.cloud.same_account(client))
        {
            Some(session) => session.device_id = Some(id),
            None => return,
        }
        self.emit(DesktopEvent::State);
        self.jobs_changed();
    }
}
