//! The Add flow: a link is checked, its metadata fetched (name, size, files, through the engine's
//! network policy) while the dialog shows, and the torrent goes to the cloud or to this computer
//! with the files the user chose once the user confirms; at once only when the user's own
//! "add without asking" setting says so, never because a link asked.

use super::{
    lock, AddState, Desktop, DesktopError, DesktopEvent, DesktopResult, PendingAdd, PendingFile,
};
use crate::destination::{decide, Decision, Destination, Preferences, Remembered};
use crate::link::{self, IncomingSource, MAX_TORRENT_FILE_BYTES};
use crate::settings::DesktopSettings;
use serde::Deserialize;
use tseeder_engine::{Resolved, TorrentSource};
use tseeder_protocol::CreateJob;

/// Where an add's torrent comes from, and its metadata once fetched.
#[derive(Debug, Clone)]
pub(super) struct PendingSource {
    origin: Origin,
    resolved: Option<Resolved>,
    /// The metadata fetch (and, with "add without asking", the add) running for the dialog.
    work: Option<tokio::task::AbortHandle>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    Magnet(String),
    TorrentUrl(String),
    Torrent(Vec<u8>),
}

/// The user's answer in the Add dialog.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddChoice {
    pub destination: Destination,
    /// Indexes of the chosen files; `None` for all.
    pub selected_files: Option<Vec<u32>>,
    /// Remember the destination as "always …".
    #[serde(default)]
    pub remember: bool,
}

impl Desktop {
    /// A link or file from the operating system, a second launch, or the paste box.
    pub async fn receive_link(&self, raw: &str) -> DesktopResult<PendingAdd> {
        let incoming = link::parse(raw)?;
        let settings = self.settings();
        let decision = decide(
            incoming.destination,
            Preferences {
                remembered: settings.default_destination,
                add_without_asking: settings.add_without_asking,
                signed_in: self.signed_in(),
            },
        );
        let (origin, label) = match incoming.source {
            IncomingSource::Magnet(magnet) => {
                let label = tseeder_protocol::magnet::parse(&magnet, link::MAX_LINK_CHARS)
                    .ok()
                    .and_then(|m| m.display_name)
                    .unwrap_or_else(|| "Magnet link".into());
                (Origin::Magnet(magnet), label)
            }
            IncomingSource::TorrentUrl(url) => (Origin::TorrentUrl(url.clone()), url),
            IncomingSource::TorrentFile(path) => {
                let meta = tokio::fs::metadata(&path).await.map_err(|_| {
                    DesktopError::Invalid(format!("{} cannot be read.", path.display()))
                })?;
                if !meta.is_file() || meta.len() > MAX_TORRENT_FILE_BYTES {
                    return Err(DesktopError::Invalid(
                        "A .torrent file must be a file of at most 8 MiB.".into(),
                    ));
                }
                let bytes = tokio::fs::read(&path).await?;
                let label = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (Origin::Torrent(bytes), label)
            }
        };
        // The same link often arrives twice (a second launch is seen both as a deep link and as
        // arguments; people double-click): one dialog per torrent.
        let mut sources = lock(&self.inner.pending_sources);
        let waiting = sources
            .iter()
            .find(|(_, source)| source.origin == origin)
            .and_then(|(id, _)| lock(&self.inner.pending).get(id).cloned());
        if let Some(waiting) = waiting {
            drop(sources);
            self.emit(DesktopEvent::Pending {
                add: waiting.clone(),
            });
            return Ok(waiting);
        }
        let pending = PendingAdd {
            id: uuid::Uuid::now_v7().to_string(),
            label,
            state: AddState::Resolving,
            name: None,
            total_bytes: None,
            files: Vec::new(),
            decision: decision.clone(),
            error: None,
        };
        lock(&self.inner.pending).insert(pending.id.clone(), pending.clone());
        sources.insert(
            pending.id.clone(),
            PendingSource {
                origin,
                resolved: None,
                work: None,
            },
        );
        let desktop = self.clone();
        let id = pending.id.clone();
        let work = tokio::spawn(async move { desktop.prepare(&id, decision).await });
        if let Some(source) = sources.get_mut(&pending.id) {
            source.work = Some(work.abort_handle());
        }
        drop(sources);
        self.emit(DesktopEvent::Pending {
            add: pending.clone(),
        });
        Ok(pending)
    }

    async fn prepare(&self, id: &str, decision: Decision) {
        let settled = match decision {
            Decision::Submit { destination } => Some(destination),
            Decision::Ask { .. } => None,
        };
        // The cloud fetches the metadata itself; only this computer needs it first.
        if settled != Some(Destination::Cloud) {
            if let Err(err) = self.resolve_pending(id).await {
                return self.fail_pending(id, err.to_string());
            }
        }
        if let Some(destination) = settled {
            let everything = AddChoice {
                destination,
                selected_files: None,
                remember: false,
            };
            if let Err(err) = self.confirm_add(id, everything).await {
                self.fail_pending(id, err.to_string());
            }
        }
    }

