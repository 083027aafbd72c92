//! The control plane's behaviour, independent of HTTP, behind one small facade: `Services` holds
//! the shared parts (settings, database, object store, mailer, live hub, rate limits) and hands
//! out one service per domain (`services.jobs().create(…)`, `services.dispatch().claim(…)`);
//! every handler is a thin adapter over one of their methods.

use crate::accounts::store::UserRow;
use crate::audit::store as audit;
use crate::captcha::CaptchaVerifier;
use crate::config::{Rate, Settings};
use crate::error::{ApiError, ApiResult};
use crate::http::client_address::TrustedProxies;
use crate::jobs::live::LiveHub;
use crate::jobs::store::JobScope;
use crate::mail::Mailer;
pub use crate::orgs::store::WorkingOrg;
use crate::ratelimit::{LimitedAction, RateLimiter};
use crate::store as db;
use crate::store::Store;
use crate::store::{Cursor, Total};
use std::sync::Arc;
use tseeder_engine::fetch::TorrentFetcher;
use tseeder_protocol::{Role, SecurityEventKind, User};
use tseeder_storage::{ObjectStore, StorageError, UrlSigner};

/// Everything a request may need, shared by all handlers.
#[derive(Debug, Clone)]
pub struct Services {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: Settings,
    db: Store,
    mailer: Mailer,
    captcha: Option<CaptchaVerifier>,
    limiter: RateLimiter,
    failure_tally: crate::credentials::failures::FailureTally,
    mail_wakeup: tokio::sync::Notify,
    trusted_proxies: TrustedProxies,
    fetcher: TorrentFetcher,
    /// Posts webhooks under the same network policy as fetches.
    webhook_client: reqwest::Client,
    /// Stripe, when billing is configured.
    stripe: Option<crate::billing::stripe::StripeClient>,
    store: ObjectStore,
    signer: UrlSigner,
    /// Seals webhook secrets at rest, keyed from the same server key as `signer`.
    webhook_secrets: crate::webhooks::sealed::SecretBox,
    live: Arc<LiveHub>,
    /// The runtime settings in force, swapped whole when a new version arrives.
    runtime: std::sync::RwLock<Arc<crate::runtime_settings::Current>>,
    metrics: crate::observability::Metrics,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data folder {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    #[error(transparent)]
    Fetch(#[from] tseeder_engine::fetch::FetchError),
    #[error("object storage: {0}")]
    Storage(#[from] StorageError),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("cannot read or write the link signing key {0}: {1}")]
    SigningKey(String, std::io::Error),
}

/// The local store's link signing key: configured, or generated once and kept in the data
/// folder so links survive a restart.
fn signing_key(settings: &Settings) -> Result<Vec<u8>, StartError> {
    if let Some(secret) = &settings.storage.url_signing_secret {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    let path = settings.data_dir.join("link-signing.key");
    let fail = |err| StartError::SigningKey(path.display().to_string(), err);
    // Only a key that does not exist yet is made: a key that cannot be read (permissions, a
    // disk error) stops the start instead of silently replacing the one links were signed with.
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= 32 => Ok(text.trim().as_bytes().to_vec()),
        Ok(_) => Err(fail(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the key file is shorter than 32 characters; remove it to make a new one",
        ))),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let key = crate::crypto::random_token(32);
            write_private(&path, &key).map_err(fail)?;
            Ok(key.into_bytes())
        }
        Err(err) => Err(fail(err)),
    }
}

/// Makes the database and the mail outbox private to this user, whatever the process umask
/// says. SQLite gives its WAL and shared-memory files the database file's permissions.
fn private_files(dir: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let database = dir.join("tseeder.db");
        if !database.exists() {
            // An empty file is a new SQLite database.
            write_private(&database, "")?;
        }
        std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o600))?;
        let outbox = dir.join("outbox");
        std::fs::create_dir_all(&outbox)?;
        std::fs::set_permissions(&outbox, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

/// Where a request came from, for rate limits, sessions and the audit trail.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    Session { id: String, csrf_token: String },
    ApiKey { id: String },
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserRow,
    pub credential: Credential,
    /// The organization the request works in: the session's choice, or the API key's.
    pub org: WorkingOrg,
}

impl Principal {
    pub fn role(&self) -> Role {
        self.user.role
    }

    /// The jobs this caller may see and act on in the organization they work in.
    pub fn job_scope(&self) -> JobScope {
        JobScope {
            org_id: self.org.id.clone(),
            user_id: (!self.org.role.sees_all_jobs()).then(|| self.user.id.clone()),
        }
    }
}

