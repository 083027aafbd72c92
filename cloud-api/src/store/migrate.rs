//! The control plane's numbered migrations from the repository's `migrations/` folder, applied
//! once each and in order by `tseeder-sqlite`, which records their checksums.

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
];

/// Applies every migration to `conn`, for tests that work on a bare connection.
#[cfg(test)]
pub(crate) fn apply(conn: &mut rusqlite::Connection) -> tseeder_sqlite::DbResult<()> {
    tseeder_sqlite::apply_migrations(conn, MIGRATIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_the_folder_is_listed_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("migrations folder")
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
        assert_eq!(files, listed);
        for (position, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, position as i64 + 1);
            assert!(migration
                .name
                .starts_with(&format!("{:04}_", migration.version)));
        }
    }
}
