//! What a public deployment must set, checked before it serves strangers: `tseeder-cloud
//! check-config` prints every finding, and a server with `production = true` refuses to start
//! while one is an error. The embedded defaults (outbox mail, no captcha, http on loopback) are
//! right for a laptop and wrong on the internet; this names each one with the fix.

use super::{Settings, StorageBackend};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; never stops a start.
    Advice,
    /// Unsafe or missing for a public deployment: `production = true` refuses to start.
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// The setting concerned, as written in the TOML file (`mail.smtp_url`).
    pub setting: &'static str,
    pub problem: String,
    pub fix: &'static str,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error ",
            Severity::Advice => "advice",
        };
        write!(
            f,
            "{label} {}: {}\n       fix: {}",
            self.setting, self.problem, self.fix
        )
    }
}

/// A secret shorter than this is guessable offline (links are HMACs of it).
const MIN_SECRET_LEN: usize = 32;

/// The optimisation level this binary's own code was built with (Cargo's `opt-level`).
const BUILD_OPT_LEVEL: &str = env!("BUILD_OPT_LEVEL");

/// Every finding for these settings and this binary, errors first.
pub fn check(settings: &Settings) -> Vec<Finding> {
    check_build(settings, BUILD_OPT_LEVEL)
}

/// [`check`], for a binary built at `opt_level`.
fn check_build(settings: &Settings, opt_level: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut error = |setting, problem: String, fix| {
        findings.push(Finding {
            severity: Severity::Error,
            setting,
            problem,
            fix,
        })
    };

    match &settings.public_url {
        None => error(
            "public_url",
            "not set: links in mails and downloads point at the listen address".into(),
            "set public_url to the https:// address users reach the service at",
        ),
        Some(url) if !url.starts_with("https://") => error(
            "public_url",
            format!("{url} is not https: sessions and passwords would cross the network in clear"),
            "serve through a TLS reverse proxy and set public_url to its https:// address",
        ),
        Some(_) => {}
    }
    if settings.public_url.is_some() && settings.trusted_proxies.is_empty() {
        error(
            "trusted_proxies",
            "empty: behind the TLS proxy every user would seem to come from the proxy, so rate limits and the audit log would see one address".into(),
            "list the reverse proxy's address or network, e.g. trusted_proxies = [\"127.0.0.1\"]",
        );
    }
    if settings.mail.smtp_url.is_none() {
        error(
            "mail.smtp_url",
            "not set: verification and password-reset mails are only written to the outbox folder"
                .into(),
            "set mail.smtp_url = \"smtps://user:password@smtp.example.org:465\"",
        );
    }
    if settings.mail.from.contains(".local>") || settings.mail.from.ends_with(".local") {
        error(
            "mail.from",
            format!(
                "{} is the built-in sender; mail from it is rejected as spam",
                settings.mail.from
            ),
            "set mail.from to an address of your domain, e.g. \"tseeder <no-reply@example.org>\"",
        );
    }
    if settings.captcha.verify_url.is_none() {
        error(
            "captcha.verify_url",
            "not set: anyone can script sign-ups".into(),
            "set captcha.verify_url, captcha.secret and captcha.site_key (Cloudflare Turnstile or a compatible service)",
        );
    }
    if let Some(secret) = &settings.captcha.secret {
        if secret.expose().len() < 16 {
            error(
                "captcha.secret",
                "shorter than 16 characters: not a real provider secret".into(),
                "paste the secret key from the captcha provider's dashboard",
            );
        }
    }
    if settings.torrent_network.allow_private_addresses {
        error(
            "torrent_network.allow_private_addresses",
            "true: a torrent's trackers, peers and URLs could reach this machine's own network"
                .into(),
            "remove it (it is for test swarms and LANs)",
        );
    }
    if settings.webhooks.allow_private_addresses {
        error(
            "webhooks.allow_private_addresses",
            "true: a user's webhook could make this server call its own network".into(),
            "remove it (it is for receivers on this machine or LAN, and tests)",
        );
    }
    match &settings.storage.url_signing_secret {
        Some(secret) if secret.expose().len() < MIN_SECRET_LEN => error(
            "storage.url_signing_secret",
            format!("shorter than {MIN_SECRET_LEN} characters: download links could be forged"),
            "set it to a random value: openssl rand -hex 32",
        ),
        _ => {}
    }
    if settings
        .storage
        .previous_url_signing_secrets
        .iter()
        .any(|secret| secret.expose().len() < MIN_SECRET_LEN)
    {
        error(
            "storage.previous_url_signing_secrets",
            format!(
                "a key shorter than {MIN_SECRET_LEN} characters: links it signs could be forged"
            ),
            "remove it, or give the whole key it stands for",
        );
    }
    if settings.storage.location.backend == StorageBackend::S3
        && settings.storage.location.s3.secret_access_key.is_empty()
    {
        error(
            "storage.s3.secret_access_key",
            "empty: the bucket would be written without credentials".into(),
            "set storage.s3.access_key_id and storage.s3.secret_access_key",
        );
    }
    if let Some(url) = &settings.database.url {
        if let Ok(parsed) = url::Url::parse(url.expose()) {
            let local = matches!(
                parsed.host_str(),
                Some("localhost" | "127.0.0.1" | "::1") | None
            );
            if parsed.scheme().starts_with("postgres") && parsed.password().is_none() && !local {
                error(
                    "database.url",
                    "PostgreSQL on another machine without a password".into(),
                    "give the database role a password and put it in database.url",
                );
            }
        }
    }

    let stripe = &settings.billing.stripe;
    if stripe.secret_key.is_some() != stripe.webhook_secret.is_some() {
        error(
            "billing.stripe.webhook_secret",
            "billing is half set up: the secret key and the webhook secret go together, and without the webhook secret no payment would ever change a plan".into(),
            "set both billing.stripe.secret_key (sk_live_…) and billing.stripe.webhook_secret (whsec_… of the endpoint /api/v1/billing/webhook), or neither",
        );
    }
    if let Some(key) = &stripe.secret_key {
        if key.expose().starts_with("sk_test_") {
            error(
                "billing.stripe.secret_key",
                "a test-mode key: customers would be sent to a checkout that takes no money".into(),
                "use the live secret key (sk_live_…) or a restricted live key (rk_live_…)",
            );
        }
    }
    if settings.billing.enabled() && !stripe.api_base.starts_with("https://") {
        error(
            "billing.stripe.api_base",
            format!(
                "{} is not https: the secret key would cross the network in clear",
                stripe.api_base
            ),
            "remove it to call Stripe at https://api.stripe.com",
        );
    }

    let mut advice = |setting, problem: String, fix| {
        findings.push(Finding {
            severity: Severity::Advice,
            setting,
            problem,
            fix,
        })
    };
    if settings.storage.location.backend == StorageBackend::Local {
        advice(
            "storage.backend",
            "local folder: files live on this machine only, so a second replica could not serve them".into(),
            "for several replicas (cluster.enabled) use storage.backend = \"s3\"",
        );
    }
    if settings.storage.sweep_interval_seconds == 0 {
        advice(
            "storage.sweep_interval_seconds",
            "0: abandoned uploads and the files of deleted jobs are never removed from storage"
                .into(),
            "remove it to sweep hourly",
        );
    }
    if settings.data_dir.is_relative() {
        advice(
            "data_dir",
            format!(
                "{} is relative: the data moves with the working directory",
                settings.data_dir.display()
            ),
            "set an absolute folder, e.g. data_dir = \"/var/lib/tseeder\"",
        );
    }
    if !matches!(opt_level, "2" | "3") {
        advice(
            "build",
            format!(
                "this tseeder-cloud was built at opt-level {opt_level}, as development builds and the quick build scripts/run makes are: it serves about a third of a release build's load"
            ),
            "install the .deb, or build with `cargo build --release --locked -p tseeder-cloud`",
        );
    }
    match crate::store::Location::parse(&settings.database_url()) {
        crate::store::Location::SqliteFile(path) => advice(
            "backups",
            format!("the store is the SQLite file {}; nothing backs it up on its own", path.display()),
            "schedule `tseeder-cloud admin backup /backups/tseeder-$(date +%F).db` daily and copy the files elsewhere",
        ),
        crate::store::Location::Postgres(_) => advice(
            "backups",
            "the store is PostgreSQL; nothing backs it up on its own".into(),
            "schedule pg_dump --format=custom (or continuous archiving) and test a restore",
        ),
    }
    findings.sort_by_key(|finding| std::cmp::Reverse(finding.severity));
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn errors(settings: &Settings) -> Vec<&'static str> {
        check(settings)
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.setting)
            .collect()
    }

    fn public() -> Settings {
        let mut settings = Settings {
            public_url: Some("https://tseeder.example.org".into()),
            trusted_proxies: vec!["127.0.0.1".into()],
            data_dir: "/var/lib/tseeder".into(),
            ..Settings::default()
        };
        settings.mail.smtp_url = Some(Secret::new("smtps://u:p@smtp.example.org:465"));
        settings.mail.from = "tseeder <no-reply@example.org>".into();
        settings.captcha.verify_url = Some("https://captcha.example.org/siteverify".into());
        settings.captcha.secret = Some(Secret::new("0x4AAAAAAAB-provider-secret"));
        settings.captcha.site_key = Some("site".into());
        settings
    }

    #[test]
    fn the_embedded_defaults_are_not_a_public_deployment() {
        assert_eq!(
            errors(&Settings::default()),
            vec![
                "public_url",
                "mail.smtp_url",
                "mail.from",
                "captcha.verify_url"
            ]
        );
    }

    #[test]
    fn a_complete_public_deployment_has_only_advice() {
        assert_eq!(errors(&public()), Vec::<&str>::new());
        let advice: Vec<_> = check(&public()).into_iter().map(|f| f.setting).collect();
        assert!(advice.contains(&"backups") && advice.contains(&"storage.backend"));
    }

    #[test]
    fn a_quick_build_is_named_but_does_not_stop_a_start() {
        let settings = public();
        let quick = check_build(&settings, "0");
        let build = quick.iter().find(|f| f.setting == "build").expect("named");
        assert_eq!(build.severity, Severity::Advice);
        assert!(build.fix.contains("--release"), "{build}");
        assert!(check_build(&settings, "1")
            .iter()
            .any(|f| f.setting == "build"));
        for release in ["2", "3"] {
            assert!(!check_build(&settings, release)
                .iter()
                .any(|f| f.setting == "build"));
        }
    }

    #[test]
    fn unsafe_values_are_named() {
        let mut settings = public();
        settings.public_url = Some("http://tseeder.example.org".into());
        settings.trusted_proxies.clear();
        settings.torrent_network.allow_private_addresses = true;
        settings.webhooks.allow_private_addresses = true;
        settings.storage.url_signing_secret = Some(Secret::new("short"));
        settings.storage.previous_url_signing_secrets = vec![Secret::new("short")];
        settings.database.url = Some(Secret::new("postgres://tseeder@db.example.org/tseeder"));
        settings.storage.location.backend = StorageBackend::S3;
        assert_eq!(
            errors(&settings),
            vec![
                "public_url",
                "trusted_proxies",
                "torrent_network.allow_private_addresses",
                "webhooks.allow_private_addresses",
                "storage.url_signing_secret",
                "storage.previous_url_signing_secrets",
                "storage.s3.secret_access_key",
                "database.url",
            ]
        );
    }

    #[test]
    fn billing_must_be_whole_and_live() {
        let mut settings = public();
        settings.billing.stripe.secret_key = Some(Secret::new("sk_test_51abc"));
        settings.billing.stripe.api_base = "http://stripe.example.org".into();
        assert_eq!(
            errors(&settings),
            vec!["billing.stripe.webhook_secret", "billing.stripe.secret_key"]
        );
        settings.billing.stripe.webhook_secret = Some(Secret::new("whsec_abc"));
        assert_eq!(
            errors(&settings),
            vec!["billing.stripe.secret_key", "billing.stripe.api_base"]
        );
        settings.billing.stripe.secret_key = Some(Secret::new("sk_live_51abc"));
        settings.billing.stripe.api_base = "https://api.stripe.com".into();
        assert_eq!(errors(&settings), Vec::<&str>::new());
    }
}
