//! One librqbit session and the torrents in it. Metadata is always resolved first and every
//! file path is checked by the shared sanitizer before a single byte is written, so nothing a
//! torrent or a magnet's fetched metadata says can put a file outside its job's folder.

use crate::policy::NetworkPolicy;
use crate::socks::{AddressCheck, PolicyProxy};
use crate::thread::{EngineThread, ThreadGone};
use crate::{EngineConfig, MagnetHints};
use bytes::Bytes;
use librqbit::api::TorrentIdOrHash;
use librqbit::{
    AddTorrent, AddTorrentOptions, AddTorrentResponse, ConnectionOptions, ListenerOptions,
    ManagedTorrent, Session, SessionOptions, TorrentStatsState,
};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tseeder_protocol::names;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("could not start the torrent session: {0}")]
    Start(String),
    #[error("this is not a usable magnet link or .torrent: {0}")]
    BadSource(String),
    #[error("the torrent's file names are unsafe: {0}")]
    UnsafeNames(String),
    #[error("no metadata from any peer within {0} s")]
    MetadataTimeout(u64),
    #[error("no way to find peers: the DHT is off and no tracker or peer is allowed")]
    NoPeerSource,
    #[error("file index {0} is not in the torrent")]
    BadSelection(u32),
    #[error("torrent engine: {0}")]
    Torrent(String),
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
}

impl EngineError {
    /// False when trying again cannot help: the torrent itself is bad.
    pub fn is_retryable(&self) -> bool {
        !matches!(
            self,
            EngineError::BadSource(_)
                | EngineError::UnsafeNames(_)
                | EngineError::BadSelection(_)
                | EngineError::NoPeerSource
        )
    }
}

fn torrent_error(err: impl std::fmt::Display) -> EngineError {
    EngineError::Torrent(format!("{err:#}"))
}

impl From<ThreadGone> for EngineError {
    fn from(_: ThreadGone) -> Self {
        EngineError::Torrent("the engine has stopped".into())
    }
}

/// Where a torrent's metadata comes from.
#[derive(Debug, Clone)]
pub enum TorrentSource {
    Magnet(String),
    Torrent(Bytes),
}

/// A file of a resolved torrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TorrentFile {
    /// Index as librqbit and the control plane count files (padding files included).
    pub index: u32,
    /// `/`-separated, starting with the torrent's name for multi-file torrents; every component
    /// passed the sanitizer.
    pub path: String,
    pub size: u64,
    /// Alignment padding (BEP 47): never written, never stored.
    pub padding: bool,
}

/// A torrent whose metadata is known and checked, ready to download.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub info_hash: String,
    pub name: String,
    pub files: Vec<TorrentFile>,
    multi_file: bool,
    torrent_bytes: Bytes,
    peers: Vec<SocketAddr>,
    trackers: Vec<String>,
}

impl Resolved {
    /// The checked metadata as a .torrent file, to keep and resolve again later without asking
    /// peers (a desktop app's downloads survive a restart this way).
    pub fn torrent_bytes(&self) -> Bytes {
        self.torrent_bytes.clone()
    }

    /// The same torrent with its top folder stored under `folder_name`, for a download whose own
    /// folder had to take another name ("Name (2)" beside an existing "Name"). A single-file
    /// torrent has no top folder: its file goes in whatever folder it is downloaded to.
    pub fn stored_as(mut self, folder_name: &str) -> Resolved {
        if !self.multi_file || folder_name == self.name {
            return self;
        }
        let prefix = format!("{}/", self.name);
        for file in &mut self.files {
            if let Some(rest) = file.path.strip_prefix(&prefix) {
                file.path = format!("{folder_name}/{rest}");
            }
        }
        folder_name.clone_into(&mut self.name);
        self
    }

    /// Whether the files sit under a folder named after the torrent.
    pub fn is_multi_file(&self) -> bool {
        self.multi_file
    }

    /// Adds where a magnet said peers are, for a torrent resolved again from saved bytes.
    pub fn with_hints(mut self, magnet: &str) -> Resolved {
        let hints = MagnetHints::parse(magnet);
        self.peers.extend(hints.peers);
        self.peers.sort();
        self.peers.dedup();
        self.trackers.extend(hints.trackers);
        self.trackers.dedup();
        self
    }

    /// Bytes of the real (non-padding) files among `selected` (all when `None`).
    pub fn selected_bytes(&self, selected: Option<&[u32]>) -> u64 {
        self.files
            .iter()
            .filter(|f| !f.padding && selected.is_none_or(|s| s.contains(&f.index)))
            .map(|f| f.size)
            .sum()
    }
}

