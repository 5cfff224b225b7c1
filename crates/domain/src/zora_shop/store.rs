//! The ZORA SHOP rows a task's transaction reads and writes, each function one query on
//! the transaction's connection, in the backend's own SQL ([`super::postgres`],
//! [`super::sqlite`]). Reads are tenant-scoped and take a batch of ids (one round trip
//! for a whole batch); writes take rows that carry their tenant, and take the task's
//! savepoint first when its part is undoable ([`HandlerTx::writer`]).

use zora_core::{HandlerTx, ReadTx, StoreError, TenantId};
use zora_store_sql::Sql;

use super::tables::{
    Brand, ClimateMetaUpsert, NewBrand, NewProduct, NewShopProject, Product, ProductClaims,
    ProductClimateMeta,
};
use super::{postgres, sqlite};
use crate::ids::{BrandId, ClimateMetaId, ProductId};

/// Creates a brand.
pub async fn insert_brand(tx: &mut dyn HandlerTx, brand: &NewBrand) -> Result<(), StoreError> {
    match Sql::open(tx.writer().await?)? {
        Sql::Postgres(mut db) => postgres::insert_brand(&mut db, brand).await,
        Sql::Sqlite(conn) => sqlite::insert_brand(conn, brand).await,
    }
}

/// Creates a product.
pub async fn insert_product(
    tx: &mut dyn HandlerTx,
    product: &NewProduct,
) -> Result<(), StoreError> {
    match Sql::open(tx.writer().await?)? {
        Sql::Postgres(mut db) => postgres::insert_product(&mut db, product).await,
        Sql::Sqlite(conn) => sqlite::insert_product(conn, product).await,
    }
}

/// The products of `tenant` among `only` (`None`: every one) with their climate
/// metadata, in one read, by `id`.
pub async fn product_claims(
    tx: &mut dyn ReadTx,
    tenant: TenantId,
    only: Option<&[ProductId]>,
) -> Result<Vec<ProductClaims>, StoreError> {
    match Sql::open(tx.reader())? {
        Sql::Postgres(mut db) => postgres::product_claims(&mut db, tenant, only).await,
        Sql::Sqlite(conn) => sqlite::product_claims(conn, tenant, only).await,
    }
}

/// `tenant`'s brands among `ids`, in `id` order.
pub async fn brands(
    tx: &mut dyn ReadTx,
    tenant: TenantId,
    ids: &[BrandId],
) -> Result<Vec<Brand>, StoreError> {
    match Sql::open(tx.reader())? {
        Sql::Postgres(mut db) => postgres::brands(&mut db, tenant, ids).await,
        Sql::Sqlite(conn) => sqlite::brands(conn, tenant, ids).await,
    }
}

/// `tenant`'s products among `ids`, in `id` order.
pub async fn products(
    tx: &mut dyn ReadTx,
    tenant: TenantId,
    ids: &[ProductId],
) -> Result<Vec<Product>, StoreError> {
    match Sql::open(tx.reader())? {
        Sql::Postgres(mut db) => postgres::products(&mut db, tenant, ids).await,
        Sql::Sqlite(conn) => sqlite::products(conn, tenant, ids).await,
    }
}

/// `tenant`'s climate metadata of the products among `product_ids`, in `product_id`
/// order.
pub async fn climate_meta(
    tx: &mut dyn ReadTx,
    tenant: TenantId,
    product_ids: &[ProductId],
) -> Result<Vec<ProductClimateMeta>, StoreError> {
    match Sql::open(tx.reader())? {
        Sql::Postgres(mut db) => postgres::climate_meta(&mut db, tenant, product_ids).await,
        Sql::Sqlite(conn) => sqlite::climate_meta(conn, tenant, product_ids).await,
    }
}

/// Writes products' climate metadata (one upsert per product) in one statement: a
/// product with a row of its tenant has it patched, one without gets a row with the
/// upsert's id. Returns `(product, row id)` of the rows written; a product missing
/// from them has a row of another tenant, or one created meanwhile by another
/// transaction (its id then differs from the upsert's).
pub async fn upsert_product_climate_meta(
    tx: &mut dyn HandlerTx,
    upserts: &[ClimateMetaUpsert],
) -> Result<Vec<(ProductId, ClimateMetaId)>, StoreError> {
    match Sql::open(tx.writer().await?)? {
        Sql::Postgres(mut db) => postgres::upsert_climate_meta(&mut db, upserts).await,
        Sql::Sqlite(conn) => sqlite::upsert_climate_meta(conn, upserts).await,
    }
}

/// Creates shop projects, in one statement.
pub async fn insert_shop_projects(
    tx: &mut dyn HandlerTx,
    projects: &[NewShopProject],
) -> Result<(), StoreError> {
    match Sql::open(tx.writer().await?)? {
        Sql::Postgres(mut db) => postgres::insert_shop_projects(&mut db, projects).await,
        Sql::Sqlite(conn) => sqlite::insert_shop_projects(conn, projects).await,
    }
}
