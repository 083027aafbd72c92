//! Live job updates: agents' progress ticks are kept in memory (never written to the database
//! one by one), and every change is serialized once and fanned out to the streams of its
//! organization only (one channel per organization with an open stream, so a change never wakes
//! other organizations' streams; a member's stream then keeps only the member's own jobs).
//! On PostgreSQL every change travels through the database's NOTIFY first, so that the streams
//! (and the progress shown) of every replica hear it, this one's included.

use crate::store::{Notice, Store};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use tokio::sync::{broadcast, mpsc};
use tseeder_protocol::{Job, JobLive, LiveProgress};

/// One update, already serialized and framed: every subscriber sends the same bytes, shared,
/// so that a change reaching ten thousand streams is encoded once, not once per stream.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    /// The organization whose channel carries it (empty: every channel).
    pub org_id: Arc<str>,
    /// The job's owner, or the user whose credentials a revocation is about.
    pub user_id: Arc<str>,
    pub job_id: Arc<str>,
    /// The SSE event name: `job` or `removed`.
    pub kind: &'static str,
    /// The whole SSE event (`event:` and `data:` lines), as a stream writes it.
    pub frame: Bytes,
    /// Where the JSON document starts in `frame`.
    data_start: usize,
}

/// One SSE event of `kind` carrying the JSON document `data`. JSON as serde_json writes it has
/// no raw line breaks, so the document is one `data:` line.
pub fn sse_frame(kind: &str, data: &str) -> Bytes {
    let (frame, _) = framed(kind, data);
    frame
}

fn framed(kind: &str, data: &str) -> (Bytes, usize) {
    debug_assert!(!data.contains(['\n', '\r']) && !kind.contains(['\n', '\r']));
    let mut frame = String::with_capacity(kind.len() + data.len() + 16);
    frame.push_str("event: ");
    frame.push_str(kind);
    frame.push_str("\ndata: ");
    let data_start = frame.len();
    frame.push_str(data);
    frame.push_str("\n\n");
    (Bytes::from(frame), data_start)
}

#[derive(Debug)]
pub struct LiveHub {
    /// The channel of each organization with an open stream; channels nobody listens to are
    /// dropped.
    channels: Mutex<HashMap<Arc<str>, broadcast::Sender<LiveEvent>>>,
    /// Subscriptions so far, to sweep abandoned channels now and then.
    subscriptions: AtomicUsize,
    progress: Mutex<HashMap<String, LiveProgress>>,
    /// Set while changes go through the database to every replica.
    relay: OnceLock<mpsc::UnboundedSender<String>>,
}

/// The kind of the hub's internal revocation notice.
pub const REVOKED: &str = "revoked";

/// The kind of the hub's internal notice that changes were missed (an empty organization means
/// everyone's): streams send a fresh snapshot, as when they lag.
pub const RESYNC: &str = "resync";

/// The database channel changes travel on between replicas.
const CHANNEL: &str = "tseeder_live";

/// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; a larger change makes the
/// organization's streams reload instead.
const MAX_PAYLOAD: usize = 7900;

/// A change as it crosses replicas.
#[derive(Serialize, Deserialize)]
struct Relayed<'a> {
    #[serde(rename = "o", borrow)]
    org_id: Cow<'a, str>,
    #[serde(rename = "u", borrow)]
    user_id: Cow<'a, str>,
    #[serde(rename = "j", borrow)]
    job_id: Cow<'a, str>,
    #[serde(rename = "k", borrow)]
    kind: Cow<'a, str>,
    /// Serialized JSON itself, so escaped: owned when read back.
    #[serde(rename = "d", borrow)]
    data: Cow<'a, str>,
}

impl<'a> Relayed<'a> {
    fn of(event: &'a LiveEvent) -> Relayed<'a> {
        Relayed {
            org_id: Cow::Borrowed(&event.org_id),
            user_id: Cow::Borrowed(&event.user_id),
            job_id: Cow::Borrowed(&event.job_id),
            kind: Cow::Borrowed(event.kind),
            data: Cow::Borrowed(event.data()),
        }
    }
}

impl LiveEvent {
    fn new(
        org_id: Arc<str>,
        user_id: Arc<str>,
        job_id: Arc<str>,
        kind: &'static str,
        data: &str,
    ) -> LiveEvent {
        let (frame, data_start) = framed(kind, data);
        LiveEvent {
            org_id,
            user_id,
            job_id,
            kind,
            frame,
            data_start,
        }
    }

    /// One of the hub's own notices, which carry no job.
    fn notice(org_id: Arc<str>, user_id: Arc<str>, kind: &'static str) -> LiveEvent {
        LiveEvent::new(org_id, user_id, Arc::from(""), kind, "")
    }

    /// The JSON document the event carries.
    pub fn data(&self) -> &str {
        let document = &self.frame[self.data_start..self.frame.len() - 2];
        // Built from a `&str` in `framed`, and cut at ASCII boundaries.
        std::str::from_utf8(document).unwrap_or_default()
    }
}

fn known_kind(kind: &str) -> Option<&'static str> {
    ["job", "removed", REVOKED, RESYNC]
        .into_iter()
        .find(|known| *known == kind)
}