/// Where a download stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub finished: bool,
    pub paused: bool,
    pub error: Option<String>,
    pub downloaded_bytes: u64,
    pub total_bytes: u64,
    pub uploaded_bytes: u64,
    /// Bytes per second.
    pub download_speed: u64,
    pub upload_speed: u64,
    pub peers: u32,
    pub eta_seconds: Option<u64>,
}

/// How long a download waits for an earlier attempt at the same torrent to leave the session.
const LEAVING_TORRENT_WAIT: Duration = Duration::from_secs(20);

/// The engine: one librqbit session, running on its own thread.
#[derive(Clone)]
pub struct Engine {
    session: Arc<Session>,
    thread: Arc<EngineThread>,
    config: Arc<EngineConfig>,
    policy: NetworkPolicy,
    /// Carries every TCP connection the session makes when private addresses are refused.
    _proxy: Option<Arc<PolicyProxy>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn free_port(ip: std::net::IpAddr) -> Result<u16, EngineError> {
    let listener = std::net::TcpListener::bind((ip, 0))?;
    Ok(listener.local_addr()?.port())
}

impl Engine {
    /// Starts a session; `work_dir` is its default folder (every download names its own).
    pub async fn start(config: EngineConfig, work_dir: &Path) -> Result<Engine, EngineError> {
        Engine::start_checked(config, work_dir, tseeder_protocol::netpolicy::is_public).await
    }

    /// [`Engine::start`] whose proxy lets `allowed` addresses through (tests widen it to reach
    /// loopback through the proxy).
    pub(crate) async fn start_checked(
        config: EngineConfig,
        work_dir: &Path,
        allowed: AddressCheck,
    ) -> Result<Engine, EngineError> {
        tokio::fs::create_dir_all(work_dir).await?;
        let port = match config.listen_port {
            0 => free_port(config.listen_ip)?,
            port => port,
        };
        let listen = ListenerOptions {
            listen_addr: SocketAddr::new(config.listen_ip, port),
            // Trackers must hear the port we really listen on (librqbit otherwise says 4240).
            announce_port: Some(config.announce_port.unwrap_or(port)),
            ipv4_only: config.listen_ip.is_ipv4(),
            ..Default::default()
        };
        let trackers = config
            .trackers
            .iter()
            .filter_map(|t| url::Url::parse(t).ok())
            .collect();
        let policy = NetworkPolicy {
            allow_private: config.allow_private_addresses,
        };
        let (proxy, blocklist) = if policy.allow_private {
            (None, None)
        } else {
            (
                Some(PolicyProxy::start(allowed).await?),
                Some(blocklist_file()?),
            )
        };
        let options = SessionOptions {
            // Incoming connections from refused addresses are turned away too.
            blocklist_url: blocklist
                .as_ref()
                .and_then(|file| url::Url::from_file_path(file.path()).ok())
                .map(String::from),
            connect: proxy.as_ref().map(|proxy| ConnectionOptions {
                proxy_url: Some(proxy.url().to_owned()),
                ..Default::default()
            }),
            dht: if config.dht {
                Some(Default::default())
            } else {
                None
            },
            listen: Some(listen),
            trackers,
            peer_limit: config.peer_limit,
            disable_local_service_discovery: true,
            ipv4_only: config.listen_ip.is_ipv4(),
            ..Default::default()
        };
        let thread = EngineThread::start()?;
        let work_dir = work_dir.to_path_buf();
        let session = thread
            .run(Session::new_with_opts(work_dir, options))
            .await?
            .map_err(|err| EngineError::Start(format!("{err:#}")))?;
        // librqbit has read the blocklist; the file goes with `blocklist`.
        drop(blocklist);
        if config.dht {
            tokio::spawn(report_an_empty_dht(Arc::downgrade(&session)));
        }
        Ok(Engine {
            session,
            thread: Arc::new(thread),
            config: Arc::new(config),
            policy,
            _proxy: proxy.map(Arc::new),
        })
    }

    async fn allowed(&self, hints: MagnetHints) -> MagnetHints {
        MagnetHints {
            trackers: self.policy.trackers(hints.trackers).await,
            peers: self.policy.peers(hints.peers),
        }
    }

