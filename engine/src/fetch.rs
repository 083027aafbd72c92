//! Downloads a .torrent file a user pointed at, for the cloud and the desktop app alike. The URL
//! is untrusted: only http(s), bounded in size and time, and under the engine's network policy
//! never to loopback, private or link-local addresses (checked on the resolved addresses the
//! connection actually uses, and on every redirect).

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tseeder_protocol::netpolicy::is_public;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the URL must be an http or https address: {0}")]
    InvalidUrl(String),
    #[error("the URL points at a private or local network address")]
    Blocked,
    #[error("the server answered HTTP {0}")]
    Status(u16),
    #[error("the file is larger than {0} bytes")]
    TooLarge(usize),
    #[error("could not download the file: {0}")]
    Network(String),
}

#[derive(Debug, Clone)]
pub struct TorrentFetcher {
    client: reqwest::Client,
    max_bytes: usize,
    allow_private: bool,
}

impl TorrentFetcher {
    /// `allow_private` is the network policy's switch (`TorrentNetwork`), on only for swarms
    /// on a private network and for tests.
    pub fn new(
        timeout: Duration,
        max_bytes: usize,
        allow_private: bool,
    ) -> Result<Self, FetchError> {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("tseeder/", env!("CARGO_PKG_VERSION")))
            .no_proxy()
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= 5 {
                    attempt.error("too many redirects")
                } else if check_url(attempt.url(), allow_private).is_err() {
                    attempt.error(BlockedAddress)
                } else {
                    attempt.follow()
                }
            }));
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnlyResolver));
        }
        let client = builder
            .build()
            .map_err(|err| FetchError::Network(err.to_string()))?;
        Ok(TorrentFetcher {
            client,
            max_bytes,
            allow_private,
        })
    }

    pub async fn fetch(&self, raw_url: &str) -> Result<Vec<u8>, FetchError> {
        let url = url::Url::parse(raw_url.trim())
            .map_err(|_| FetchError::InvalidUrl(raw_url.chars().take(200).collect()))?;
        check_url(&url, self.allow_private)?;
        let mut response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|err| classify(&err))?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|len| len > self.max_bytes as u64)
        {
            return Err(FetchError::TooLarge(self.max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| classify(&err))? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(FetchError::TooLarge(self.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// A client for posting to URLs users gave (webhooks), under the same policy: never to a private
/// or local address unless allowed (checked on the addresses the connection uses), and no
/// redirect followed, since a redirect is the receiver's answer, not a new target.
pub fn guarded_poster(
    timeout: Duration,
    allow_private: bool,
) -> Result<reqwest::Client, FetchError> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("tseeder-webhooks/", env!("CARGO_PKG_VERSION")))
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none());
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnlyResolver));
    }
    builder
        .build()
        .map_err(|err| FetchError::Network(err.to_string()))
}

/// `raw_url` parsed, if the policy lets a request reach it: http(s), no credentials, and no
/// literal private address unless allowed (names are checked when they are resolved).
pub fn checked_url(raw_url: &str, allow_private: bool) -> Result<url::Url, FetchError> {
    let url = url::Url::parse(raw_url.trim())
        .map_err(|_| FetchError::InvalidUrl(raw_url.chars().take(200).collect()))?;
    check_url(&url, allow_private)?;
    Ok(url)
}

/// What went wrong with a request a guarded client made, for people.
pub fn describe(err: &reqwest::Error) -> FetchError {
    classify(err)
}

/// Raised inside reqwest (by the resolver or the redirect policy) when an address is forbidden.
#[derive(Debug)]
struct BlockedAddress;

impl std::fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the address is private or local")
    }
}

impl std::error::Error for BlockedAddress {}

fn classify(err: &reqwest::Error) -> FetchError {
    let mut source = std::error::Error::source(err);
    let mut chain = Vec::new();
    while let Some(inner) = source {
        if inner.is::<BlockedAddress>() {
            return FetchError::Blocked;
        }
        chain.push(inner.to_string());
        source = inner.source();
    }
    if err.is_timeout() {
        return FetchError::Network("timed out".into());
    }
    let what = if err.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    // The URL is left out: the user knows it, and logs should not repeat it.
    FetchError::Network(
        std::iter::once(what.to_owned())
            .chain(chain)
            .collect::<Vec<_>>()
            .join(": "),
    )
}

fn check_url(url: &url::Url, allow_private: bool) -> Result<(), FetchError> {
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(FetchError::InvalidUrl(url.to_string()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::InvalidUrl(
            "addresses with credentials are not accepted".into(),
        ));
    }
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(ip) = literal {
        if !allow_private && !is_public(ip) {
            return Err(FetchError::Blocked);
        }
    }
    Ok(())
}

#[derive(Debug)]
struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(BlockedAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_urls_are_refused_by_default() {
        let fetcher = TorrentFetcher::new(Duration::from_secs(20), 1024, false).expect("client");
        for url in [
            "http://127.0.0.1:9/x.torrent",
            "http://[::1]/x.torrent",
            "http://localhost:9/x.torrent",
            "http://[::ffff:7f00:1]:9/x.torrent",
            "http://[64:ff9b::7f00:1]:9/x.torrent",
            "http://[2002:7f00:1::]:9/x.torrent",
            "http://[::127.0.0.1]:9/x.torrent",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.100.100.200/latest/meta-data/",
        ] {
            assert!(
                matches!(fetcher.fetch(url).await, Err(FetchError::Blocked)),
                "{url} was not blocked"
            );
        }
        assert!(matches!(
            fetcher.fetch("file:///etc/passwd").await,
            Err(FetchError::InvalidUrl(_))
        ));
        assert!(matches!(
            fetcher.fetch("ftp://example.com/a.torrent").await,
            Err(FetchError::InvalidUrl(_))
        ));
    }
}
