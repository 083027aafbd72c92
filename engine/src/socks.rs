//! The engine's one door to the network for everything it dials over TCP. librqbit sends peer
//! connections (whether the peer came from a magnet, a tracker, the DHT or PEX, and during the
//! metadata fetch too) and its HTTP tracker requests (redirects included) through a SOCKS5
//! proxy when one is configured; this is that proxy, in-process on loopback. It resolves names
//! itself and connects only to addresses the network policy allows, so neither a crafted peer
//! list nor a tracker whose name resolves (or is later re-pointed, or redirects) to a private
//! address can make the engine reach one.

use rand::distr::{Alphanumeric, SampleString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Copy buffers per direction: large enough that a fast peer is not held back by the hop.
const BUFFER_BYTES: usize = 256 * 1024;

/// A running policy proxy; stops when dropped.
#[derive(Debug)]
pub(crate) struct PolicyProxy {
    url: String,
    task: JoinHandle<()>,
}

impl Drop for PolicyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PolicyProxy {
    /// Listens on a free loopback port. A random user name and password keep other local
    /// programs from using it as an open proxy.
    pub(crate) async fn start(allowed: AddressCheck) -> std::io::Result<PolicyProxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = listener.local_addr()?.port();
        let mut rng = rand::rng();
        let user = Alphanumeric.sample_string(&mut rng, 16);
        let password = Alphanumeric.sample_string(&mut rng, 32);
        let url = format!("socks5h://{user}:{password}@127.0.0.1:{port}");
        let credentials = (user.into_bytes(), password.into_bytes());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let credentials = credentials.clone();
                tokio::spawn(async move {
                    if let Err(err) = serve(client, &credentials, allowed).await {
                        tracing::debug!("network policy refused or lost a connection: {err}");
                    }
                });
            }
        });
        Ok(PolicyProxy { url, task })
    }

    /// `socks5h://user:password@127.0.0.1:port`, for librqbit's connection options.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

#[derive(Debug, thiserror::Error)]
enum ProxyError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("not a SOCKS5 client")]
    Protocol,
    #[error("wrong proxy credentials")]
    Credentials,
    #[error("{0} is not a public address")]
    Refused(String),
    #[error("handshake timed out")]
    Timeout,
}

/// SOCKS5 reply codes (RFC 1928 §6).
const REPLY_OK: u8 = 0;
const REPLY_NOT_ALLOWED: u8 = 2;
const REPLY_HOST_UNREACHABLE: u8 = 4;
const REPLY_COMMAND_NOT_SUPPORTED: u8 = 7;

/// Decides which addresses may be dialled: `netpolicy::is_public` outside tests.
pub(crate) type AddressCheck = fn(IpAddr) -> bool;

async fn serve(
    mut client: TcpStream,
    credentials: &(Vec<u8>, Vec<u8>),
    allowed: AddressCheck,
) -> Result<(), ProxyError> {
    let target = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(&mut client, credentials))
        .await
        .map_err(|_| ProxyError::Timeout)??;
    let addresses = match &target {
        Target::Ip(addr) => vec![*addr],
        Target::Name(host, port) => tokio::net::lookup_host((host.as_str(), *port))
            .await
            .map(Iterator::collect)
            .unwrap_or_default(),
    };
    let Some(target_address) = addresses.iter().find(|a| allowed(a.ip())) else {
        reply(&mut client, REPLY_NOT_ALLOWED).await?;
        return Err(ProxyError::Refused(describe(&target)));
    };
    let upstream =
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(target_address)).await {
            Ok(Ok(stream)) => stream,
            _ => {
                reply(&mut client, REPLY_HOST_UNREACHABLE).await?;
                return Ok(());
            }
        };
    let _ = upstream.set_nodelay(true);
    reply(&mut client, REPLY_OK).await?;
    let mut upstream = upstream;
    tokio::io::copy_bidirectional_with_sizes(
        &mut client,
        &mut upstream,
        BUFFER_BYTES,
        BUFFER_BYTES,
    )
    .await?;
    Ok(())
}