    /// Fetches (for a magnet) and checks the metadata without writing anything.
    pub async fn resolve(&self, source: &TorrentSource) -> Result<Resolved, EngineError> {
        // librqbit would use whatever trackers the link or file names: it gets a copy that
        // names only the trackers and peers the network policy let through.
        let (add, hints) = match source {
            TorrentSource::Magnet(link) => {
                let magnet = librqbit::Magnet::parse(link)
                    .map_err(|err| EngineError::BadSource(format!("{err:#}")))?;
                let info_hash = magnet.as_id20().ok_or_else(|| {
                    EngineError::BadSource("the magnet link has no BitTorrent v1 info hash".into())
                })?;
                let hints = self.allowed(MagnetHints::parse(link)).await;
                let mut clean = format!("magnet:?xt=urn:btih:{}", info_hash.as_string());
                for tracker in &hints.trackers {
                    clean.push_str("&tr=");
                    clean.extend(url::form_urlencoded::byte_serialize(tracker.as_bytes()));
                }
                (AddTorrent::from_url(clean), hints)
            }
            TorrentSource::Torrent(bytes) => {
                let announced = announced_trackers(bytes)?;
                let hints = self
                    .allowed(MagnetHints {
                        trackers: announced,
                        peers: Vec::new(),
                    })
                    .await;
                (AddTorrent::from_bytes(with_trackers(bytes, &[])?), hints)
            }
        };
        let options = AddTorrentOptions {
            list_only: true,
            initial_peers: Some(hints.peers.clone()),
            trackers: Some(hints.trackers.clone()),
            ..Default::default()
        };
        let timeout = self.config.metadata_timeout_seconds;
        let session = self.session.clone();
        let response = tokio::time::timeout(
            Duration::from_secs(timeout),
            self.thread
                .run(async move { session.add_torrent(add, Some(options)).await }),
        )
        .await
        .map_err(|_| EngineError::MetadataTimeout(timeout))??
        .map_err(|err| {
            let text = format!("{err:#}");
            // librqbit's own validation refuses traversal and separators; say so plainly.
            if text.contains("no known way to resolve peers") {
                EngineError::NoPeerSource
            } else if text.contains("traversal")
                || text.contains("separator")
                || text.contains("name")
            {
                EngineError::UnsafeNames(text)
            } else if matches!(source, TorrentSource::Torrent(_)) {
                EngineError::BadSource(text)
            } else {
                EngineError::Torrent(text)
            }
        })?;
        let AddTorrentResponse::ListOnly(listed) = response else {
            return Err(EngineError::Torrent(
                "the session already has this torrent".into(),
            ));
        };
        let info = &listed.info;
        let mut files = Vec::new();
        for (index, details) in info.iter_file_details().enumerate() {
            let attrs = details.attrs();
            if attrs.symlink {
                return Err(EngineError::UnsafeNames(
                    "the torrent contains a symbolic link".into(),
                ));
            }
            files.push((
                index,
                details
                    .filename
                    .iter_components_bytes()
                    .map(<[u8]>::to_vec)
                    .collect::<Vec<_>>(),
                details.len,
                attrs.padding,
            ));
        }
        let multi_file = info.info().files.is_some();
        let raw_name = info.info().name.as_ref().map(|n| n.as_ref().to_vec());
        let name = match &raw_name {
            Some(raw) => names::component(raw)
                .map_err(|err| EngineError::UnsafeNames(err.to_string()))?
                .to_owned(),
            None if multi_file => {
                return Err(EngineError::UnsafeNames(
                    "a multi-file torrent without a name".into(),
                ))
            }
            None => "torrent-content".to_owned(),
        };
        let mut checked = Vec::with_capacity(files.len());
        for (index, parts, size, padding) in files {
            let inner = names::relative_path(parts.iter().map(Vec::as_slice))
                .map_err(|err| EngineError::UnsafeNames(err.to_string()))?;
            let path = if multi_file {
                format!("{name}/{inner}")
            } else {
                inner
            };
            checked.push(TorrentFile {
                index: index as u32,
                path,
                size,
                padding,
            });
        }
        names::distinct_paths(
            checked
                .iter()
                .filter(|f| !f.padding)
                .map(|f| f.path.as_str()),
        )
        .map_err(|err| EngineError::UnsafeNames(err.to_string()))?;
        let mut peers = listed.seen_peers.clone();
        peers.extend(hints.peers.iter().copied());
        peers.sort();
        peers.dedup();
        let peers = self.policy.peers(peers);
        let torrent_bytes = with_trackers(&listed.torrent_bytes, &hints.trackers)?;
        Ok(Resolved {
            info_hash: listed.info_hash.as_string(),
            name,
            files: checked,
            multi_file,
            torrent_bytes,
            peers,
            trackers: hints.trackers,
        })
    }