    async fn resolve_pending(&self, id: &str) -> DesktopResult<()> {
        let origin = lock(&self.inner.pending_sources)
            .get(id)
            .map(|s| s.origin.clone())
            .ok_or_else(|| DesktopError::NotFound("that add".into()))?;
        let source = match &origin {
            Origin::Magnet(magnet) => TorrentSource::Magnet(magnet.clone()),
            Origin::Torrent(bytes) => TorrentSource::Torrent(bytes.clone().into()),
            Origin::TorrentUrl(url) => {
                let bytes = self.inner.fetcher.fetch(url).await.map_err(|err| {
                    DesktopError::Invalid(format!("{url} cannot be used: {err}."))
                })?;
                TorrentSource::Torrent(bytes.into())
            }
        };
        let resolved = self.inner.engine.resolve(&source).await?;
        let files: Vec<PendingFile> = resolved
            .files
            .iter()
            .filter(|f| !f.padding)
            .map(|f| PendingFile {
                index: f.index,
                path: f.path.clone(),
                size: f.size,
            })
            .collect();
        let updated = {
            let mut pending = lock(&self.inner.pending);
            let Some(add) = pending.get_mut(id) else {
                return Ok(());
            };
            add.state = AddState::Ready;
            add.name = Some(resolved.name.clone());
            add.total_bytes = Some(resolved.selected_bytes(None));
            add.files = files;
            add.clone()
        };
        if let Some(source) = lock(&self.inner.pending_sources).get_mut(id) {
            source.resolved = Some(resolved);
        }
        self.emit(DesktopEvent::Pending { add: updated });
        Ok(())
    }

    fn fail_pending(&self, id: &str, error: String) {
        let updated = {
            let mut pending = lock(&self.inner.pending);
            let Some(add) = pending.get_mut(id) else {
                return;
            };
            add.state = AddState::Failed;
            add.error = Some(error);
            add.clone()
        };
        self.emit(DesktopEvent::Pending { add: updated });
    }

    pub fn pending_adds(&self) -> Vec<PendingAdd> {
        let mut adds: Vec<_> = lock(&self.inner.pending).values().cloned().collect();
        adds.sort_by(|a, b| a.id.cmp(&b.id));
        adds
    }

    /// Cancel in the dialog: the metadata fetch stops too, so a dismissed link contacts no one.
    pub fn dismiss_add(&self, id: &str) {
        let source = lock(&self.inner.pending_sources).get(id).cloned();
        if let Some(work) = source.and_then(|s| s.work) {
            work.abort();
        }
        self.forget_add(id);
    }

    /// Every open dialog's work stops (the app is quitting).
    pub(super) fn abort_pending_work(&self) {
        for source in lock(&self.inner.pending_sources).values() {
            if let Some(work) = &source.work {
                work.abort();
            }
        }
    }

    fn forget_add(&self, id: &str) {
        lock(&self.inner.pending).remove(id);
        lock(&self.inner.pending_sources).remove(id);
        self.emit(DesktopEvent::PendingGone { id: id.to_owned() });
    }

    /// Sends the torrent where the user chose; returns the new job's key.
    pub async fn confirm_add(&self, id: &str, choice: AddChoice) -> DesktopResult<String> {
        let source = lock(&self.inner.pending_sources)
            .get(id)
            .cloned()
            .ok_or_else(|| DesktopError::NotFound("that add".into()))?;
        let selected = checked_selection(choice.selected_files, source.resolved.as_ref())?;
        let key = match choice.destination {
            Destination::Cloud => {
                let cloud = self.signed_in_cloud()?;
                let detail = match source.origin {
                    Origin::Magnet(magnet) => {
                        cloud
                            .create_job(&CreateJob {
                                magnet: Some(magnet),
                                selected_files: selected,
                                ..CreateJob::default()
                            })
                            .await?
                    }
                    Origin::TorrentUrl(url) => {
                        cloud
                            .create_job(&CreateJob {
                                torrent_url: Some(url),
                                selected_files: selected,
                                ..CreateJob::default()
                            })
                            .await?
                    }
                    Origin::Torrent(bytes) => {
                        cloud.upload_torrent(bytes, selected.as_deref()).await?
                    }
                };
                let key = format!("cloud:{}", detail.job.id);
                self.remember_cloud_job(detail.job);
                key
            }
            Destination::Local => {
                let resolved = source.resolved.ok_or_else(|| {
                    DesktopError::Invalid("The torrent's files are not known yet.".into())
                })?;
                let magnet = match source.origin {
                    Origin::Magnet(magnet) => Some(magnet),
                    _ => None,
                };
                format!(
                    "local:{}",
                    self.add_local(&resolved, selected, magnet).await?
                )
            }
        };
        // "Always do this without asking", ticked by the user in the dialog.
        if choice.remember {
            let settings = self.settings();
            self.save_settings(DesktopSettings {
                default_destination: Remembered::always(choice.destination),
                add_without_asking: true,
                ..settings
            })
            .await?;
        }
        self.forget_add(id);
        Ok(key)
    }
}

/// `None` when every file is chosen (so the job takes files added later too); an empty choice
/// or an unknown index is refused.
fn checked_selection(
    selected: Option<Vec<u32>>,
    resolved: Option<&Resolved>,
) -> DesktopResult<Option<Vec<u32>>> {
    let Some(mut selected) = selected else {
        return Ok(None);
    };
    selected.sort_unstable();
    selected.dedup();
    if selected.is_empty() {
        return Err(DesktopError::Invalid("Choose at least one file.".into()));
    }
    let Some(resolved) = resolved else {
        return Ok(Some(selected));
    };
    let real: Vec<u32> = resolved
        .files
        .iter()
        .filter(|f| !f.padding)
        .map(|f| f.index)
        .collect();
    if let Some(bad) = selected.iter().find(|i| !real.contains(i)) {
        return Err(DesktopError::Invalid(format!(
            "File {bad} is not in the torrent."
        )));
    }
    Ok((selected.len() < real.len()).then_some(selected))
}
