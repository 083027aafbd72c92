//! Settings of the control plane: defaults in code, then an optional TOML file, then
//! `TSEEDER_*` environment variables (nested keys joined with `__`, e.g. `TSEEDER_MAIL__FROM`).

mod check;
mod runtime;

pub use check::{check, Finding, Severity};
pub use runtime::{
    AlertSettings, MaintenanceSettings, RegistrationSettings, RetentionSettings, StatusSettings,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
pub use tseeder_storage::{StorageBackend, StoreLocation};

/// A string that must never reach a log line.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Everything the server keeps on disk lives here: the SQLite file and the mail outbox.
    pub data_dir: PathBuf,
    pub database: DatabaseSettings,
    pub cluster: ClusterSettings,
    pub listen: SocketAddr,
    /// Address users reach the service at; links in emails point here and cookies are `Secure`
    /// when it is https.
    /// When unset, `http://` and the `listen` address (loopback for an unspecified one).
    pub public_url: Option<String>,
    /// Addresses or networks (CIDR) of the operator's reverse proxies. When a request comes from
    /// one, the client is the right-most `X-Forwarded-For` entry that is not one of them.
    pub trusted_proxies: Vec<String>,
    pub mail: MailSettings,
    pub captcha: CaptchaSettings,
    pub sessions: SessionSettings,
    pub limits: LimitSettings,
    pub rate_limits: RateLimitSettings,
    pub torrent_fetch: TorrentFetchSettings,
    /// What trackers, peers and `.torrent` URLs may reach: public addresses only by default.
    pub torrent_network: tseeder_engine::TorrentNetwork,
    pub dispatch: DispatchSettings,
    pub storage: StorageSettings,
    pub embedded_agent: EmbeddedAgentSettings,
    pub webhooks: WebhookSettings,
    pub registration: RegistrationSettings,
    pub maintenance: MaintenanceSettings,
    pub alerts: AlertSettings,
    pub retention: RetentionSettings,
    pub status: StatusSettings,
    pub metrics: MetricsSettings,
    pub providers: ProvidersSettings,
    pub billing: BillingSettings,
    /// The built web console (`ui/dist`); when the folder is missing only the API is served.
    pub console_dir: PathBuf,
    /// A public deployment: the start is refused while `tseeder-cloud check-config` reports an
    /// error (no https `public_url`, no SMTP, no captcha, weak secrets…).
    pub production: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("data"),
            database: DatabaseSettings::default(),
            cluster: ClusterSettings::default(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            trusted_proxies: Vec::new(),
            mail: MailSettings::default(),
            captcha: CaptchaSettings::default(),
            sessions: SessionSettings::default(),
            limits: LimitSettings::default(),
            rate_limits: RateLimitSettings::default(),
            torrent_fetch: TorrentFetchSettings::default(),
            torrent_network: tseeder_engine::TorrentNetwork::default(),
            dispatch: DispatchSettings::default(),
            storage: StorageSettings::default(),
            embedded_agent: EmbeddedAgentSettings::default(),
            webhooks: WebhookSettings::default(),
            registration: RegistrationSettings::default(),
            maintenance: MaintenanceSettings::default(),
            alerts: AlertSettings::default(),
            retention: RetentionSettings::default(),
            status: StatusSettings::default(),
            metrics: MetricsSettings::default(),
            providers: ProvidersSettings::default(),
            billing: BillingSettings::default(),
            console_dir: PathBuf::from("ui/dist"),
            production: false,
        }
    }
}

/// The work queue: leases, retries, regions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DispatchSettings {
    /// A lease not renewed (heartbeat or progress) for this long expires; the job goes back.
    pub lease_seconds: u64,
    /// How often agents are asked to send a heartbeat.
    pub heartbeat_seconds: u64,
    /// An agent not heard from for this long is stale: it is shown so and gets no new work.
    pub stale_after_seconds: u64,
    /// Tries of a job before it is dead-lettered.
    pub max_attempts: u32,
    /// Wait before the second try; doubled for each further one, up to the maximum.
    pub backoff_base_seconds: u64,
    pub backoff_max_seconds: u64,
    /// A job that prefers a region goes to any region after waiting this long.
    pub failover_after_seconds: u64,
    /// A busier agent leaves a fresh job this long to a less loaded agent of its region.
    pub load_balance_wait_seconds: u64,
    /// How often expired leases are looked for.
    pub sweep_interval_ms: u64,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        DispatchSettings {
            lease_seconds: 60,
            heartbeat_seconds: 10,
            stale_after_seconds: 45,
            max_attempts: 5,
            backoff_base_seconds: 30,
            backoff_max_seconds: 3600,
            failover_after_seconds: 120,
            load_balance_wait_seconds: 5,
            sweep_interval_ms: 2000,
        }
    }
}