    /// Starts downloading the checked torrent into `folder`.
    pub async fn download(
        &self,
        resolved: &Resolved,
        folder: &Path,
        selected: Option<&[u32]>,
    ) -> Result<Download, EngineError> {
        if let Some(selected) = selected {
            if let Some(bad) = selected
                .iter()
                .find(|i| !resolved.files.iter().any(|f| f.index == **i))
            {
                return Err(EngineError::BadSelection(*bad));
            }
        }
        tokio::fs::create_dir_all(folder).await?;
        // librqbit writes a multi-file torrent's files straight into the output folder; the
        // folder named after the torrent keeps paths equal to the ones the sanitizer checked.
        let output = if resolved.multi_file {
            folder.join(&resolved.name)
        } else {
            folder.to_path_buf()
        };
        // A Resolved may come back from the desktop's saved bytes and a magnet: check again.
        let hints = self
            .allowed(MagnetHints {
                trackers: resolved.trackers.clone(),
                peers: resolved.peers.clone(),
            })
            .await;
        let options = || AddTorrentOptions {
            output_folder: Some(output.to_string_lossy().into_owned()),
            only_files: selected.map(|s| s.iter().map(|i| *i as usize).collect()),
            overwrite: true,
            initial_peers: Some(hints.peers.clone()),
            trackers: Some(hints.trackers.clone()),
            ..Default::default()
        };
        let bytes = with_trackers(&resolved.torrent_bytes, &[])?;
        // An earlier attempt at the same torrent (paused, then resumed at once) may still be
        // leaving the session; its handle writes elsewhere and is about to go, so wait for it.
        let deadline = tokio::time::Instant::now() + LEAVING_TORRENT_WAIT;
        let handle = loop {
            let (session, torrent, options) = (
                self.session.clone(),
                AddTorrent::from_bytes(bytes.clone()),
                options(),
            );
            let response = self
                .thread
                .run(async move { session.add_torrent(torrent, Some(options)).await })
                .await?
                .map_err(torrent_error)?;
            match response {
                AddTorrentResponse::Added(_, handle) => break handle,
                AddTorrentResponse::AlreadyManaged(..)
                    if tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                _ => {
                    return Err(EngineError::Torrent(
                        "this torrent is already downloading here".into(),
                    ))
                }
            }
        };
        Ok(Download {
            session: self.session.clone(),
            thread: self.thread.clone(),
            handle,
            folder: folder.to_path_buf(),
        })
    }

    /// Hands librqbit a torrent exactly as given, skipping the tracker and peer filter, to show
    /// that what it learns on its own still meets the proxy.
    #[cfg(test)]
    pub(crate) async fn add_unfiltered(
        &self,
        add: AddTorrent<'static>,
        options: AddTorrentOptions,
    ) -> Result<(), EngineError> {
        let session = self.session.clone();
        self.thread
            .run(async move { session.add_torrent(add, Some(options)).await })
            .await?
            .map(drop)
            .map_err(torrent_error)
    }

    /// Caps the whole session's transfer rates in bytes per second (`None` or 0: no cap); takes
    /// effect at once for every torrent.
    pub fn set_speed_limits(&self, download_bps: Option<u32>, upload_bps: Option<u32>) {
        let cap = |bps: Option<u32>| bps.and_then(std::num::NonZeroU32::new);
        self.session.ratelimits.set_download_bps(cap(download_bps));
        self.session.ratelimits.set_upload_bps(cap(upload_bps));
    }

