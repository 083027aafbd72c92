//! The SSE benchmark's subscribers: thousands of streams read by one thread that waits on all
//! of their sockets at once. An HTTP client per stream (a task for the connection, another for
//! the body, two reads per event) took as much of the machine's two cores as the server it
//! measures; here an event costs one `read` and its share of one `epoll_wait`, so the delay
//! measured is the server's, not the load generator's.

use anyhow::{bail, ensure, Context};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// See [`follow`].
const BATCH_PAUSE: Duration = Duration::from_micros(500);

/// What one stream saw: each report's number with when it arrived, and the snapshots sent
/// because it fell behind.
#[derive(Debug, Default)]
pub struct Seen {
    pub arrivals: Vec<(u64, Instant)>,
    pub resyncs: usize,
}

/// Streams opened on their own thread; [`Subscribers::ready`] counts those that have their
/// first snapshot.
pub struct Subscribers {
    pub ready: Arc<AtomicUsize>,
    give_up_at: mpsc::Sender<Instant>,
    thread: std::thread::JoinHandle<anyhow::Result<Vec<Seen>>>,
}

/// One `GET` of a live stream: where to connect and what to send.
#[derive(Debug, Clone)]
pub struct StreamRequest {
    pub address: String,
    pub path: String,
    pub api_key: String,
}

impl StreamRequest {
    /// `base` is `http://host:port` (the benchmark's servers are plain HTTP on loopback).
    pub fn new(base: &str, path: &str, api_key: &str) -> anyhow::Result<StreamRequest> {
        let address = base
            .strip_prefix("http://")
            .context("the SSE benchmark speaks plain http:// only")?
            .trim_end_matches('/');
        Ok(StreamRequest {
            address: address.to_owned(),
            path: path.to_owned(),
            api_key: api_key.to_owned(),
        })
    }

    fn bytes(&self) -> Vec<u8> {
        format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
             Accept: text/event-stream\r\n\r\n",
            self.path, self.address, self.api_key
        )
        .into_bytes()
    }
}

impl Subscribers {
    /// Opens one stream per request, one after the other, then follows them all until each
    /// has seen report number `reports` (or [`Subscribers::finish`]'s deadline passes).
    pub fn open(requests: Vec<StreamRequest>, reports: u64) -> Subscribers {
        let ready = Arc::new(AtomicUsize::new(0));
        let (give_up_at, deadline) = mpsc::channel();
        let counted = ready.clone();
        let thread = std::thread::spawn(move || {
            let mut streams = Vec::with_capacity(requests.len());
            for (n, request) in requests.iter().enumerate() {
                streams.push(Stream::open(request).with_context(|| format!("stream {n}"))?);
                counted.fetch_add(1, Ordering::Relaxed);
            }
            follow(streams, reports, deadline)
        });
        Subscribers {
            ready,
            give_up_at,
            thread,
        }
    }

    /// Waits until every stream has seen the last report, or until `deadline`.
    pub fn finish(self, deadline: Instant) -> anyhow::Result<Vec<Seen>> {
        // The thread may already be done, and then no longer listens.
        let _ = self.give_up_at.send(deadline);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the subscribers' thread panicked"))?
    }

    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }
}