/// Where Prometheus scrapes `GET /metrics`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MetricsSettings {
    /// Lets `/metrics` on the API's address answer requests with `Authorization: Bearer
    /// <token>`; unset, it is not served there.
    pub token: Option<Secret>,
    /// A separate address serving `/metrics` without a token, for a network only the operator's
    /// Prometheus reaches (e.g. `127.0.0.1:9464`).
    pub listen: Option<SocketAddr>,
    /// How often each replica adds what it counted to its minute and hour in the store, for
    /// the console's charts and the overview's alerts (0: never).
    pub rollup_interval_seconds: u64,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            token: None,
            listen: None,
            rollup_interval_seconds: 60,
        }
    }
}

/// Who runs cloud jobs: the operator's agents, or Seedr.cc with the operator's account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ProvidersSettings {
    /// Where new cloud jobs go (`agents` or `seedr`); owners switch at runtime.
    pub active: tseeder_protocol::ProviderKind,
    pub seedr: SeedrSettings,
}

impl Default for ProvidersSettings {
    fn default() -> Self {
        ProvidersSettings {
            active: tseeder_protocol::ProviderKind::Agents,
            seedr: SeedrSettings::default(),
        }
    }
}

/// Paid plans through Stripe. Billing is on when both the secret key and the webhook secret are
/// set; otherwise operators assign plans.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct BillingSettings {
    pub stripe: StripeSettings,
    /// Each paid plan's Stripe price id (`price_…`), by plan id; owners change them at runtime.
    pub prices: std::collections::BTreeMap<String, String>,
    /// A subscription past due keeps its plan this long, then falls back to the free plan.
    pub past_due_grace_days: u64,
    /// How often lapsed plans (grace or paid period over) are looked for; 0 never.
    pub settle_interval_seconds: u64,
}

impl Default for BillingSettings {
    fn default() -> Self {
        BillingSettings {
            stripe: StripeSettings::default(),
            prices: std::collections::BTreeMap::new(),
            past_due_grace_days: 7,
            settle_interval_seconds: 60,
        }
    }
}

impl BillingSettings {
    pub fn enabled(&self) -> bool {
        self.stripe.secret_key.is_some() && self.stripe.webhook_secret.is_some()
    }
}

/// Stripe's API, called with the account's secret key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct StripeSettings {
    /// Where the API is (Stripe's own unless a test server stands in).
    pub api_base: String,
    /// `sk_live_…` (or `sk_test_…`).
    pub secret_key: Option<Secret>,
    /// The webhook endpoint's signing secret (`whsec_…`). While a secret is rolled, Stripe signs
    /// with the old and the new one, and a match of either signature is accepted.
    pub webhook_secret: Option<Secret>,
    /// A webhook signed longer ago (or further ahead) than this is refused as a replay.
    pub webhook_tolerance_seconds: u64,
    pub request_timeout_seconds: u64,
}

impl Default for StripeSettings {
    fn default() -> Self {
        StripeSettings {
            api_base: "https://api.stripe.com".into(),
            secret_key: None,
            webhook_secret: None,
            webhook_tolerance_seconds: 300,
            request_timeout_seconds: 30,
        }
    }
}

