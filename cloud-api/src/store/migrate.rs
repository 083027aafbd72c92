//! The control plane's numbered migrations: SQLite's from the repository's `migrations/` folder
//! (applied by `tseeder-sqlite`), PostgreSQL's from `migrations/postgres/`. Each is applied once,
//! in order, with its checksum recorded, so an edited migration stops start-up instead of leaving
//! two databases with different schemas.

use super::{DbError, DbResult};
use tseeder_sqlite::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_accounts.sql",
        sql: include_str!("../../../migrations/0001_accounts.sql"),
    },
    Migration {
        version: 2,
        name: "0002_jobs.sql",
        sql: include_str!("../../../migrations/0002_jobs.sql"),
    },
    Migration {
        version: 3,
        name: "0003_agents.sql",
        sql: include_str!("../../../migrations/0003_agents.sql"),
    },
    Migration {
        version: 4,
        name: "0004_console.sql",
        sql: include_str!("../../../migrations/0004_console.sql"),
    },
    Migration {
        version: 5,
        name: "0005_mail_queue.sql",
        sql: include_str!("../../../migrations/0005_mail_queue.sql"),
    },
    Migration {
        version: 6,
        name: "0006_rate_windows.sql",
        sql: include_str!("../../../migrations/0006_rate_windows.sql"),
    },
    Migration {
        version: 7,
        name: "0007_list_indexes.sql",
        sql: include_str!("../../../migrations/0007_list_indexes.sql"),
    },
    Migration {
        version: 8,
        name: "0008_audit_indexes.sql",
        sql: include_str!("../../../migrations/0008_audit_indexes.sql"),
    },
    Migration {
        version: 9,
        name: "0009_more_list_indexes.sql",
        sql: include_str!("../../../migrations/0009_more_list_indexes.sql"),
    },
    Migration {
        version: 10,
        name: "0010_claim_indexes.sql",
        sql: include_str!("../../../migrations/0010_claim_indexes.sql"),
    },
    Migration {
        version: 11,
        name: "0011_webhooks.sql",
        sql: include_str!("../../../migrations/0011_webhooks.sql"),
    },
    Migration {
        version: 12,
        name: "0012_search.sql",
        sql: include_str!("../../../migrations/0012_search.sql"),
    },
    Migration {
        version: 13,
        name: "0013_runtime_settings.sql",
        sql: include_str!("../../../migrations/0013_runtime_settings.sql"),
    },
    Migration {
        version: 14,
        name: "0014_retention.sql",
        sql: include_str!("../../../migrations/0014_retention.sql"),
    },
    Migration {
        version: 15,
        name: "0015_status_history.sql",
        sql: include_str!("../../../migrations/0015_status_history.sql"),
    },
    Migration {
        version: 16,
        name: "0016_metric_rollups.sql",
        sql: include_str!("../../../migrations/0016_metric_rollups.sql"),
    },
    Migration {
        version: 17,
        name: "0017_providers.sql",
        sql: include_str!("../../../migrations/0017_providers.sql"),
    },
    Migration {
        version: 18,
        name: "0018_billing.sql",
        sql: include_str!("../../../migrations/0018_billing.sql"),
    },
    Migration {
        version: 19,
        name: "0019_organizations.sql",
        sql: include_str!("../../../migrations/0019_organizations.sql"),
    },
    Migration {
        version: 20,
        name: "0020_org_ownership.sql",
        sql: include_str!("../../../migrations/0020_org_ownership.sql"),
    },
    Migration {
        version: 21,
        name: "0021_org_billing.sql",
        sql: include_str!("../../../migrations/0021_org_billing.sql"),
    },
    Migration {
        version: 22,
        name: "0022_one_live_job_per_torrent_per_org.sql",
        sql: include_str!("../../../migrations/0022_one_live_job_per_torrent_per_org.sql"),
    },
    Migration {
        version: 23,
        name: "0023_quota_and_lease_indexes.sql",
        sql: include_str!("../../../migrations/0023_quota_and_lease_indexes.sql"),
    },
    Migration {
        version: 24,
        name: "0024_job_list_indexes.sql",
        sql: include_str!("../../../migrations/0024_job_list_indexes.sql"),
    },
    Migration {
        version: 25,
        name: "0025_status_list_index.sql",
        sql: include_str!("../../../migrations/0025_status_list_index.sql"),
    },
    Migration {
        version: 26,
        name: "0026_job_counts.sql",
        sql: include_str!("../../../migrations/0026_job_counts.sql"),
    },
];

