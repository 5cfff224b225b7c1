//! The SQLite test harness: each test gets a database file in a directory of its own,
//! removed at the end.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use zora_core::Store;
use zora_store_sqlite::{SqliteStore, SqliteStoreOptions};

/// A fresh directory for one test's database files, removed when dropped.
#[derive(Debug)]
pub struct TestSqlite {
    dir: PathBuf,
}

impl TestSqlite {
    /// A new, empty directory under the system's temporary directory.
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("zora-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("create the test directory");
        Self { dir }
    }

    /// The database file's path (it need not exist yet).
    pub fn path(&self) -> PathBuf {
        self.dir.join("zora.db")
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `sqlite://` URL of the database file.
    pub fn url(&self) -> String {
        format!("sqlite://{}", self.path().display())
    }

    /// Opens (creating and migrating) the database.
    pub async fn store(&self) -> SqliteStore {
        zora_store_sqlite::open(&self.url(), &store_options())
            .await
            .expect("open the SQLite store")
    }

    /// The store as the trait object the engine uses.
    pub async fn dyn_store(&self) -> Arc<dyn Store> {
        Arc::new(self.store().await)
    }
}

impl Default for TestSqlite {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestSqlite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The options a test's file opens with: the defaults, and ZORA's domain.
pub fn store_options() -> SqliteStoreOptions {
    SqliteStoreOptions {
        domains: vec![zora_domain::migrations::SQLITE],
        ..SqliteStoreOptions::default()
    }
}