/// Seedr.cc's REST API v1, called with HTTP Basic auth.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedrSettings {
    /// Seedr's site; the API is under `<base_url>/rest/`.
    pub base_url: String,
    pub email: Option<String>,
    pub password: Option<Secret>,
    /// How often transfers are polled and finished folders copied.
    pub poll_interval_seconds: u64,
    /// A transfer whose folder has not appeared this long after it was added fails.
    pub transfer_timeout_minutes: u64,
    /// Seedr unreachable or answering 5xx this long in a row fails the job.
    pub outage_minutes: u64,
    /// One call's limit; a file download may take longer but not be silent this long.
    pub request_timeout_seconds: u64,
    /// Files of one finished folder downloaded from Seedr at once; each is staged whole in the
    /// data folder before it goes to the store.
    pub files_at_once: usize,
}

impl Default for SeedrSettings {
    fn default() -> Self {
        SeedrSettings {
            base_url: "https://www.seedr.cc".into(),
            email: None,
            password: None,
            poll_interval_seconds: 5,
            transfer_timeout_minutes: 24 * 60,
            outage_minutes: 60,
            request_timeout_seconds: 60,
            files_at_once: 3,
        }
    }
}

/// Webhook endpoints and job callbacks: where they may point and how hard delivery tries.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookSettings {
    /// Lets endpoints be plain http and reach loopback and private addresses: for receivers on
    /// the same machine or LAN, and tests. Off, only https to public addresses.
    pub allow_private_addresses: bool,
    /// Wait before the second try; doubled for each further one, up to an hour.
    pub retry_base_seconds: u64,
    /// A delivery is retried for this long after the event, then given up.
    pub retry_hours: u64,
    /// How long a receiver has to answer.
    pub timeout_seconds: u64,
    /// How often new events and due retries are looked for.
    pub poll_interval_ms: u64,
    pub max_endpoints_per_user: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_private_addresses: false,
            retry_base_seconds: 30,
            retry_hours: 24,
            timeout_seconds: 10,
            poll_interval_ms: 1000,
            max_endpoints_per_user: 10,
        }
    }
}

/// Where finished files are kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageSettings {
    /// `backend`, `local_dir` (`<data_dir>/objects` when absent) and `s3`, in the shape the
    /// agents' settings share.
    #[serde(flatten)]
    pub location: StoreLocation,
    /// Key of the local store's signed links; generated once into the data folder when absent.
    pub url_signing_secret: Option<Secret>,
    /// Keys `url_signing_secret` replaced: links they signed stay good until they expire, and
    /// webhook secrets sealed under them are sealed under the current key at start. Kept for
    /// one link lifetime after a rotation, then removed.
    pub previous_url_signing_secrets: Vec<Secret>,
    /// Lifetime of a download link.
    pub link_ttl_seconds: u64,
    /// How often the store is swept of abandoned uploads and of objects whose job is gone;
    /// 0 turns the sweep off.
    pub sweep_interval_seconds: u64,
    /// An upload still unfinished this long after it began is taken as abandoned (its uploader
    /// crashed) and removed.
    pub abandoned_upload_hours: u64,
}

impl Default for StorageSettings {
    fn default() -> Self {
        StorageSettings {
            location: StoreLocation::default(),
            url_signing_secret: None,
            previous_url_signing_secrets: Vec::new(),
            link_ttl_seconds: 15 * 60,
            sweep_interval_seconds: 60 * 60,
            abandoned_upload_hours: 24,
        }
    }
}

/// The agent `serve` runs in-process, so a single command downloads real torrents.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct EmbeddedAgentSettings {
    pub enabled: bool,
    pub name: String,
    pub region: String,
    pub capacity: u32,
    pub engine: tseeder_engine::EngineConfig,
    pub poll_interval_ms: u64,
    pub progress_interval_ms: u64,
}