/// Events buffered per organization before a stream lags and gets a fresh snapshot instead
/// (each organization's channel holds this many slots while a stream of it is open).
const CHANNEL_CAPACITY: usize = 256;

/// Every this many subscriptions, channels whose streams all ended are dropped.
const SWEEP_EVERY: usize = 256;

impl Default for LiveHub {
    fn default() -> Self {
        LiveHub {
            channels: Mutex::new(HashMap::new()),
            subscriptions: AtomicUsize::new(0),
            progress: Mutex::new(HashMap::new()),
            relay: OnceLock::new(),
        }
    }
}

impl LiveHub {
    fn channels(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, broadcast::Sender<LiveEvent>>> {
        self.channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The changes of `org_id`'s jobs (and the notices for everyone).
    pub fn subscribe(&self, org_id: &str) -> broadcast::Receiver<LiveEvent> {
        let mut channels = self.channels();
        if self.subscriptions.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            channels.retain(|_, sender| sender.receiver_count() > 0);
        }
        if let Some(sender) = channels.get(org_id) {
            return sender.subscribe();
        }
        let (sender, receiver) = broadcast::channel(CHANNEL_CAPACITY);
        channels.insert(Arc::from(org_id), sender);
        receiver
    }

    fn progress_map(&self) -> std::sync::MutexGuard<'_, HashMap<String, LiveProgress>> {
        self.progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn set_progress(&self, job_id: &str, progress: LiveProgress) {
        self.progress_map().insert(job_id.to_owned(), progress);
    }

    pub fn clear_progress(&self, job_id: &str) {
        self.progress_map().remove(job_id);
    }

    pub fn progress_of(&self, job_id: &str) -> Option<LiveProgress> {
        self.progress_map().get(job_id).cloned()
    }

    /// The job with its progress, when it is running.
    pub fn with_progress(&self, job: Job) -> JobLive {
        let progress = if job.status.is_terminal() {
            None
        } else {
            self.progress_of(&job.id)
        };
        JobLive { job, progress }
    }

    pub fn publish_job(&self, job: Job) {
        if !job.status.is_running() {
            self.clear_progress(&job.id);
        }
        let (org_id, user_id, job_id) = (
            Arc::from(job.org_id.as_str()),
            Arc::from(job.owner_id.as_str()),
            Arc::from(job.id.as_str()),
        );
        let live = self.with_progress(job);
        match serde_json::to_string(&live) {
            Ok(data) => self.send(LiveEvent::new(org_id, user_id, job_id, "job", &data)),
            Err(err) => tracing::error!(%err, "could not serialize a job update"),
        }
    }

    /// Tells the user's open streams (in whichever organization) that some of the user's
    /// credentials were revoked: each checks its own and ends when it is gone. Never sent to
    /// clients.
    pub fn publish_revoked(&self, user_id: &str) {
        self.send(LiveEvent::notice(
            Arc::from(""),
            Arc::from(user_id),
            REVOKED,
        ));
    }

    pub fn publish_removed(&self, org_id: &str, user_id: &str, job_id: &str) {
        self.clear_progress(job_id);
        let data = serde_json::json!({ "id": job_id }).to_string();
        self.send(LiveEvent::new(
            Arc::from(org_id),
            Arc::from(user_id),
            Arc::from(job_id),
            "removed",
            &data,
        ));
    }

    fn send(&self, event: LiveEvent) {
        if let Some(relay) = self.relay.get() {
            let payload = match serde_json::to_string(&Relayed::of(&event)) {
                Ok(payload) if payload.len() <= MAX_PAYLOAD => Some(payload),
                _ => {
                    let resync = LiveEvent::notice(event.org_id.clone(), Arc::from(""), RESYNC);
                    serde_json::to_string(&Relayed::of(&resync)).ok()
                }
            };
            if let Some(payload) = payload {
                if relay.send(payload).is_ok() {
                    return;
                }
            }
        }
        self.broadcast(event);
    }

    /// Hands the change to the streams of its organization (an empty one: everyone's).
    /// Nobody listening is not an error.
    fn broadcast(&self, event: LiveEvent) {
        let org_id = event.org_id.clone();
        let mut channels = self.channels();
        if org_id.is_empty() {
            for sender in channels.values() {
                let _ = sender.send(event.clone());
            }
            return;
        }
        let unheard = match channels.get(&org_id) {
            Some(sender) => sender.send(event).is_err(),
            None => false,
        };
        if unheard {
            channels.remove(&org_id);
        }
    }
}

impl LiveHub {
    /// A change heard from the database (sent by any replica): kept and fanned out here.
    fn hear(&self, payload: &str) {
        let Ok(relayed) = serde_json::from_str::<Relayed<'_>>(payload) else {
            tracing::warn!("ignored a live change that is not one");
            return;
        };
        let Some(kind) = known_kind(&relayed.kind) else {
            return;
        };
        if relayed.data.contains(['\n', '\r']) {
            // Not serde_json's: it would break the stream's framing.
            tracing::warn!("ignored a live change with a line break in its document");
            return;
        }
        match kind {
            "job" => match serde_json::from_str::<JobLive>(&relayed.data) {
                Ok(live) => match live.progress {
                    Some(progress) if live.job.status.is_running() => {
                        self.set_progress(&relayed.job_id, progress)
                    }
                    _ if !live.job.status.is_running() => self.clear_progress(&relayed.job_id),
                    _ => {}
                },
                Err(err) => tracing::warn!(%err, "a relayed job change does not parse"),
            },
            "removed" => self.clear_progress(&relayed.job_id),
            _ => {}
        }
        self.broadcast(LiveEvent::new(
            Arc::from(relayed.org_id.as_ref()),
            Arc::from(relayed.user_id.as_ref()),
            Arc::from(relayed.job_id.as_ref()),
            kind,
            &relayed.data,
        ));
    }