enum Target {
    Ip(SocketAddr),
    Name(String, u16),
}

fn describe(target: &Target) -> String {
    match target {
        Target::Ip(addr) => addr.to_string(),
        Target::Name(host, port) => format!("{host}:{port}"),
    }
}

/// Greeting with user/password authentication (RFC 1929), then one CONNECT request.
async fn handshake(
    client: &mut TcpStream,
    (user, password): &(Vec<u8>, Vec<u8>),
) -> Result<Target, ProxyError> {
    let mut head = [0u8; 2];
    client.read_exact(&mut head).await?;
    if head[0] != 5 {
        return Err(ProxyError::Protocol);
    }
    let mut methods = vec![0u8; usize::from(head[1])];
    client.read_exact(&mut methods).await?;
    if !methods.contains(&2) {
        client.write_all(&[5, 0xff]).await?;
        return Err(ProxyError::Credentials);
    }
    client.write_all(&[5, 2]).await?;

    let version = client.read_u8().await?;
    let given_user = read_short_string(client).await?;
    let given_password = read_short_string(client).await?;
    if version != 1 || &given_user != user || &given_password != password {
        client.write_all(&[1, 1]).await?;
        return Err(ProxyError::Credentials);
    }
    client.write_all(&[1, 0]).await?;

    let mut request = [0u8; 4];
    client.read_exact(&mut request).await?;
    if request[0] != 5 {
        return Err(ProxyError::Protocol);
    }
    let target = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await?;
            Target::Ip(SocketAddr::new(
                IpAddr::V4(Ipv4Addr::from(ip)),
                client.read_u16().await?,
            ))
        }
        4 => {
            let mut ip = [0u8; 16];
            client.read_exact(&mut ip).await?;
            Target::Ip(SocketAddr::new(
                IpAddr::V6(Ipv6Addr::from(ip)),
                client.read_u16().await?,
            ))
        }
        3 => {
            let name = read_short_string(client).await?;
            let name = String::from_utf8(name).map_err(|_| ProxyError::Protocol)?;
            Target::Name(name, client.read_u16().await?)
        }
        _ => return Err(ProxyError::Protocol),
    };
    if request[1] != 1 {
        reply(client, REPLY_COMMAND_NOT_SUPPORTED).await?;
        return Err(ProxyError::Protocol);
    }
    Ok(target)
}

async fn read_short_string(client: &mut TcpStream) -> Result<Vec<u8>, ProxyError> {
    let len = client.read_u8().await?;
    let mut bytes = vec![0u8; usize::from(len)];
    client.read_exact(&mut bytes).await?;
    Ok(bytes)
}