impl Default for EmbeddedAgentSettings {
    fn default() -> Self {
        EmbeddedAgentSettings {
            enabled: true,
            name: "embedded".to_owned(),
            region: "local".to_owned(),
            capacity: 2,
            engine: tseeder_engine::EngineConfig::default(),
            poll_interval_ms: 1000,
            progress_interval_ms: 1000,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// A SQLite file's path, or `postgres://user:password@host:port/database` for PostgreSQL
    /// (which several replicas can share). Unset: `<data_dir>/tseeder.db`.
    pub url: Option<Secret>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterSettings {
    /// Several replicas serve behind one load balancer. Each then needs what they can share:
    /// PostgreSQL, S3-compatible storage and the same `storage.url_signing_secret`; none may
    /// run the embedded agent. The start is refused when one is missing.
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MailSettings {
    pub from: String,
    /// `smtp://user:pass@host:port` or `smtps://…`; when absent, mail goes to `<data_dir>/outbox`.
    pub smtp_url: Option<Secret>,
    /// Wait before the second try of a mail that could not be delivered; doubled for each
    /// further try, up to an hour, 12 tries in all.
    pub retry_base_seconds: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            from: "tseeder <no-reply@tseeder.local>".to_owned(),
            smtp_url: None,
            retry_base_seconds: 30,
        }
    }
}

/// A Turnstile-compatible captcha check; off unless `verify_url` and `secret` are set.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CaptchaSettings {
    pub verify_url: Option<String>,
    pub secret: Option<Secret>,
    /// The public key the sign-up page's widget renders with.
    pub site_key: Option<String>,
    /// The widget script the sign-up page loads; its origin is added to the console's CSP.
    pub script_url: String,
}

impl Default for CaptchaSettings {
    fn default() -> Self {
        CaptchaSettings {
            verify_url: None,
            secret: None,
            site_key: None,
            script_url: "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit"
                .to_owned(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionSettings {
    pub ttl_hours: u32,
    /// A session unused this long ends (0: only `ttl_hours` counts).
    pub idle_timeout_hours: u32,
    pub email_verification_ttl_hours: u32,
    pub password_reset_ttl_minutes: u32,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            ttl_hours: 24 * 30,
            idle_timeout_hours: 24 * 7,
            email_verification_ttl_hours: 48,
            password_reset_ttl_minutes: 60,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LimitSettings {
    pub max_json_body_bytes: usize,
    pub max_torrent_bytes: usize,
    pub max_torrent_files: usize,
    pub max_magnet_length: usize,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            max_json_body_bytes: 64 * 1024,
            max_torrent_bytes: 8 * 1024 * 1024,
            max_torrent_files: 20_000,
            max_magnet_length: 16 * 1024,
        }
    }
}

/// `count` requests per `per_seconds` window.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per_seconds: u32,
}

impl Rate {
    pub const fn new(count: u32, per_seconds: u32) -> Rate {
        Rate { count, per_seconds }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitSettings {
    pub register_per_ip: Rate,
    pub login_per_ip: Rate,
    pub login_per_account: Rate,
    pub reset_per_ip: Rate,
    pub reset_per_account: Rate,
    pub jobs_per_ip: Rate,
    pub jobs_per_account: Rate,
    /// Tries of the current password when changing it (a stolen session must not guess it).
    pub password_change_per_account: Rate,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings {
            register_per_ip: Rate::new(10, 3600),
            login_per_ip: Rate::new(30, 300),
            login_per_account: Rate::new(10, 300),
            reset_per_ip: Rate::new(10, 3600),
            reset_per_account: Rate::new(3, 3600),
            jobs_per_ip: Rate::new(120, 3600),
            password_change_per_account: Rate::new(5, 900),
            jobs_per_account: Rate::new(60, 3600),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct TorrentFetchSettings {
    pub timeout_seconds: u64,
}

impl Default for TorrentFetchSettings {
    fn default() -> Self {
        TorrentFetchSettings {
            timeout_seconds: 20,
        }
    }
}

/// `TSEEDER_*` variables that are not this program's settings: the server's own switches, and
/// the agent's, the desktop app's, the sync client's and the test and benchmark tools'.
const NOT_SETTINGS: &[&str] = &[
    "CONFIG",
    "ADMIN_PASSWORD",
    "LOG",
    "LOG_FORMAT",
    "CLOUD_BIN",
    "APP_BIN",
    "BROWSERS",
    "UPDATE_OPENAPI",
    "AGENT_",
    "DESKTOP_",
    "SYNC_",
    "SMOKE_",
    "TEST_",
    "CONTRACT_",
    "BENCH_",
];

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads defaults, then `file` (when given), then `TSEEDER_*` variables; a key that is
    /// not a setting is refused with the nearest one.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let settings: Settings = tseeder_settings::load(&tseeder_settings::Sources {
            file,
            env_prefix: "TSEEDER_",
            env_not_settings: NOT_SETTINGS,
        })
        .map_err(|err| ConfigError(err.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = url::Url::parse(&self.public_url_trimmed())
            .map_err(|err| ConfigError(format!("public_url: {err}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConfigError("public_url must be http or https".into()));
        }
        if let Some(verify) = &self.captcha.verify_url {
            url::Url::parse(verify)
                .map_err(|err| ConfigError(format!("captcha.verify_url: {err}")))?;
        }
        self.storage
            .location
            .check("storage")
            .map_err(ConfigError)?;
        self.check_cluster()?;
        crate::http::client_address::TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|err| ConfigError(format!("trusted_proxies: {err}")))?;
        if self.dispatch.max_attempts == 0 || self.dispatch.lease_seconds == 0 {
            return Err(ConfigError(
                "dispatch.max_attempts and dispatch.lease_seconds must be at least 1".into(),
            ));
        }
        if self.captcha.verify_url.is_some() && self.captcha.site_key.is_none() {
            return Err(ConfigError(
                "captcha needs site_key for the sign-up widget".into(),
            ));
        }
        let script = url::Url::parse(&self.captcha.script_url)
            .map_err(|err| ConfigError(format!("captcha.script_url: {err}")))?;
        if !matches!(script.scheme(), "http" | "https") {
            return Err(ConfigError(
                "captcha.script_url must be http or https".into(),
            ));
        }
        let stripe_api = url::Url::parse(&self.billing.stripe.api_base)
            .map_err(|err| ConfigError(format!("billing.stripe.api_base: {err}")))?;
        if !matches!(stripe_api.scheme(), "http" | "https") {
            return Err(ConfigError(
                "billing.stripe.api_base must be http or https".into(),
            ));
        }
        if self.captcha.verify_url.is_some() != self.captcha.secret.is_some() {
            return Err(ConfigError(
                "captcha needs both verify_url and secret, or neither".into(),
            ));
        }
        Ok(())
    }

    /// What replicas must share, when several serve together.
    fn check_cluster(&self) -> Result<(), ConfigError> {
        if !self.cluster.enabled {
            return Ok(());
        }
        let url = self.database_url();
        if !matches!(
            crate::store::Location::parse(&url),
            crate::store::Location::Postgres(_)
        ) {
            return Err(ConfigError(
                "cluster.enabled needs database.url to be a postgres:// URL every replica shares"
                    .into(),
            ));
        }
        if self.storage.location.backend != StorageBackend::S3 {
            return Err(ConfigError(
                "cluster.enabled needs storage.backend = \"s3\": a local folder is one replica's only"
                    .into(),
            ));
        }
        if self.embedded_agent.enabled {
            return Err(ConfigError(
                "cluster.enabled cannot run the embedded agent: run tseeder-agent beside the replicas"
                    .into(),
            ));
        }
        match &self.storage.url_signing_secret {
            Some(secret) if secret.expose().len() >= 32 => Ok(()),
            _ => Err(ConfigError(
                "cluster.enabled needs storage.url_signing_secret (32 characters or more), the same on every replica"
                    .into(),
            )),
        }
    }

    /// Where the store lives: `database.url`, or the SQLite file in `data_dir`.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.expose().to_owned(),
            None => self.data_dir.join("tseeder.db").display().to_string(),
        }
    }

    pub fn objects_dir(&self) -> PathBuf {
        self.storage
            .location
            .local_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("objects"))
    }

    pub fn agent_work_dir(&self) -> PathBuf {
        self.data_dir.join("agent")
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url_trimmed().starts_with("https://")
    }

    /// Where users reach the service: `public_url`, or else the address it listens on, so
    /// links in mails and downloads follow a changed port.
    pub fn public_url_trimmed(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let host = match self.listen.ip() {
                    ip if ip.is_unspecified() => std::net::IpAddr::from([127, 0, 0, 1]),
                    ip => ip,
                };
                format!("http://{}", SocketAddr::new(host, self.listen.port()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_refuses_what_one_replica_cannot_share() {
        let mut settings = Settings::default();
        settings.cluster.enabled = true;
        let refusal = |s: &Settings| s.validate().expect_err("refused").0;
        assert!(refusal(&settings).contains("postgres://"));
        settings.database.url = Some(Secret::new("postgres://t:pw@127.0.0.1:5432/tseeder"));
        assert!(refusal(&settings).contains("storage.backend"));
        settings.storage.location.backend = StorageBackend::S3;
        settings.storage.location.s3.bucket = "media".into();
        settings.storage.location.s3.endpoint = "http://127.0.0.1:3900".into();
        settings.embedded_agent.enabled = true;
        assert!(refusal(&settings).contains("embedded agent"));
        settings.embedded_agent.enabled = false;
        assert!(refusal(&settings).contains("url_signing_secret"));
        settings.storage.url_signing_secret = Some(Secret::new("short"));
        assert!(refusal(&settings).contains("url_signing_secret"));
        settings.storage.url_signing_secret = Some(Secret::new("k".repeat(32)));
        settings
            .validate()
            .expect("a complete cluster replica starts");
        assert!(
            !format!("{settings:?}").contains(":pw@"),
            "the database password is redacted"
        );
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let mut settings = Settings::default();
        settings.mail.smtp_url = Some(Secret::new("smtp://user:hunter2@mail"));
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("[redacted]"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "tseeder.toml",
                "listen = \"127.0.0.1:9000\"\n[mail]\nfrom = \"ops@example.org\"\n",
            )?;
            jail.set_env("TSEEDER_LISTEN", "127.0.0.1:9100");
            jail.set_env("TSEEDER_RATE_LIMITS__LOGIN_PER_IP__COUNT", "3");
            let settings =
                Settings::load(Some(Path::new("tseeder.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(settings.listen.port(), 9100);
            assert_eq!(settings.mail.from, "ops@example.org");
            assert_eq!(settings.rate_limits.login_per_ip.count, 3);
            assert_eq!(settings.rate_limits.login_per_ip.per_seconds, 300);
            assert_eq!(settings.data_dir, PathBuf::from("data"));
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
    fn storage_settings_have_the_agents_shape() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "tseeder.toml",
                "[storage]\nbackend = \"s3\"\nlink_ttl_seconds = 60\n[storage.s3]\nbucket = \"media\"\n",
            )?;
            jail.set_env("TSEEDER_STORAGE__S3__ENDPOINT", "http://127.0.0.1:3900");
            let settings =
                Settings::load(Some(Path::new("tseeder.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(settings.storage.location.backend, StorageBackend::S3);
            assert_eq!(
                settings.storage.location.s3.endpoint,
                "http://127.0.0.1:3900"
            );
            assert_eq!(settings.storage.location.s3.bucket, "media");
            assert_eq!(settings.storage.link_ttl_seconds, 60);
            jail.set_env("TSEEDER_STORAGE__S3__BUCKET", "");
            let refused = Settings::load(Some(Path::new("tseeder.toml")));
            assert!(refused.is_err_and(|e| e.to_string().contains("storage.s3.bucket")));
            Ok(())
        });
    }

    #[test]
    fn half_configured_captcha_is_refused() {
        let mut settings = Settings::default();
        settings.captcha.verify_url = Some("http://127.0.0.1:1/verify".into());
        assert!(settings.validate().is_err());
    }

    #[test]
    fn links_follow_the_listen_address_unless_a_public_url_is_set() {
        let mut settings = Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 9123)),
            ..Settings::default()
        };
        assert_eq!(settings.public_url_trimmed(), "http://127.0.0.1:9123");
        settings.listen = SocketAddr::from(([0, 0, 0, 0], 9000));
        assert_eq!(settings.public_url_trimmed(), "http://127.0.0.1:9000");
        settings.public_url = Some("https://tseeder.example.org/".into());
        assert_eq!(settings.public_url_trimmed(), "https://tseeder.example.org");
        assert!(settings.secure_cookies());
    }

    #[test]
    fn trusted_proxies_must_be_addresses_or_networks() {
        let mut settings = Settings {
            trusted_proxies: vec!["10.0.0.0/8".into(), "::1".into()],
            ..Settings::default()
        };
        assert!(settings.validate().is_ok());
        settings.trusted_proxies = vec!["my-proxy".into()];
        assert!(settings.validate().is_err());
    }
}