    /// Stops every torrent and the listeners.
    pub async fn stop(&self) {
        let session = self.session.clone();
        // An engine thread that is already gone has nothing left to stop.
        let _ = self.thread.run(async move { session.stop().await }).await;
    }
}

/// Says once, a minute after start, when the DHT has found no node at all (offline, or UDP
/// blocked); librqbit's own retries are not logged, so this is the one line about it.
async fn report_an_empty_dht(session: std::sync::Weak<Session>) {
    tokio::time::sleep(Duration::from_secs(60)).await;
    let Some(session) = session.upgrade() else {
        return;
    };
    if let Some(dht) = session.get_dht() {
        let stats = dht.stats();
        if stats.routing_table_size + stats.routing_table_size_v6 == 0 {
            tracing::warn!(
                "the DHT found no nodes in a minute (offline, or UDP blocked?); magnets rely on \
                 their trackers and peer hints until it does"
            );
        }
    }
}

/// The refused ranges as a file librqbit reads at start.
fn blocklist_file() -> Result<tempfile::NamedTempFile, EngineError> {
    use std::io::Write;
    let mut file = tempfile::Builder::new()
        .prefix("tseeder-blocklist-")
        .suffix(".txt")
        .tempfile()?;
    file.write_all(tseeder_protocol::netpolicy::p2p_blocklist().as_bytes())?;
    file.flush()?;
    Ok(file)
}

/// The trackers a .torrent file announces to, as text.
fn announced_trackers(torrent: &[u8]) -> Result<Vec<String>, EngineError> {
    let meta = librqbit::torrent_from_bytes(torrent)
        .map_err(|err| EngineError::BadSource(format!("{err:#}")))?;
    Ok(meta
        .iter_announce()
        .filter_map(|t| std::str::from_utf8(t.as_ref()).ok())
        .map(str::to_owned)
        .collect())
}

/// The .torrent file with only its info dictionary (so its info hash is unchanged) and the
/// given trackers: nothing else the original said reaches librqbit.
fn with_trackers(torrent: &[u8], trackers: &[String]) -> Result<Bytes, EngineError> {
    let meta = librqbit::torrent_from_bytes(torrent)
        .map_err(|err| EngineError::BadSource(format!("{err:#}")))?;
    let info: &[u8] = meta.info.raw_bytes.as_ref();
    let string = |out: &mut Vec<u8>, text: &[u8]| {
        out.extend_from_slice(format!("{}:", text.len()).as_bytes());
        out.extend_from_slice(text);
    };
    let mut out = Vec::with_capacity(info.len() + 64);
    out.push(b'd');
    if let Some(first) = trackers.first() {
        string(&mut out, b"announce");
        string(&mut out, first.as_bytes());
        string(&mut out, b"announce-list");
        out.push(b'l');
        for tracker in trackers {
            out.push(b'l');
            string(&mut out, tracker.as_bytes());
            out.push(b'e');
        }
        out.push(b'e');
    }
    string(&mut out, b"info");
    out.extend_from_slice(info);
    out.push(b'e');
    Ok(Bytes::from(out))
}

/// Where `file` lies under `folder`: its checked `/`-separated path, component by component.
pub(crate) fn path_in(folder: &Path, file: &TorrentFile) -> PathBuf {
    file.path
        .split('/')
        .fold(folder.to_path_buf(), |path, part| path.join(part))
}

/// A running download.
pub struct Download {
    session: Arc<Session>,
    thread: Arc<EngineThread>,
    handle: Arc<ManagedTorrent>,
    folder: PathBuf,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

const MIB: f64 = 1024.0 * 1024.0;

impl Download {
    pub fn progress(&self) -> Progress {
        let stats = self.handle.stats();
        let live = stats.live.as_ref();
        let download_speed = live.map_or(0, |l| (l.download_speed.mbps * MIB) as u64);
        let remaining = stats.total_bytes.saturating_sub(stats.progress_bytes);
        Progress {
            finished: stats.finished,
            paused: matches!(stats.state, TorrentStatsState::Paused),
            error: stats.error.clone(),
            downloaded_bytes: stats.progress_bytes,
            total_bytes: stats.total_bytes,
            uploaded_bytes: stats.uploaded_bytes,
            download_speed,
            upload_speed: live.map_or(0, |l| (l.upload_speed.mbps * MIB) as u64),
            peers: live.map_or(0, |l| l.snapshot.peer_stats.live),
            eta_seconds: (download_speed > 0).then(|| remaining.div_ceil(download_speed)),
        }
    }

    /// Where a file of the torrent lies on disk (its path was checked at resolve time).
    pub fn file_path(&self, file: &TorrentFile) -> PathBuf {
        path_in(&self.folder, file)
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }

    pub async fn pause(&self) -> Result<(), EngineError> {
        let (session, handle) = (self.session.clone(), self.handle.clone());
        self.thread
            .run(async move { session.pause(&handle).await })
            .await?
            .map_err(torrent_error)
    }

    pub async fn resume(&self) -> Result<(), EngineError> {
        let (session, handle) = (self.session.clone(), self.handle.clone());
        self.thread
            .run(async move { session.unpause(&handle).await })
            .await?
            .map_err(torrent_error)
    }

    /// Takes the torrent out of the session; with `delete_data` its folder goes too.
    pub async fn remove(self, delete_data: bool) -> Result<(), EngineError> {
        let (session, id) = (self.session.clone(), self.handle.id());
        self.thread
            .run(async move { session.delete(TorrentIdOrHash::Id(id), false).await })
            .await?
            .map_err(torrent_error)?;
        if delete_data {
            match tokio::fs::remove_dir_all(&self.folder).await {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err.into()),
                _ => {}
            }
        }
        Ok(())
    }
}