    /// Open streams on this replica.
    pub fn subscriber_count(&self) -> usize {
        self.channels()
            .values()
            .map(|channel| channel.receiver_count())
            .sum()
    }

    /// Sends this replica's changes through `store` to every replica and fans out what they
    /// send, for as long as the hub lives. Does nothing on a store that cannot carry them.
    pub fn relay_through(self: &Arc<Self>, store: &Store) {
        if self.relay.get().is_some() {
            return;
        }
        let hub: Weak<LiveHub> = Arc::downgrade(self);
        let listening = store.listen(CHANNEL, move |notice| {
            let Some(hub) = hub.upgrade() else {
                return false;
            };
            match notice {
                Notice::Payload(payload) => hub.hear(payload),
                // Whatever was sent meanwhile is lost: every stream starts over.
                Notice::Reconnected => {
                    hub.broadcast(LiveEvent::notice(Arc::from(""), Arc::from(""), RESYNC))
                }
                Notice::Idle => {}
            }
            true
        });
        if !listening {
            return;
        }
        let (sender, mut queue) = mpsc::unbounded_channel::<String>();
        if self.relay.set(sender).is_err() {
            return;
        }
        let store = store.clone();
        let hub = Arc::downgrade(self);
        tokio::spawn(async move {
            // One sender keeps this replica's changes in order; what queued meanwhile goes in
            // one round trip.
            while let Some(first) = queue.recv().await {
                let mut batch = vec![first];
                while let Ok(next) = queue.try_recv() {
                    batch.push(next);
                }
                if let Err(err) = store.notify(CHANNEL, batch.clone()).await {
                    tracing::error!(%err, "live changes could not be relayed to other replicas");
                    // This replica's own streams still hear them.
                    if let Some(hub) = hub.upgrade() {
                        batch.iter().for_each(|payload| hub.hear(payload));
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reaches_only_its_organizations_streams_and_unheard_channels_go() {
        let hub = LiveHub::default();
        let mut acme = hub.subscribe("org_acme");
        let mut other = hub.subscribe("org_other");
        hub.publish_removed("org_acme", "ann", "job-1");
        let heard = acme.try_recv().expect("acme's stream hears its change");
        assert_eq!((&*heard.job_id, &*heard.user_id), ("job-1", "ann"));
        assert!(
            other.try_recv().is_err(),
            "another organization's stream is not woken"
        );

        hub.publish_revoked("bob");
        assert_eq!(acme.try_recv().expect("everyone").kind, REVOKED);
        let revoked = other.try_recv().expect("everyone");
        assert_eq!((revoked.kind, &*revoked.user_id), (REVOKED, "bob"));

        drop(other);
        hub.publish_removed("org_other", "bob", "job-2");
        assert!(
            !hub.channels().contains_key("org_other"),
            "a channel nobody listens to is dropped"
        );
        assert!(hub.channels().contains_key("org_acme"));
    }

    #[test]
    fn a_change_is_framed_once_as_the_sse_event_every_stream_sends() {
        let hub = LiveHub::default();
        let mut acme = hub.subscribe("org_acme");
        let mut again = hub.subscribe("org_acme");
        hub.publish_removed("org_acme", "ann", "job-1");
        let heard = acme.try_recv().expect("heard");
        assert_eq!(
            &heard.frame[..],
            b"event: removed\ndata: {\"id\":\"job-1\"}\n\n"
        );
        assert_eq!(heard.data(), r#"{"id":"job-1"}"#);
        let other = again.try_recv().expect("heard");
        assert_eq!(
            heard.frame.as_ptr(),
            other.frame.as_ptr(),
            "every stream shares the one encoding"
        );
    }

    #[test]
    fn a_relayed_change_that_would_break_the_framing_is_dropped() {
        let hub = LiveHub::default();
        let mut acme = hub.subscribe("org_acme");
        let relayed = |data: &str| {
            serde_json::json!({"o": "org_acme", "u": "ann", "j": "job-1", "k": "removed", "d": data})
                .to_string()
        };
        hub.hear(&relayed("{}\n\nevent: job\ndata: {}"));
        assert!(acme.try_recv().is_err(), "a raw line break is refused");
        hub.hear(&relayed(r#"{"id":"job-1"}"#));
        assert_eq!(acme.try_recv().expect("heard").data(), r#"{"id":"job-1"}"#);
    }
}
