//! The agent's two data paths, engine download and object-store upload, and the desktop app's
//! sync of a finished cloud file, as one-shot commands, so `scripts/bench` can time them and read
//! their peak memory beside aria2c, transmission-cli, aws-cli, rclone and curl doing the same work;
//! and the control plane's load (claims, a bare JSON handler, live-event subscribers).

mod control_plane;
mod subscribers;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tseeder_engine::{Engine, EngineConfig, TorrentSource};
use tseeder_storage::{ObjectKey, ObjectStore, S3Config, S3Store};

#[derive(Debug, Parser)]
#[command(name = "tseeder-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Downloads every file of a magnet into a folder with the agent's engine.
    Download {
        #[arg(long)]
        magnet: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "127.0.0.1")]
        listen_ip: IpAddr,
        #[arg(long, default_value_t = 60)]
        metadata_timeout_seconds: u64,
    },
    /// Uploads one file to an S3-compatible store with the agent's multipart uploader.
    Upload {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        key: String,
        #[arg(long)]
        endpoint: String,
        #[arg(long, default_value = "garage")]
        region: String,
        #[arg(long)]
        bucket: String,
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
        secret_access_key: String,
        /// Part size in MiB; the agent's default when absent.
        #[arg(long)]
        part_size_mib: Option<usize>,
        /// Parts in flight; the agent's default when absent.
        #[arg(long)]
        parallel_parts: Option<usize>,
    },
    /// Copies one cloud file from its signed link into a folder with the desktop app's sync
    /// (the same Range request, temporary name, size check and publish), at full speed.
    Sync {
        #[arg(long)]
        url: String,
        /// The file's size as the cloud lists it.
        #[arg(long)]
        size: u64,
        #[arg(long)]
        name: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Agents claim from the queue through the API; prints claim latency percentiles.
    Claims {
        /// Control-plane URLs; agents are spread over them.
        #[arg(long, required = true)]
        base: Vec<String>,
        /// A file with one agent token per line.
        #[arg(long)]
        tokens: PathBuf,
        #[arg(long, default_value_t = 5000)]
        claims: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// Serves a JSON document from a bare axum handler (the yardstick for the job list).
    BareJson {
        #[arg(long)]
        listen: std::net::SocketAddr,
        #[arg(long)]
        body: PathBuf,
    },
    /// Holds live-event streams and times each progress report's arrival on every one.
    Sse {
        #[arg(long, required = true)]
        base: Vec<String>,
        #[arg(long, env = "TSEEDER_BENCH_API_KEY", hide_env_values = true)]
        api_key: String,
        #[arg(long, env = "TSEEDER_BENCH_AGENT_TOKEN", hide_env_values = true)]
        agent_token: String,
        #[arg(long)]
        job: String,
        #[arg(long)]
        lease: String,
        #[arg(long, default_value_t = 1000)]
        subscribers: usize,
        #[arg(long, default_value_t = 20)]
        reports: u64,
        #[arg(long, default_value_t = 250)]
        interval_ms: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let bytes = match Cli::parse().command {
        Command::Download {
            magnet,
            out,
            listen_ip,
            metadata_timeout_seconds,
        } => download(magnet, out, listen_ip, metadata_timeout_seconds).await?,
        Command::Upload {
            file,
            key,
            endpoint,
            region,
            bucket,
            access_key_id,
            secret_access_key,
            part_size_mib,
            parallel_parts,
        } => {
            let defaults = S3Config::default();
            let store = S3Store::new(S3Config {
                endpoint,
                region,
                bucket,
                access_key_id,
                secret_access_key,
                part_size: part_size_mib.map_or(defaults.part_size, |mib| mib * 1024 * 1024),
                parallel_parts: parallel_parts.unwrap_or(defaults.parallel_parts),
                ..defaults
            })?;
            let key = ObjectKey::parse(&key)?;
            ObjectStore::S3(Box::new(store))
                .put_file(&key, &file)
                .await?
        }
        Command::Sync {
            url,
            size,
            name,
            out,
        } => return sync(url, size, name, out).await,
        Command::Claims {
            base,
            tokens,
            claims,
            concurrency,
        } => {
            let tokens = std::fs::read_to_string(tokens)?
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            return control_plane::claims(base, tokens, claims, concurrency).await;
        }
        Command::BareJson { listen, body } => return control_plane::bare_json(listen, body).await,
        Command::Sse {
            base,
            api_key,
            agent_token,
            job,
            lease,
            subscribers,
            reports,
            interval_ms,
        } => {
            return control_plane::sse(control_plane::SseRun {
                bases: base,
                api_key,
                agent_token,
                job_id: job,
                lease_id: lease,
                subscribers,
                reports,
                interval: Duration::from_millis(interval_ms),
            })
            .await
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({ "bytes": bytes, "seconds": seconds })
    );
    Ok(())
}

async fn download(
    magnet: String,
    out: PathBuf,
    listen_ip: IpAddr,
    metadata_timeout_seconds: u64,
) -> anyhow::Result<u64> {
    let config = EngineConfig {
        listen_ip,
        dht: false,
        metadata_timeout_seconds,
        // The benchmark's swarm is on loopback.
        allow_private_addresses: true,
        ..EngineConfig::default()
    };
    let engine = Engine::start(config, &out.join(".session")).await?;
    let resolved = engine
        .resolve(&TorrentSource::Magnet(magnet))
        .await
        .context("fetching the magnet's metadata")?;
    let download = engine.download(&resolved, &out, None).await?;
    let progress = loop {
        let progress = download.progress();
        if let Some(error) = progress.error {
            bail!("download failed: {error}");
        }
        if progress.finished {
            break progress;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    engine.stop().await;
    Ok(progress.downloaded_bytes)
}

/// Prints the bytes synced and the seconds the sync took, from the request to the file being
/// on the disk under its final name. The app's database and HTTP client are made first, as the
/// app has them open before any sync (a client reads the system's CA certificates when it is
/// made: a tenth of a second here).
async fn sync(url: String, size: u64, name: String, out: PathBuf) -> anyhow::Result<()> {
    use tseeder_desktop::db::{self, SyncRow};
    let state = out.join(".tseeder-bench-state");
    std::fs::create_dir_all(&state)?;
    let db = db::open(&state.join("tseeder.db"))?;
    let row = SyncRow {
        job_id: "bench".into(),
        file_index: 0,
        remote_path: name,
        size,
        local_path: None,
        received: 0,
        status: tseeder_desktop::sync::PENDING.into(),
        error: None,
    };
    let stored = row.clone();
    db.call(move |conn| db::insert_sync(conn, &stored)).await?;
    let http = tseeder_desktop::sync::http_client();
    let started = Instant::now();
    let landed = tseeder_desktop::sync::fetch_file(&db, &http, &row, &url, &out, 0, |_| {})
        .await
        .context("syncing the file")?;
    let seconds = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(landed)?.len();
    println!(
        "{}",
        serde_json::json!({ "bytes": bytes, "seconds": seconds })
    );
    Ok(())
}
