//! `tseeder-cloud`: run the control plane, or manage it from the command line.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;
use tseeder_cloud::config::Severity;
use tseeder_cloud::{server, Settings};
use tseeder_protocol::Role;

// A request allocates many small strings (rows, JSON); glibc's allocator spent a fifth of a
// loaded server's CPU on them, mimalloc a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "tseeder-cloud", version, about = "tseeder control plane")]
struct Cli {
    /// TOML configuration file; `TSEEDER_*` environment variables override it.
    #[arg(long, global = true, env = "TSEEDER_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve,
    /// Name every setting a public deployment must make and is missing or unsafe (with the
    /// fix); exits non-zero when one is an error. `production = true` runs it at each start.
    CheckConfig,
    /// Operator tasks.
    Admin {
        #[command(subcommand)]
        task: AdminTask,
    },
}

#[derive(Subcommand)]
enum AdminTask {
    /// Create a verified account, e.g. the first superadmin. The password is read from
    /// `TSEEDER_ADMIN_PASSWORD` or, when that is unset, from standard input.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "user")]
        role: String,
    },
    /// Copy every row of this deployment's store (`database.url`, by default the SQLite file)
    /// into an empty PostgreSQL database, then verify counts and checksums table by table.
    /// Stop the service first; afterwards set `database.url` to the new store.
    MigrateStore {
        /// `postgres://user:password@host:port/database`
        #[arg(long)]
        to: String,
    },
    /// Write a consistent copy of the SQLite store into a new file while the service runs.
    /// (PostgreSQL: use `pg_dump`; the command says how.)
    Backup {
        /// The backup file to create; an existing file is never overwritten.
        file: PathBuf,
    },
    /// Restore a backup as this deployment's SQLite store. The store must not exist yet:
    /// restore into a new data folder, or move the old database away first.
    Restore {
        /// A file written by `admin backup`.
        file: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The DHT warns at every bootstrap retry when offline; the engine says it once.
    tseeder_settings::logging::init("TSEEDER_", "info,tower_http=info,librqbit_dht=error")
        .map_err(anyhow::Error::msg)?;
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => serve(settings).await,
        Command::CheckConfig => check_config(&settings),
        Command::Admin {
            task: AdminTask::CreateUser { email, role },
        } => create_user(settings, &email, &role).await,
        Command::Admin {
            task: AdminTask::MigrateStore { to },
        } => migrate_store(settings, &to).await,
        Command::Admin {
            task: AdminTask::Backup { file },
        } => backup(settings, file).await,
        Command::Admin {
            task: AdminTask::Restore { file },
        } => restore(settings, file).await,
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    if settings.production {
        let errors: Vec<String> = tseeder_cloud::config::check(&settings)
            .into_iter()
            .filter(|finding| finding.severity == Severity::Error)
            .map(|finding| finding.to_string())
            .collect();
        if !errors.is_empty() {
            bail!(
                "production = true, and this configuration is not ready for a public deployment \
                 (see docs/go-live-checklist.md):\n{}",
                errors.join("\n")
            );
        }
    }
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    server::launch(settings, listener, tseeder_settings::shutdown::signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

fn check_config(settings: &Settings) -> anyhow::Result<()> {
    let findings = tseeder_cloud::config::check(settings);
    for finding in &findings {
        println!("{finding}");
    }
    let errors = findings
        .iter()
        .filter(|finding| finding.severity == Severity::Error)
        .count();
    if errors > 0 {
        bail!("{errors} setting(s) must change before this deployment is public (docs/go-live-checklist.md)");
    }
    println!("ready for a public deployment ({} advice)", findings.len());
    Ok(())
}

async fn create_user(settings: Settings, email: &str, role: &str) -> anyhow::Result<()> {
    let Some(role) = Role::parse(role) else {
        bail!("unknown role {role:?}; use user, support, admin or superadmin");
    };
    let password = match std::env::var("TSEEDER_ADMIN_PASSWORD") {
        Ok(password) => password,
        Err(_) => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .context("reading the password from standard input")?;
            input.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let services = server::start_services(settings).await?;
    let user = services
        .admin()
        .create_user_directly(email, password, role)
        .await
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    println!(
        "created {} ({}) with id {}",
        user.email,
        user.role.as_str(),
        user.id
    );
    Ok(())
}

async fn migrate_store(settings: Settings, to: &str) -> anyhow::Result<()> {
    use tseeder_cloud::store::{self, copy, Location};
    let from = settings.database_url();
    if from == to {
        bail!("the target is the store this deployment already uses");
    }
    let target_location = Location::parse(to);
    if !matches!(target_location, Location::Postgres(_)) {
        bail!("--to takes a postgres:// URL");
    }
    let (target_url, source_url) = (to.to_owned(), from.clone());
    let (source, target) = tokio::task::spawn_blocking(move || {
        let source = store::open(&Location::parse(&source_url))
            .with_context(|| format!("opening {}", store::redacted(&source_url)))?;
        let target = store::open(&Location::parse(&target_url))
            .with_context(|| format!("opening {}", store::redacted(&target_url)))?;
        anyhow::Ok((source, target))
    })
    .await??;
    let copied = copy::copy_store(&source, &target).await?;
    println!(
        "copied {} into {}; verified:",
        store::redacted(&from),
        store::redacted(to)
    );
    for table in copied {
        println!(
            "  {:<16} {:>9} rows  sha256-sum {}",
            table.table, table.rows, table.checksum
        );
    }
    println!("set database.url (TSEEDER_DATABASE__URL) to the new store and start the service");
    Ok(())
}

/// The SQLite file this deployment uses, or what to do instead on PostgreSQL.
fn sqlite_file(settings: &Settings, verb: &str) -> anyhow::Result<PathBuf> {
    use tseeder_cloud::store::{self, Location};
    let url = settings.database_url();
    match Location::parse(&url) {
        Location::SqliteFile(path) => Ok(path.to_owned()),
        Location::Postgres(_) => bail!(
            "this deployment's store is PostgreSQL ({}); {verb} it with PostgreSQL's tools: \
             `pg_dump --format=custom --file=tseeder.dump \"$URL\"` and \
             `pg_restore --clean --if-exists --dbname=\"$URL\" tseeder.dump` (see docs/operations.md)",
            store::redacted(&url)
        ),
    }
}

async fn backup(settings: Settings, file: PathBuf) -> anyhow::Result<()> {
    let database = sqlite_file(&settings, "back up")?;
    if !database.exists() {
        bail!("there is no store at {} to back up", database.display());
    }
    let target = file.clone();
    let summary = tokio::task::spawn_blocking(move || {
        tseeder_cloud::store::backup::backup_sqlite(&database, &target)
    })
    .await??;
    println!(
        "backed up {} users and {} jobs (schema {}) into {}",
        summary.users,
        summary.jobs,
        summary.schema_version,
        file.display()
    );
    Ok(())
}

async fn restore(settings: Settings, file: PathBuf) -> anyhow::Result<()> {
    let database = sqlite_file(&settings, "restore")?;
    let target = database.clone();
    let source = file.clone();
    let summary = tokio::task::spawn_blocking(move || {
        tseeder_cloud::store::backup::restore_sqlite(&source, &target)
    })
    .await??;
    println!(
        "restored {} users and {} jobs (schema {}) from {} into {}; start the service",
        summary.users,
        summary.jobs,
        summary.schema_version,
        file.display(),
        database.display()
    );
    Ok(())
}