fn follow(
    mut streams: Vec<Stream>,
    reports: u64,
    deadline: mpsc::Receiver<Instant>,
) -> anyhow::Result<Vec<Seen>> {
    let mut poll = Poll::new()?;
    for (n, stream) in streams.iter_mut().enumerate() {
        stream.socket.set_nonblocking(true)?;
        poll.registry().register(
            &mut SourceFd(&stream.socket.as_raw_fd()),
            Token(n),
            Interest::READABLE,
        )?;
    }
    let mut left = streams.iter().filter(|s| s.seen_up_to < reports).count();
    let mut events = Events::with_capacity(1024);
    let mut buffer = vec![0u8; 64 * 1024];
    let mut give_up_at = None;
    while left > 0 {
        if let Ok(at) = deadline.try_recv() {
            give_up_at = Some(at);
        }
        if give_up_at.is_some_and(|at| Instant::now() > at) {
            bail!("{left} streams did not see the last report in time");
        }
        poll.poll(&mut events, Some(Duration::from_millis(100)))?;
        for event in events.iter() {
            let stream = &mut streams[event.token().0];
            let was_done = stream.seen_up_to >= reports;
            stream.read_ready(&mut buffer)?;
            if !was_done && stream.seen_up_to >= reports {
                left -= 1;
            }
        }
        if !events.is_empty() {
            // While a report fans out, let the server's writes pile up for a moment: reading
            // them in batches spares a wake-up and an `epoll_wait` per event, and makes every
            // delay measured at most this much longer than it was.
            std::thread::sleep(BATCH_PAUSE);
        }
    }
    Ok(streams.into_iter().map(|s| s.seen).collect())
}

/// One stream's socket and what is left of its chunked body to decode.
struct Stream {
    socket: TcpStream,
    /// Bytes read and not yet decoded.
    raw: Vec<u8>,
    /// Decoded body not yet ending in a whole event.
    body: Vec<u8>,
    /// What the chunked encoding expects next.
    chunk: Chunk,
    snapshots: usize,
    seen_up_to: u64,
    seen: Seen,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Chunk {
    /// A size line.
    Size,
    /// This many bytes of data.
    Data(usize),
    /// The line break after a chunk's data.
    End,
}

impl Stream {
    /// Connects, sends the request and reads until the first snapshot, blocking.
    fn open(request: &StreamRequest) -> anyhow::Result<Stream> {
        let mut socket = TcpStream::connect(&request.address)?;
        socket.set_nodelay(true)?;
        socket.write_all(&request.bytes())?;
        let mut raw = Vec::new();
        let mut buffer = [0u8; 16 * 1024];
        let head_end = loop {
            let n = socket.read(&mut buffer)?;
            ensure!(n > 0, "the server closed the stream before answering");
            raw.extend_from_slice(&buffer[..n]);
            if let Some(at) = find(&raw, b"\r\n\r\n") {
                break at + 4;
            }
        };
        let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
        ensure!(
            head.starts_with("http/1.1 200"),
            "{}",
            head.lines().next().unwrap_or_default()
        );
        ensure!(
            head.contains("\r\ntransfer-encoding: chunked\r\n"),
            "the stream is not chunked:\n{head}"
        );
        raw.drain(..head_end);
        let mut stream = Stream {
            socket,
            raw,
            body: Vec::new(),
            chunk: Chunk::Size,
            snapshots: 0,
            seen_up_to: 0,
            seen: Seen::default(),
        };
        stream.take_events(Instant::now())?;
        while stream.snapshots == 0 {
            let n = stream.socket.read(&mut buffer)?;
            ensure!(n > 0, "the server closed the stream before its snapshot");
            stream.raw.extend_from_slice(&buffer[..n]);
            stream.take_events(Instant::now())?;
        }
        Ok(stream)
    }

