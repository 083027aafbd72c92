//! Secrets kept in the operating system's keyring (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows), never in a file of ours: the account's API key and the
//! personal agent's token. The key is filed under the cloud it was made for; the agent token,
//! which makes this computer one account's device, under the cloud *and* that account, so an
//! account signed in later on the same cloud can never act as the earlier one's device.

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the system keyring is not available: {0}")]
    Unavailable(String),
}

/// Which secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    ApiKey,
    AgentToken,
}

impl SecretKind {
    fn label(self) -> &'static str {
        match self {
            SecretKind::ApiKey => "api-key",
            SecretKind::AgentToken => "agent-token",
        }
    }
}

/// A secret value that never shows in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The keyring entries of one installation; `service` names them ("tseeder" in the app).
#[derive(Debug, Clone)]
pub struct Secrets {
    service: String,
}

/// Where the personal agent's token of `user_id` on `cloud_url` is filed.
pub fn agent_token_slot(cloud_url: &str, user_id: &str) -> String {
    format!("{cloud_url}#{user_id}")
}

impl Secrets {
    pub fn new(service: impl Into<String>) -> Secrets {
        Secrets {
            service: service.into(),
        }
    }

    fn entry(&self, kind: SecretKind, cloud_url: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, &format!("{}@{cloud_url}", kind.label()))
            .map_err(|err| SecretError::Unavailable(err.to_string()))
    }

    /// Blocking: call from a blocking thread.
    pub fn store(
        &self,
        kind: SecretKind,
        cloud_url: &str,
        secret: &Secret,
    ) -> Result<(), SecretError> {
        self.entry(kind, cloud_url)?
            .set_password(secret.expose())
            .map_err(|err| SecretError::Unavailable(err.to_string()))
    }

    /// Blocking: call from a blocking thread.
    pub fn load(&self, kind: SecretKind, cloud_url: &str) -> Result<Option<Secret>, SecretError> {
        match self.entry(kind, cloud_url)?.get_password() {
            Ok(value) => Ok(Some(Secret(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(SecretError::Unavailable(err.to_string())),
        }
    }

    /// Blocking: call from a blocking thread. Removing what is not there is not an error.
    pub fn remove(&self, kind: SecretKind, cloud_url: &str) -> Result<(), SecretError> {
        match self.entry(kind, cloud_url)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(SecretError::Unavailable(err.to_string())),
        }
    }

    pub async fn store_async(
        &self,
        kind: SecretKind,
        cloud_url: &str,
        secret: Secret,
    ) -> Result<(), SecretError> {
        let (me, url) = (self.clone(), cloud_url.to_owned());
        blocking(move || me.store(kind, &url, &secret)).await
    }

    pub async fn load_async(
        &self,
        kind: SecretKind,
        cloud_url: &str,
    ) -> Result<Option<Secret>, SecretError> {
        let (me, url) = (self.clone(), cloud_url.to_owned());
        blocking(move || me.load(kind, &url)).await
    }

    pub async fn remove_async(&self, kind: SecretKind, cloud_url: &str) -> Result<(), SecretError> {
        let (me, url) = (self.clone(), cloud_url.to_owned());
        blocking(move || me.remove(kind, &url)).await
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SecretError> + Send + 'static,
) -> Result<T, SecretError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| SecretError::Unavailable(err.to_string()))?
}