pub const POSTGRES_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_schema.sql",
        sql: include_str!("../../../migrations/postgres/0001_schema.sql"),
    },
    Migration {
        version: 2,
        name: "0002_rate_windows.sql",
        sql: include_str!("../../../migrations/postgres/0002_rate_windows.sql"),
    },
    Migration {
        version: 3,
        name: "0003_list_indexes.sql",
        sql: include_str!("../../../migrations/postgres/0003_list_indexes.sql"),
    },
    Migration {
        version: 4,
        name: "0004_audit_indexes.sql",
        sql: include_str!("../../../migrations/postgres/0004_audit_indexes.sql"),
    },
    Migration {
        version: 5,
        name: "0005_more_list_indexes.sql",
        sql: include_str!("../../../migrations/postgres/0005_more_list_indexes.sql"),
    },
    Migration {
        version: 6,
        name: "0006_claim_indexes.sql",
        sql: include_str!("../../../migrations/postgres/0006_claim_indexes.sql"),
    },
    Migration {
        version: 7,
        name: "0007_webhooks.sql",
        sql: include_str!("../../../migrations/postgres/0007_webhooks.sql"),
    },
    Migration {
        version: 8,
        name: "0008_search.sql",
        sql: include_str!("../../../migrations/postgres/0008_search.sql"),
    },
    Migration {
        version: 9,
        name: "0009_runtime_settings.sql",
        sql: include_str!("../../../migrations/postgres/0009_runtime_settings.sql"),
    },
    Migration {
        version: 10,
        name: "0010_retention.sql",
        sql: include_str!("../../../migrations/postgres/0010_retention.sql"),
    },
    Migration {
        version: 11,
        name: "0011_status_history.sql",
        sql: include_str!("../../../migrations/postgres/0011_status_history.sql"),
    },
    Migration {
        version: 12,
        name: "0012_metric_rollups.sql",
        sql: include_str!("../../../migrations/postgres/0012_metric_rollups.sql"),
    },
    Migration {
        version: 13,
        name: "0013_providers.sql",
        sql: include_str!("../../../migrations/postgres/0013_providers.sql"),
    },
    Migration {
        version: 14,
        name: "0014_billing.sql",
        sql: include_str!("../../../migrations/postgres/0014_billing.sql"),
    },
    Migration {
        version: 15,
        name: "0015_organizations.sql",
        sql: include_str!("../../../migrations/postgres/0015_organizations.sql"),
    },
    Migration {
        version: 16,
        name: "0016_org_ownership.sql",
        sql: include_str!("../../../migrations/postgres/0016_org_ownership.sql"),
    },
    Migration {
        version: 17,
        name: "0017_org_billing.sql",
        sql: include_str!("../../../migrations/postgres/0017_org_billing.sql"),
    },
    Migration {
        version: 18,
        name: "0018_one_live_job_per_torrent_per_org.sql",
        sql: include_str!("../../../migrations/postgres/0018_one_live_job_per_torrent_per_org.sql"),
    },
    Migration {
        version: 19,
        name: "0019_quota_and_lease_indexes.sql",
        sql: include_str!("../../../migrations/postgres/0019_quota_and_lease_indexes.sql"),
    },
    Migration {
        version: 20,
        name: "0020_job_list_indexes.sql",
        sql: include_str!("../../../migrations/postgres/0020_job_list_indexes.sql"),
    },
    Migration {
        version: 21,
        name: "0021_status_list_index.sql",
        sql: include_str!("../../../migrations/postgres/0021_status_list_index.sql"),
    },
    Migration {
        version: 22,
        name: "0022_job_counts.sql",
        sql: include_str!("../../../migrations/postgres/0022_job_counts.sql"),
    },
];

/// Any number taken by every replica applying migrations, so that one applies them while the
/// others wait.
const MIGRATION_LOCK: i64 = 0x7473_6565_6465_7201;

/// Applies what `migrations` has that the database has not, one transaction per migration.
pub(crate) fn apply_postgres(
    client: &mut postgres::Client,
    migrations: &[Migration],
) -> DbResult<()> {
    client.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    BIGINT PRIMARY KEY,
             name       TEXT NOT NULL,
             checksum   TEXT NOT NULL,
             applied_at BIGINT NOT NULL
         )",
    )?;
    for migration in migrations {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        let recorded: Option<String> = tx
            .query_opt(
                "SELECT checksum FROM schema_migrations WHERE version = $1",
                &[&migration.version],
            )?
            .map(|row| row.get(0));
        if !migration.pending(recorded.as_deref())? {
            continue;
        }
        let sum = migration.checksum();
        tx.batch_execute(migration.sql)
            .map_err(|err| DbError::Migration {
                version: migration.version,
                name: migration.name,
                message: err.to_string(),
            })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
            &[&migration.version, &migration.name, &sum, &super::now_ms()],
        )?;
        tx.commit()?;
    }
    Ok(())
}

/// Applies every migration to `conn`, for tests that work on a bare connection.
#[cfg(test)]
pub(crate) fn apply(conn: &mut rusqlite::Connection) -> tseeder_sqlite::DbResult<()> {
    tseeder_sqlite::apply_migrations(conn, MIGRATIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_folder_listed(folder: &str, migrations: &[Migration]) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("migrations folder")
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<&str> = migrations.iter().map(|m| m.name).collect();
        assert_eq!(files, listed);
        for (position, migration) in migrations.iter().enumerate() {
            assert_eq!(migration.version, position as i64 + 1);
            assert!(migration
                .name
                .starts_with(&format!("{:04}_", migration.version)));
        }
    }

    #[test]
    fn every_file_in_each_folder_is_listed_in_order() {
        assert_folder_listed("../migrations", MIGRATIONS);
        assert_folder_listed("../migrations/postgres", POSTGRES_MIGRATIONS);
    }
}