    /// Reads what the socket holds (one read: the kernel wakes the poll again for bytes that
    /// arrive later) and takes the whole events in it.
    fn read_ready(&mut self, buffer: &mut [u8]) -> anyhow::Result<()> {
        match self.socket.read(buffer) {
            Ok(0) => bail!("a stream ended early"),
            Ok(n) => {
                let arrived = Instant::now();
                self.raw.extend_from_slice(&buffer[..n]);
                self.take_events(arrived)
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => Ok(()),
            Err(err) if err.kind() == ErrorKind::Interrupted => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    fn take_events(&mut self, arrived: Instant) -> anyhow::Result<()> {
        self.dechunk()?;
        while let Some(end) = find(&self.body, b"\n\n") {
            let event: Vec<u8> = self.body.drain(..end + 2).collect();
            if event.starts_with(b"event: snapshot") {
                self.snapshots += 1;
                if self.snapshots > 1 {
                    // Fell behind: the server sent the state instead of the missed events.
                    self.seen.resyncs += 1;
                    self.seen_up_to = self
                        .seen_up_to
                        .max(crate::control_plane::latest_progress(&event)?);
                }
            } else if let Some(k) = crate::control_plane::downloaded_bytes(&event) {
                self.seen.arrivals.push((k, arrived));
                self.seen_up_to = self.seen_up_to.max(k);
            }
        }
        Ok(())
    }

    /// Moves whole chunks' data from `raw` to `body`.
    fn dechunk(&mut self) -> anyhow::Result<()> {
        let mut at = 0;
        loop {
            match self.chunk {
                Chunk::Size => {
                    let Some(line) = find(&self.raw[at..], b"\r\n") else {
                        break;
                    };
                    let text = std::str::from_utf8(&self.raw[at..at + line])?;
                    let digits = text.split(';').next().unwrap_or_default().trim();
                    let size = usize::from_str_radix(digits, 16)
                        .with_context(|| format!("a chunk size {text:?}"))?;
                    ensure!(size > 0, "the server ended the stream");
                    at += line + 2;
                    self.chunk = Chunk::Data(size);
                }
                Chunk::Data(size) => {
                    let take = size.min(self.raw.len() - at);
                    if take == 0 {
                        break;
                    }
                    self.body.extend_from_slice(&self.raw[at..at + take]);
                    at += take;
                    self.chunk = match size - take {
                        0 => Chunk::End,
                        more => Chunk::Data(more),
                    };
                }
                Chunk::End => {
                    if self.raw.len() - at < 2 {
                        break;
                    }
                    ensure!(&self.raw[at..at + 2] == b"\r\n", "a chunk without its end");
                    at += 2;
                    self.chunk = Chunk::Size;
                }
            }
        }
        self.raw.drain(..at);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A server that answers one stream with `body`, written in pieces of `piece` bytes.
    fn serve(body: &'static [u8], piece: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().expect("accept");
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).expect("request");
            socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
                .expect("head");
            for part in body.chunks(piece) {
                socket.write_all(part).expect("body");
                socket.flush().expect("flush");
                std::thread::sleep(Duration::from_millis(2));
            }
            std::thread::sleep(Duration::from_secs(1));
        });
        format!("http://{address}")
    }

    const BODY: &[u8] = b"1a\r\nevent: snapshot\ndata: []\n\n\r\n\
        3\r\n:\n\n\r\n\
        35\r\nevent: job\ndata: {\"progress\":{\"downloadedBytes\":1}}\n\n\r\n\
        18\r\nevent: job\ndata: {\"progr\r\n\
        1d\r\ness\":{\"downloadedBytes\":2}}\n\n\r\n";

    fn read_all(piece: usize) -> Seen {
        let base = serve(BODY, piece);
        let request = StreamRequest::new(&base, "/live", "key").expect("request");
        let subscribers = Subscribers::open(vec![request], 2);
        let mut seen = subscribers
            .finish(Instant::now() + Duration::from_secs(5))
            .expect("finished");
        seen.pop().expect("one stream")
    }

    #[test]
    fn events_are_read_across_chunks_and_reads() {
        for piece in [1, 3, 7, 1000] {
            let seen = read_all(piece);
            let numbers: Vec<u64> = seen.arrivals.iter().map(|(k, _)| *k).collect();
            assert_eq!(numbers, [1, 2], "pieces of {piece} bytes");
            assert_eq!(seen.resyncs, 0);
        }
    }

    #[test]
    fn a_stream_that_never_sees_the_last_report_is_an_error() {
        let base = serve(BODY, 1000);
        let request = StreamRequest::new(&base, "/live", "key").expect("request");
        let subscribers = Subscribers::open(vec![request], 3);
        let failed = subscribers.finish(Instant::now() + Duration::from_millis(300));
        assert!(failed.is_err());
    }
}
