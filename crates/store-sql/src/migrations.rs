//! Migrations embedded in the binary as numbered SQL files, for sqlx's migrator, in sets:
//! the queue's (each store's own, versions below [`DOMAIN_VERSIONS`]) and each domain's
//! (its own tables, versions from [`DOMAIN_VERSIONS`] on). A store runs every set it is
//! given, in version order, so the queue's tables exist before a domain's refer to them.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::migrate::{Migration, MigrationSource, MigrationType};

/// One migration: its version, a short description, and its SQL (`include_str!`).
pub type MigrationFile = (i64, &'static str, &'static str);

/// The first version a domain's set may use; the queue's are below it.
pub const DOMAIN_VERSIONS: i64 = 1000;

/// A migration whose text changed after databases applied it (the domain's tables moved
/// out of the queue's first migration), with the SHA-384 checksum, in hex, of the text it
/// was applied with. The migrator records the new text's checksum for a database that
/// applied the old one, and sqlx then accepts it; what the old text created is the
/// domain's set's to keep (its statements are `IF NOT EXISTS`).
#[derive(Debug, Clone, Copy)]
pub struct Superseded {
    pub version: i64,
    pub checksum_hex: &'static str,
}

/// An index built with `CREATE INDEX CONCURRENTLY` after the migrations (PostgreSQL): its
/// name and what follows `ON` in its definition.
#[derive(Debug, Clone, Copy)]
pub struct IndexDef {
    pub name: &'static str,
    pub unique: bool,
    pub on: &'static str,
}

/// A plain index.
pub const fn index(name: &'static str, on: &'static str) -> IndexDef {
    IndexDef {
        name,
        unique: false,
        on,
    }
}

/// A unique index.
pub const fn unique(name: &'static str, on: &'static str) -> IndexDef {
    IndexDef {
        name,
        unique: true,
        on,
    }
}

/// One owner's migrations for one backend.
#[derive(Debug, Clone, Copy)]
pub struct MigrationSet {
    /// Who owns it: `queue`, or a domain's name.
    pub owner: &'static str,
    pub files: &'static [MigrationFile],
    pub superseded: &'static [Superseded],
    /// The indexes built concurrently after the migrations (PostgreSQL; empty on SQLite,
    /// whose migrations create theirs).
    pub indexes: &'static [IndexDef],
}

/// Every migration of a store's sets, in version order, as a source sqlx's
/// `Migrator::new` reads.
#[derive(Debug, Clone)]
pub struct EmbeddedMigrations {
    files: Vec<MigrationFile>,
    superseded: Vec<Superseded>,
    indexes: Vec<IndexDef>,
}

impl EmbeddedMigrations {
    /// The migrations of `sets`, the first one's indexes first.
    pub fn of(sets: &[MigrationSet]) -> Self {
        let mut files: Vec<MigrationFile> =
            sets.iter().flat_map(|s| s.files.iter().copied()).collect();
        files.sort_by_key(|(version, _, _)| *version);
        Self {
            files,
            superseded: sets
                .iter()
                .flat_map(|s| s.superseded.iter().copied())
                .collect(),
            indexes: sets
                .iter()
                .flat_map(|s| s.indexes.iter().copied())
                .collect(),
        }
    }

    /// The indexes to build concurrently.
    pub fn indexes(&self) -> &[IndexDef] {
        &self.indexes
    }

    /// `0003 engine columns` for every migration whose version is not in `applied`.
    pub fn pending(&self, applied: &[i64]) -> Vec<String> {
        self.files
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
            .filter(|version| !self.files.iter().any(|(v, _, _)| v == version))
            .collect()
    }

    /// The label of `version`, for error messages.
    pub fn label_of(&self, version: i64) -> String {
        let description = self
            .files
            .iter()
            .find(|(v, _, _)| *v == version)
            .map_or("", |(_, d, _)| *d);
        label(version, description)
    }

    /// For each superseded migration: its version, the checksum it was applied with, and
    /// the checksum of its text now (what sqlx compares).
    pub fn checksum_updates(&self) -> Vec<(i64, Vec<u8>, Vec<u8>)> {
        self.superseded
            .iter()
            .filter_map(|old| {
                let (version, description, sql) =
                    self.files.iter().find(|(v, _, _)| *v == old.version)?;
                let now = migration(*version, description, sql).checksum.into_owned();
                Some((old.version, from_hex(old.checksum_hex), now))
            })
            .collect()
    }
}

fn migration(version: i64, description: &'static str, sql: &'static str) -> Migration {
    Migration::new(
        version,
        Cow::Borrowed(description),
        MigrationType::Simple,
        Cow::Borrowed(sql),
        false,
    )
}

/// Bytes from their hex text (a checksum written in the source).
fn from_hex(text: &str) -> Vec<u8> {
    text.as_bytes()
        .chunks(2)
        .filter_map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

impl MigrationSource<'static> for EmbeddedMigrations {
    #[allow(clippy::type_complexity)]
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, sqlx::error::BoxDynError>> + Send>>
    {
        Box::pin(async move {
            Ok(self
                .files
                .iter()
                .map(|(version, description, sql)| migration(*version, description, sql))
                .collect())
        })
    }
}

/// `0003 engine columns`: how a migration is named in reports.
pub fn label(version: i64, description: &str) -> String {
    format!("{version:04} {description}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_checksums_read_back_as_bytes() {
        assert_eq!(from_hex("00ff10"), vec![0x00, 0xff, 0x10]);
        let sql = "SELECT 1;";
        let checksum = migration(1, "one", sql).checksum.into_owned();
        let hex: String = checksum.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(from_hex(&hex), checksum);
    }

    #[test]
    fn sets_run_in_version_order() {
        const QUEUE: MigrationSet = MigrationSet {
            owner: "queue",
            files: &[(1, "one", "SELECT 1;"), (2, "two", "SELECT 2;")],
            superseded: &[],
            indexes: &[],
        };
        const DOMAIN: MigrationSet = MigrationSet {
            owner: "domain",
            files: &[(DOMAIN_VERSIONS + 1, "tables", "SELECT 3;")],
            superseded: &[],
            indexes: &[],
        };
        let all = EmbeddedMigrations::of(&[DOMAIN, QUEUE]);
        assert_eq!(all.pending(&[]), ["0001 one", "0002 two", "1001 tables"]);
        assert_eq!(all.unknown(&[1, 7]), [7]);
    }
}