pub fn user_view(user: &UserRow) -> User {
    User {
        id: user.id.clone(),
        email: user.email.clone(),
        role: user.role,
        plan_id: user.plan_id.clone(),
        email_verified: user.email_verified_at.is_some(),
        suspended: user.suspended_at.is_some(),
        created_at: db::to_datetime(user.created_at),
        display_name: user.display_name.clone(),
        default_device_id: user.default_device_id.clone(),
    }
}

/// The `after` query parameter of a keyset-paged list: empty is the list's start, and a
/// cursor this server did not give is a 400.
pub fn decode_after(after: Option<&str>) -> ApiResult<Option<Cursor>> {
    after
        .filter(|text| !text.is_empty())
        .map(|text| {
            Cursor::parse(text).ok_or_else(|| {
                ApiError::bad_request(
                    tseeder_protocol::ErrorCode::InvalidQuery,
                    "`after` is not a cursor this list gave",
                )
            })
        })
        .transpose()
}

/// Page numbers start at 1; page sizes are bounded.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: u32,
    pub per_page: u32,
}

impl Paging {
    pub const DEFAULT_PER_PAGE: u32 = 25;
    pub const MAX_PER_PAGE: u32 = 100;

    pub fn new(page: Option<u32>, per_page: Option<u32>) -> Paging {
        Paging {
            page: page.unwrap_or(1).max(1),
            per_page: per_page
                .unwrap_or(Self::DEFAULT_PER_PAGE)
                .clamp(1, Self::MAX_PER_PAGE),
        }
    }

    pub fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.per_page)
    }

    /// A page and its total: an exact one as it is, one counted up to
    /// [`crate::store::count_cap`] + 1 as "at least the cap" when it went past.
    pub fn wrap_counted<T>(self, items: Vec<T>, total: Total) -> tseeder_protocol::Page<T> {
        match total {
            Total::Exact(total) => self.wrap(items, total),
            Total::UpTo(counted) => {
                let cap = crate::store::count_cap(self.per_page, self.offset());
                let mut page = self.wrap(items, counted.min(cap));
                page.total_capped = counted > cap;
                page
            }
        }
    }

    /// A keyset page: its total, and a cursor to the next page when this one is full
    /// (there may be more). `position` names a row's place in the list's order.
    pub fn wrap_keyset<R, T>(
        self,
        rows: Vec<R>,
        total: Total,
        position: impl Fn(&R) -> Cursor,
        view: impl Fn(R) -> T,
    ) -> tseeder_protocol::Page<T> {
        let next_cursor = (rows.len() as u32 == self.per_page)
            .then(|| rows.last().map(|row| position(row).encode()))
            .flatten();
        let mut page = self.wrap_counted(rows.into_iter().map(view).collect(), total);
        page.next_cursor = next_cursor;
        page
    }

    pub fn wrap<T>(self, items: Vec<T>, total: u64) -> tseeder_protocol::Page<T> {
        tseeder_protocol::Page {
            items,
            page: self.page,
            per_page: self.per_page,
            total,
            total_capped: false,
            next_cursor: None,
        }
    }
}

