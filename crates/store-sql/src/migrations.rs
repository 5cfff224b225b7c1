//! Migrations embedded in the binary as numbered SQL files, for sqlx's migrator.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::migrate::{Migration, MigrationSource, MigrationType};

/// One migration: its version, a short description, and its SQL (`include_str!`).
pub type MigrationFile = (i64, &'static str, &'static str);

/// A store's migrations, in order, as a source sqlx's `Migrator::new` reads.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedMigrations(pub &'static [MigrationFile]);

impl EmbeddedMigrations {
    /// `0003 engine columns` for every migration whose version is not in `applied`.
    pub fn pending(&self, applied: &[i64]) -> Vec<String> {
        self.0
            .iter()
            .filter(|(version, _, _)| !applied.contains(version))
            .map(|(version, description, _)| label(*version, description))
            .collect()
    }

    /// The versions in `applied` this binary does not know (a newer engine's).
    pub fn unknown(&self, applied: &[i64]) -> Vec<i64> {
        applied
            .iter()
            .copied()
            .filter(|version| !self.0.iter().any(|(v, _, _)| v == version))
            .collect()
    }

    /// The label of `version`, for error messages.
    pub fn label_of(&self, version: i64) -> String {
        let description = self
            .0
            .iter()
            .find(|(v, _, _)| *v == version)
            .map_or("", |(_, d, _)| *d);
        label(version, description)
    }
}

impl MigrationSource<'static> for EmbeddedMigrations {
    #[allow(clippy::type_complexity)]
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, sqlx::error::BoxDynError>> + Send>>
    {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// `0003 engine columns`: how a migration is named in reports.
pub fn label(version: i64, description: &str) -> String {
    format!("{version:04} {description}")
}
