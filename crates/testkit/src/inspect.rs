//! The reads only tests make (the missions, projects, climate metadata and journal entries
//! a task wrote: the domain's from `zora_domain::inspect`), on no store trait: [`Inspector`] reaches them on the store under test,
//! and [`Subject`] is a store under test with its inspector, as the conformance suite
//! receives it.

use std::sync::Arc;

use zora_core::journal::JournalEntry;
use zora_core::{Page, Paginated, Store, TenantId};
use zora_domain::climate::tables::Mission;
use zora_domain::ids::{MissionId, ProductId, ShopProjectId};
use zora_domain::zora_shop::tables::{ProductClimateMeta, ShopProject};
use zora_store_postgres::PgStore;
use zora_store_sqlite::SqliteStore;

/// See the module documentation. Each read panics on a store error: a test's read that
/// fails is the test failing.
#[derive(Debug, Clone)]
pub enum Inspector {
    Postgres(PgStore),
    Sqlite(SqliteStore),
}

impl Inspector {
    /// `tenant`'s missions among `ids`, in `id` order.
    pub async fn missions(&self, tenant: TenantId, ids: &[MissionId]) -> Vec<Mission> {
        zora_domain::inspect::missions(self.store(), tenant, ids)
            .await
            .expect("read missions")
    }

    /// `tenant`'s shop projects among `ids`, in `id` order.
    pub async fn shop_projects(&self, tenant: TenantId, ids: &[ShopProjectId]) -> Vec<ShopProject> {
        zora_domain::inspect::shop_projects(self.store(), tenant, ids)
            .await
            .expect("read shop projects")
    }

    /// `tenant`'s climate metadata of the products among `products`, in `product_id` order.
    pub async fn product_climate_meta(
        &self,
        tenant: TenantId,
        products: &[ProductId],
    ) -> Vec<ProductClimateMeta> {
        zora_domain::inspect::product_climate_meta(self.store(), tenant, products)
            .await
            .expect("read climate metadata")
    }

    /// The store inspected, as the engine uses it.
    fn store(&self) -> &dyn Store {
        match self {
            Self::Postgres(store) => store,
            Self::Sqlite(store) => store,
        }
    }

    /// A page of `tenant`'s journal, newest first.
    pub async fn journal(&self, tenant: TenantId, page: Page) -> Paginated<JournalEntry> {
        match self {
            Self::Postgres(store) => store.journal(tenant, page).await,
            Self::Sqlite(store) => store.journal(tenant, page).await,
        }
        .expect("read the journal")
    }
}

/// A store under test with its [`Inspector`].
#[derive(Debug, Clone)]
pub struct Subject {
    store: Arc<dyn Store>,
    inspector: Inspector,
}

impl Subject {
    pub fn postgres(store: PgStore) -> Self {
        Self {
            store: Arc::new(store.clone()),
            inspector: Inspector::Postgres(store),
        }
    }

    pub fn sqlite(store: SqliteStore) -> Self {
        Self {
            store: Arc::new(store.clone()),
            inspector: Inspector::Sqlite(store),
        }
    }

    /// The store, as the engine uses it.
    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// The store, shared (for a case that works on it from a task of its own).
    pub fn shared(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// The reads only tests make, on this store.
    pub fn inspect(&self) -> &Inspector {
        &self.inspector
    }
}

/// What a suite case takes: `&dyn Store`, or `&Subject` when it reads what only tests
/// read (the suite's macro passes whichever the case declares).
pub trait FromSubject<'a> {
    fn from_subject(subject: &'a Subject) -> Self;
}

impl<'a> FromSubject<'a> for &'a dyn Store {
    fn from_subject(subject: &'a Subject) -> Self {
        subject.store()
    }
}

impl<'a> FromSubject<'a> for &'a Subject {
    fn from_subject(subject: &'a Subject) -> Self {
        subject
    }
}