impl Services {
    pub fn accounts(&self) -> crate::accounts::service::Accounts<'_> {
        crate::accounts::service::Accounts::new(self)
    }

    pub fn credentials(&self) -> crate::credentials::service::Credentials<'_> {
        crate::credentials::service::Credentials::new(self)
    }

    pub fn jobs(&self) -> crate::jobs::service::Jobs<'_> {
        crate::jobs::service::Jobs::new(self)
    }

    pub fn plans(&self) -> crate::plans::service::Plans<'_> {
        crate::plans::service::Plans::new(self)
    }

    pub fn dispatch(&self) -> crate::dispatch::service::Dispatch<'_> {
        crate::dispatch::service::Dispatch::new(self)
    }

    pub fn agents(&self) -> crate::agents::service::Agents<'_> {
        crate::agents::service::Agents::new(self)
    }

    pub fn files(&self) -> crate::files::service::Files<'_> {
        crate::files::service::Files::new(self)
    }

    pub fn admin(&self) -> crate::admin::service::Admin<'_> {
        crate::admin::service::Admin::new(self)
    }

    pub fn blog(&self) -> crate::blog::service::Blog<'_> {
        crate::blog::service::Blog::new(self)
    }

    pub fn status(&self) -> crate::status::service::Status<'_> {
        crate::status::service::Status::new(self)
    }

    pub fn search(&self) -> crate::search::service::Search<'_> {
        crate::search::service::Search::new(self)
    }

    pub fn webhooks(&self) -> crate::webhooks::service::Webhooks<'_> {
        crate::webhooks::service::Webhooks::new(self)
    }

    pub fn retention(&self) -> crate::retention::service::Retention<'_> {
        crate::retention::service::Retention::new(self)
    }

    pub fn providers(&self) -> crate::providers::service::Providers<'_> {
        crate::providers::service::Providers::new(self)
    }

    pub fn orgs(&self) -> crate::orgs::service::Orgs<'_> {
        crate::orgs::service::Orgs::new(self)
    }

    pub fn billing(&self) -> crate::billing::service::Billing<'_> {
        crate::billing::service::Billing::new(self)
    }

    pub fn observability(&self) -> crate::observability::service::Observability<'_> {
        crate::observability::service::Observability::new(self)
    }

    pub fn metrics(&self) -> &crate::observability::Metrics {
        &self.inner.metrics
    }

    pub fn runtime_settings(&self) -> crate::runtime_settings::service::RuntimeSettings<'_> {
        crate::runtime_settings::service::RuntimeSettings::new(self)
    }

    /// The runtime settings in force: the boot settings with operators' changes laid over.
    pub fn runtime(&self) -> Arc<crate::runtime_settings::Current> {
        self.inner
            .runtime
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_runtime(&self, current: crate::runtime_settings::Current) {
        *self
            .inner
            .runtime
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(current);
    }

    pub fn mail(&self) -> crate::mail::delivery::Mail<'_> {
        crate::mail::delivery::Mail::new(self)
    }

    /// Opens the database (applying migrations) and builds the outbound clients.
    pub fn start(settings: Settings) -> Result<Services, StartError> {
        std::fs::create_dir_all(&settings.data_dir)
            .map_err(|err| StartError::DataDir(settings.data_dir.display().to_string(), err))?;
        // Accounts, tokens and queued mail live here: readable by this service's user only.
        private_files(&settings.data_dir)
            .map_err(|err| StartError::DataDir(settings.data_dir.display().to_string(), err))?;
        let db = crate::store::open(&crate::store::Location::parse(&settings.database_url()))?;
        let mailer = Mailer::from_settings(&settings)?;
        let captcha = CaptchaVerifier::from_settings(&settings.captcha);
        let fetcher = TorrentFetcher::new(
            std::time::Duration::from_secs(settings.torrent_fetch.timeout_seconds),
            settings.limits.max_torrent_bytes,
            settings.torrent_network.allow_private_addresses,
        )?;
        let webhook_client = tseeder_engine::fetch::guarded_poster(
            std::time::Duration::from_secs(settings.webhooks.timeout_seconds.max(1)),
            settings.webhooks.allow_private_addresses,
        )?;
        let stripe = if settings.billing.enabled() {
            crate::billing::stripe::StripeClient::from_settings(&settings.billing.stripe)
                .map_err(|err| StartError::Config(err.to_string()))?
        } else {
            None
        };
        let store = settings.storage.location.open(&settings.objects_dir())?;
        let server_key = signing_key(&settings)?;
        let previous_keys: Vec<Vec<u8>> = settings
            .storage
            .previous_url_signing_secrets
            .iter()
            .map(|key| key.expose().as_bytes().to_vec())
            .collect();
        let webhook_secrets = crate::webhooks::sealed::SecretBox::new(&server_key)
            .with_previous(previous_keys.iter().map(Vec::as_slice));
        let signer = UrlSigner::new(server_key).with_previous(previous_keys);
        let trusted_proxies =
            TrustedProxies::parse(&settings.trusted_proxies).map_err(StartError::Config)?;
        let settings_for_runtime = settings.clone();
        Ok(Services {
            inner: Arc::new(Inner {
                settings,
                db,
                mailer,
                captcha,
                limiter: RateLimiter::default(),
                failure_tally: crate::credentials::failures::FailureTally::default(),
                mail_wakeup: tokio::sync::Notify::new(),
                trusted_proxies,
                fetcher,
                webhook_client,
                stripe,
                store,
                signer,
                webhook_secrets,
                live: Arc::new(LiveHub::default()),
                runtime: std::sync::RwLock::new(Arc::new(crate::runtime_settings::Current {
                    version: 0,
                    overrides: Default::default(),
                    values: crate::runtime_settings::Runtime::from_boot(&settings_for_runtime),
                })),
                metrics: crate::observability::Metrics::default(),
            }),
        })
    }

    pub(crate) fn captcha(&self) -> Option<&CaptchaVerifier> {
        self.inner.captcha.as_ref()
    }

    pub(crate) fn fetcher(&self) -> &TorrentFetcher {
        &self.inner.fetcher
    }

    pub(crate) fn webhook_client(&self) -> &reqwest::Client {
        &self.inner.webhook_client
    }

    pub(crate) fn stripe(&self) -> Option<&crate::billing::stripe::StripeClient> {
        self.inner.stripe.as_ref()
    }

    pub(crate) fn trusted_proxies(&self) -> &TrustedProxies {
        &self.inner.trusted_proxies
    }

    pub(crate) fn mail_wakeup(&self) -> &tokio::sync::Notify {
        &self.inner.mail_wakeup
    }

    pub(crate) fn failure_tally(&self) -> &crate::credentials::failures::FailureTally {
        &self.inner.failure_tally
    }

    /// Periodic upkeep of in-memory counters: ended rate-limit windows are dropped, and grown
    /// security-event counts written.
    pub async fn sweep_counters(&self) {
        self.inner.limiter.sweep();
        if self.settings().cluster.enabled {
            // The longest window an operator sets is far below a day.
            let before = db::now_ms() - 24 * 3600 * 1000;
            if let Err(err) = self
                .db()
                .call(move |conn| crate::ratelimit::store::drop_windows_before(conn, before))
                .await
            {
                tracing::warn!(%err, "ended rate-limit windows could not be dropped");
            }
        }
        self.credentials().flush_failure_tally().await;
    }

    pub fn store(&self) -> &ObjectStore {
        &self.inner.store
    }

    pub(crate) fn signer(&self) -> &UrlSigner {
        &self.inner.signer
    }

    pub(crate) fn webhook_secrets(&self) -> &crate::webhooks::sealed::SecretBox {
        &self.inner.webhook_secrets
    }

    /// Lets live changes cross replicas through the store, when it can carry them.
    pub(crate) fn relay_live_changes(&self) {
        self.inner.live.relay_through(&self.inner.db);
    }

    pub fn live(&self) -> &LiveHub {
        &self.inner.live
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    pub fn db(&self) -> &Store {
        &self.inner.db
    }

    pub(crate) fn mailer(&self) -> &Mailer {
        &self.inner.mailer
    }

    /// Counts a request in the window every replica shares: `Err(seconds)` to wait when over.
    async fn count_in_store(&self, key: String, rate: Rate) -> ApiResult<Result<(), u64>> {
        let window_ms = i64::from(rate.per_seconds.max(1)) * 1000;
        let now = db::now_ms();
        let (started_at, count) = self
            .db()
            .call(move |conn| crate::ratelimit::store::count_request(conn, &key, now, window_ms))
            .await?;
        if count <= i64::from(rate.count) {
            return Ok(Ok(()));
        }
        let left_ms = (started_at + window_ms - now).max(0);
        Ok(Err((left_ms as u64).div_ceil(1000).max(1)))
    }

    /// Counts a request against `rate` under `key`; over the limit, records a security event
    /// and answers 429 with the wait.
    pub(crate) async fn rate_limit(
        &self,
        action: LimitedAction,
        subject: &str,
        rate: Rate,
        meta: &RequestMeta,
    ) -> ApiResult<()> {
        let key = format!("{}:{subject}", action.as_str());
        let counted = if self.settings().cluster.enabled {
            self.count_in_store(crate::ratelimit::bounded(&key).into_owned(), rate)
                .await?
        } else {
            self.inner.limiter.check(&key, rate)
        };
        if let Err(retry_after_seconds) = counted {
            self.security_event(
                SecurityEventKind::RateLimited,
                None,
                None,
                meta,
                serde_json::json!({ "action": action.as_str(), "subject": subject }),
            )
            .await;
            return Err(ApiError::RateLimited {
                retry_after_seconds,
            });
        }
        Ok(())
    }

    /// Records a security event and returns its row id; a failure to record is logged, never
    /// shown to the caller (`None`).
    pub(crate) async fn security_event(
        &self,
        kind: SecurityEventKind,
        user_id: Option<String>,
        email: Option<String>,
        meta: &RequestMeta,
        detail: serde_json::Value,
    ) -> Option<i64> {
        let ip = meta.ip.clone();
        let now = db::now_ms();
        let result = self
            .db()
            .call(move |conn| {
                audit::insert_security_event(
                    conn,
                    &audit::NewSecurityEvent {
                        kind,
                        user_id: user_id.as_deref(),
                        email: email.as_deref(),
                        ip: ip.as_deref(),
                        detail: &detail,
                        now,
                    },
                )
            })
            .await;
        result
            .inspect_err(|err| tracing::error!(%err, %kind, "could not record security event"))
            .ok()
    }
}
