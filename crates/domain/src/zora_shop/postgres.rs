//! ZORA SHOP queries: brands, products, product climate metadata, shop projects.

use super::tables::{
    Brand, ClimateMetaUpsert, NewBrand, NewProduct, NewShopProject, Product, ProductClaims,
    ProductClimateMeta,
};
use crate::ids::{BrandId, ClimateMetaId, ProductId};
use uuid::Uuid;
use zora_core::{StoreError, TenantId};

use zora_store_sql::postgres as rows;
use zora_store_sql::postgres::{self as sql, Db, store_error};

use super::mappers;

pub(crate) async fn insert_brand(db: &mut impl Db, brand: &NewBrand) -> Result<(), StoreError> {
    sql::query(
        db.keep(),
        "INSERT INTO brands (id, tenant_id, name, slug) VALUES ($1, $2, $3, $4)",
    )
    .bind(brand.id.0)
    .bind(brand.tenant_id.0)
    .bind(&brand.name)
    .bind(&brand.slug)
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn insert_product(
    db: &mut impl Db,
    product: &NewProduct,
) -> Result<(), StoreError> {
    sql::query(
        db.keep(),
        "INSERT INTO products (id, tenant_id, name, slug, brand_id, estimated_impact_kgco2) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(product.id.0)
    .bind(product.tenant_id.0)
    .bind(&product.name)
    .bind(&product.slug)
    .bind(product.brand_id.map(|b| b.0))
    .bind(product.estimated_impact_kgco2)
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn product_claims(
    db: &mut impl Db,
    tenant: TenantId,
    only: Option<&[ProductId]>,
) -> Result<Vec<ProductClaims>, StoreError> {
    let found = sql::query(
        db.keep(),
        "SELECT p.id AS product_id, p.name AS product_name, \
           p.estimated_impact_kgco2::float8 AS product_estimate, m.climate_label, \
           m.estimated_impact_kgco2::float8 AS meta_estimate, m.certifications \
         FROM products p LEFT JOIN product_climate_meta m \
           ON m.product_id = p.id AND m.tenant_id = p.tenant_id \
         WHERE p.tenant_id = $1 AND ($2::uuid[] IS NULL OR p.id = ANY($2)) ORDER BY p.id",
    )
    .bind(tenant.0)
    .bind(only.map(|ids| ids.iter().map(|id| id.0).collect::<Vec<_>>()))
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    rows::all(&found, mappers::product_claims)
}

pub(crate) async fn brands(
    db: &mut impl Db,
    tenant: TenantId,
    ids: &[BrandId],
) -> Result<Vec<Brand>, StoreError> {
    rows::tenant_rows_by_ids(
        db,
        "SELECT id, tenant_id, name, slug FROM brands \
         WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id",
        tenant,
        ids,
        mappers::brand,
    )
    .await
}

pub(crate) async fn products(
    db: &mut impl Db,
    tenant: TenantId,
    ids: &[ProductId],
) -> Result<Vec<Product>, StoreError> {
    rows::tenant_rows_by_ids(
        db,
        "SELECT id, tenant_id, name, slug, brand_id FROM products \
         WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id",
        tenant,
        ids,
        mappers::product,
    )
    .await
}

pub(crate) async fn upsert_climate_meta(
    db: &mut impl Db,
    upserts: &[ClimateMetaUpsert],
) -> Result<Vec<(ProductId, ClimateMetaId)>, StoreError> {
    let column =
        |f: fn(&ClimateMetaUpsert) -> (bool, Option<String>)| -> (Vec<bool>, Vec<Option<String>>) {
            upserts.iter().map(f).unzip()
        };
    let (label_given, label) = column(|u| u.climate_label.split());
    let (certifications_given, certifications) = column(|u| u.certifications.split());
    let (notes_given, notes) = column(|u| u.notes.split());
    let (impact_given, impact): (Vec<bool>, Vec<Option<f64>>) = upserts
        .iter()
        .map(|u| u.estimated_impact_kgco2.split())
        .unzip();
    // One statement (one snapshot): the products with a row of their tenant have it
    // patched; the others get a row with the upsert's id, unless one appeared meanwhile
    // (or belongs to another tenant), which is then missing from what comes back.
    let written: Vec<(Uuid, Uuid)> = sql::query_as(
        db.keep(),
        "WITH u AS (SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::bool[], $5::text[], \
             $6::bool[], $7::float8[], $8::bool[], $9::text[], $10::bool[], $11::text[]) \
           AS u(id, tenant_id, product_id, label_given, label, impact_given, impact, \
             certifications_given, certifications, notes_given, notes)), \
         patched AS (UPDATE product_climate_meta m SET \
             climate_label = CASE WHEN u.label_given THEN u.label ELSE m.climate_label END, \
             estimated_impact_kgco2 = CASE WHEN u.impact_given THEN u.impact \
               ELSE m.estimated_impact_kgco2 END, \
             certifications = CASE WHEN u.certifications_given THEN u.certifications \
               ELSE m.certifications END, \
             notes = CASE WHEN u.notes_given THEN u.notes ELSE m.notes END \
           FROM u WHERE m.product_id = u.product_id AND m.tenant_id = u.tenant_id \
           RETURNING m.product_id, m.id), \
         created AS (INSERT INTO product_climate_meta \
             (id, tenant_id, product_id, climate_label, estimated_impact_kgco2, certifications, notes) \
           SELECT u.id, u.tenant_id, u.product_id, u.label, u.impact, u.certifications, u.notes \
           FROM u WHERE NOT EXISTS (SELECT 1 FROM product_climate_meta m WHERE m.product_id = u.product_id) \
           ON CONFLICT (product_id) DO NOTHING RETURNING product_id, id) \
         SELECT product_id, id FROM patched UNION ALL SELECT product_id, id FROM created",
    )
    .bind(upserts.iter().map(|u| u.id.0).collect::<Vec<_>>())
    .bind(upserts.iter().map(|u| u.tenant_id.0).collect::<Vec<_>>())
    .bind(upserts.iter().map(|u| u.product_id.0).collect::<Vec<_>>())
    .bind(label_given)
    .bind(label)
    .bind(impact_given)
    .bind(impact)
    .bind(certifications_given)
    .bind(certifications)
    .bind(notes_given)
    .bind(notes)
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    Ok(written
        .into_iter()
        .map(|(product, id)| (ProductId(product), ClimateMetaId(id)))
        .collect())
}

pub(crate) async fn insert_shop_projects(
    db: &mut impl Db,
    projects: &[NewShopProject],
) -> Result<(), StoreError> {
    sql::query(
        db.keep(),
        "INSERT INTO zora_shop_projects (id, tenant_id, title, description, status, primary_brand_id, \
           secondary_brand_id, theme, target_launch_date) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], \
           $7::uuid[], $8::text[], $9::date[])",
    )
    .bind(projects.iter().map(|p| p.id.0).collect::<Vec<_>>())
    .bind(projects.iter().map(|p| p.tenant_id.0).collect::<Vec<_>>())
    .bind(projects.iter().map(|p| p.title.as_str()).collect::<Vec<_>>())
    .bind(projects.iter().map(|p| p.description.as_deref()).collect::<Vec<_>>())
    .bind(projects.iter().map(|p| p.status.as_str()).collect::<Vec<_>>())
    .bind(projects.iter().map(|p| p.primary_brand_id.0).collect::<Vec<_>>())
    .bind(projects.iter().map(|p| p.secondary_brand_id.map(|b| b.0)).collect::<Vec<_>>())
    .bind(projects.iter().map(|p| p.theme.as_deref()).collect::<Vec<_>>())
    .bind(projects.iter().map(|p| p.target_launch_date).collect::<Vec<_>>())
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn climate_meta(
    db: &mut impl Db,
    tenant: TenantId,
    product_ids: &[ProductId],
) -> Result<Vec<ProductClimateMeta>, StoreError> {
    rows::tenant_rows_by_ids(
        db.conn(),
        "SELECT id, tenant_id, product_id, climate_label, \
           estimated_impact_kgco2::float8 AS estimated_impact_kgco2, certifications, notes \
         FROM product_climate_meta WHERE tenant_id = $1 AND product_id = ANY($2) ORDER BY product_id",
        tenant,
        product_ids,
        mappers::climate_meta,
    )
    .await
}