async fn reply(client: &mut TcpStream, code: u8) -> std::io::Result<()> {
    client.write_all(&[5, code, 0, 1, 0, 0, 0, 0, 0, 0]).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, EngineConfig};
    use librqbit::{AddTorrent, AddTorrentOptions};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A loopback port that counts who connects to it and answers nothing.
    async fn counting_listener() -> (SocketAddr, Arc<AtomicUsize>) {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    drop(stream);
                });
            }
        });
        (address, count)
    }

    fn loopback_engine_config() -> EngineConfig {
        EngineConfig {
            listen_ip: Ipv4Addr::LOCALHOST.into(),
            dht: false,
            ..EngineConfig::default()
        }
    }

    /// Adds a magnet naming `tracker` with `peer` as an initial peer, straight to librqbit, and
    /// gives the session a few seconds to dial them.
    async fn dial_through(allowed: AddressCheck) -> (usize, usize) {
        let (tracker, tracker_hits) = counting_listener().await;
        let (peer, peer_hits) = counting_listener().await;
        let work = tempfile::tempdir().expect("tempdir");
        let engine = Engine::start_checked(loopback_engine_config(), work.path(), allowed)
            .await
            .expect("engine");
        let magnet = format!(
            "magnet:?xt=urn:btih:{}&tr=http%3A%2F%2F{tracker}%2Fannounce",
            "ab".repeat(20)
        );
        let options = AddTorrentOptions {
            list_only: true,
            initial_peers: Some(vec![peer]),
            ..Default::default()
        };
        let add = engine.add_unfiltered(AddTorrent::from_url(magnet), options);
        let _ = tokio::time::timeout(Duration::from_secs(6), add).await;
        engine.stop().await;
        (
            tracker_hits.load(Ordering::SeqCst),
            peer_hits.load(Ordering::SeqCst),
        )
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn trackers_and_peers_librqbit_finds_itself_never_reach_private_addresses() {
        let (tracker_hits, peer_hits) = dial_through(tseeder_protocol::netpolicy::is_public).await;
        assert_eq!((tracker_hits, peer_hits), (0, 0));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_proxy_carries_http_trackers_and_peers_when_their_address_is_allowed() {
        // The same dial with loopback allowed: both arrive, so the refusal above is the policy's
        // doing and the HTTP tracker client really goes through the proxy.
        let (tracker_hits, peer_hits) = dial_through(|_| true).await;
        assert!(tracker_hits > 0, "the tracker was never asked");
        assert!(peer_hits > 0, "the peer was never dialled");
    }

    async fn socks_request(proxy: &PolicyProxy, user: &str, target: &[u8]) -> Vec<u8> {
        let url = url::Url::parse(proxy.url()).expect("url");
        let port = url.port().expect("port");
        let password = url.password().expect("password");
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .expect("connect");
        stream.write_all(&[5, 1, 2]).await.expect("greeting");
        let mut answer = [0u8; 2];
        stream.read_exact(&mut answer).await.expect("method");
        assert_eq!(answer, [5, 2]);
        let mut auth = vec![1, user.len() as u8];
        auth.extend_from_slice(user.as_bytes());
        auth.push(password.len() as u8);
        auth.extend_from_slice(password.as_bytes());
        stream.write_all(&auth).await.expect("auth");
        stream.read_exact(&mut answer).await.expect("auth answer");
        if answer != [1, 0] {
            return answer.to_vec();
        }
        let mut request = vec![5, 1, 0];
        request.extend_from_slice(target);
        stream.write_all(&request).await.expect("request");
        let mut reply = [0u8; 10];
        stream.read_exact(&mut reply).await.expect("reply");
        reply.to_vec()
    }

    #[tokio::test]
    async fn loopback_by_address_or_by_name_and_wrong_credentials_are_refused() {
        let proxy = PolicyProxy::start(tseeder_protocol::netpolicy::is_public)
            .await
            .expect("proxy");
        let user = url::Url::parse(proxy.url())
            .expect("url")
            .username()
            .to_owned();
        let by_address = socks_request(&proxy, &user, &[1, 127, 0, 0, 1, 0, 80]).await;
        assert_eq!(by_address[1], REPLY_NOT_ALLOWED);
        let mut by_name = vec![3, 9];
        by_name.extend_from_slice(b"localhost");
        by_name.extend_from_slice(&80u16.to_be_bytes());
        assert_eq!(
            socks_request(&proxy, &user, &by_name).await[1],
            REPLY_NOT_ALLOWED
        );
        let mut mapped = vec![4];
        mapped.extend_from_slice(&"::ffff:10.0.0.1".parse::<Ipv6Addr>().expect("v6").octets());
        mapped.extend_from_slice(&80u16.to_be_bytes());
        assert_eq!(
            socks_request(&proxy, &user, &mapped).await[1],
            REPLY_NOT_ALLOWED
        );
        assert_eq!(
            socks_request(&proxy, "someone-else", &[1, 1, 1, 1, 1, 0, 80]).await,
            vec![1, 1]
        );
    }
}
