//! ZORA SHOP queries on SQLite: brands, products, product climate metadata, shop projects.

use super::tables::{
    Brand, ClimateMetaUpsert, NewBrand, NewProduct, NewShopProject, Patch, Product, ProductClaims,
    ProductClimateMeta,
};
use crate::ids::{BrandId, ClimateMetaId, ProductId};
use serde_json::{Value, json};
use sqlx::SqliteConnection;
use uuid::Uuid;
use zora_core::{StoreError, TenantId};
use zora_store_sql::sqlite::{self as rows, NOW, round2, store_error};

use super::mappers;

pub(crate) async fn insert_brand(
    conn: &mut SqliteConnection,
    brand: &NewBrand,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO brands (id, tenant_id, name, slug) VALUES (?1, ?2, ?3, ?4)")
        .bind(brand.id.to_string())
        .bind(brand.tenant_id.to_string())
        .bind(&brand.name)
        .bind(&brand.slug)
        .execute(conn)
        .await
        .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn insert_product(
    conn: &mut SqliteConnection,
    product: &NewProduct,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO products (id, tenant_id, name, slug, brand_id, estimated_impact_kgco2) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(product.id.to_string())
    .bind(product.tenant_id.to_string())
    .bind(&product.name)
    .bind(&product.slug)
    .bind(product.brand_id.map(|b| b.to_string()))
    .bind(product.estimated_impact_kgco2.map(round2))
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn product_claims(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    only: Option<&[ProductId]>,
) -> Result<Vec<ProductClaims>, StoreError> {
    // Given ids, `+`: their primary key finds the rows, not the tenant's index.
    let filter = if only.is_some() {
        "+p.tenant_id = ?1 AND p.id IN (SELECT value FROM json_each(?2))"
    } else {
        "p.tenant_id = ?1"
    };
    let sql = format!(
        "SELECT p.id AS product_id, p.name AS product_name, \
           p.estimated_impact_kgco2 AS product_estimate, m.climate_label, \
           m.estimated_impact_kgco2 AS meta_estimate, m.certifications \
         FROM products p LEFT JOIN product_climate_meta m \
           ON m.product_id = p.id AND m.tenant_id = p.tenant_id \
         WHERE {filter} ORDER BY p.id"
    );
    let found = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(only.map(zora_store_sql::sqlite::id_array))
        .fetch_all(conn)
        .await
        .map_err(store_error)?;
    rows::all(&found, mappers::product_claims)
}

pub(crate) async fn brands(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    ids: &[BrandId],
) -> Result<Vec<Brand>, StoreError> {
    rows::tenant_rows_by_ids(
        conn,
        "SELECT id, tenant_id, name, slug FROM brands \
         WHERE +tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2)) ORDER BY id",
        tenant,
        ids,
        mappers::brand,
    )
    .await
}

pub(crate) async fn products(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    ids: &[ProductId],
) -> Result<Vec<Product>, StoreError> {
    rows::tenant_rows_by_ids(
        conn,
        "SELECT id, tenant_id, name, slug, brand_id FROM products \
         WHERE +tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2)) ORDER BY id",
        tenant,
        ids,
        mappers::product,
    )
    .await
}

pub(crate) async fn upsert_climate_meta(
    conn: &mut SqliteConnection,
    upserts: &[ClimateMetaUpsert],
) -> Result<Vec<(ProductId, ClimateMetaId)>, StoreError> {
    let batch: Vec<Value> = upserts
        .iter()
        .map(|u| {
            let field =
                |(given, value): (bool, Option<Value>)| json!({"given": given, "value": value});
            json!({
                "id": u.id.to_string(),
                "tenant_id": u.tenant_id.to_string(),
                "product_id": u.product_id.to_string(),
                "label": field(split_json(&u.climate_label)),
                "impact": field({
                    let (given, impact) = u.estimated_impact_kgco2.split();
                    (given, impact.map(|v| Value::from(round2(v))))
                }),
                "certifications": field(split_json(&u.certifications)),
                "notes": field(split_json(&u.notes)),
            })
        })
        .collect();
    let batch = Value::from(batch).to_string();
    let patch = |column: &str, key: &str| {
        format!(
            "{column} = CASE WHEN b.value ->> '$.{key}.given' THEN b.value ->> '$.{key}.value' \
             ELSE {column} END"
        )
    };
    // The writer's lock holds between the two statements: the products with a row of
    // their tenant have it patched, the others get a row with the upsert's id (one of
    // another tenant's stays, and is missing from what comes back).
    let mut written: Vec<(String, String)> = sqlx::query_as(&format!(
        "UPDATE product_climate_meta SET {label}, {impact}, {certifications}, {notes}, \
           updated_at = {NOW} \
         FROM json_each(?1) AS b \
         WHERE product_climate_meta.product_id = b.value ->> '$.product_id' \
           AND product_climate_meta.tenant_id = b.value ->> '$.tenant_id' \
         RETURNING product_id, id",
        label = patch("climate_label", "label"),
        impact = patch("estimated_impact_kgco2", "impact"),
        certifications = patch("certifications", "certifications"),
        notes = patch("notes", "notes"),
    ))
    .bind(&batch)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    let created: Vec<(String, String)> = sqlx::query_as(
        "INSERT INTO product_climate_meta \
           (id, tenant_id, product_id, climate_label, estimated_impact_kgco2, certifications, notes) \
         SELECT b.value ->> '$.id', b.value ->> '$.tenant_id', b.value ->> '$.product_id', \
           b.value ->> '$.label.value', b.value ->> '$.impact.value', \
           b.value ->> '$.certifications.value', b.value ->> '$.notes.value' \
         FROM json_each(?1) AS b \
         WHERE NOT EXISTS (SELECT 1 FROM product_climate_meta m \
           WHERE m.product_id = b.value ->> '$.product_id') \
         ON CONFLICT (product_id) DO NOTHING RETURNING product_id, id",
    )
    .bind(&batch)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    written.extend(created);
    written
        .into_iter()
        .map(|(product, id)| {
            let parse = |text: &str| {
                Uuid::parse_str(text).map_err(|e| StoreError::Other(format!("climate meta: {e}")))
            };
            Ok((ProductId(parse(&product)?), ClimateMetaId(parse(&id)?)))
        })
        .collect()
}

/// A patch as `(given, value)` with its value as JSON.
fn split_json<T: Clone + Into<Value>>(patch: &Patch<T>) -> (bool, Option<Value>) {
    let (given, value) = patch.split();
    (given, value.map(Into::into))
}

pub(crate) async fn insert_shop_projects(
    conn: &mut SqliteConnection,
    projects: &[NewShopProject],
) -> Result<(), StoreError> {
    let batch: Vec<Value> = projects
        .iter()
        .map(|p| {
            json!({
                "id": p.id.to_string(),
                "tenant_id": p.tenant_id.to_string(),
                "title": p.title,
                "description": p.description,
                "status": p.status,
                "primary_brand_id": p.primary_brand_id.to_string(),
                "secondary_brand_id": p.secondary_brand_id.map(|b| b.to_string()),
                "theme": p.theme,
                "target_launch_date": p.target_launch_date.map(|d| d.to_string()),
            })
        })
        .collect();
    sqlx::query(
        "INSERT INTO zora_shop_projects (id, tenant_id, title, description, status, primary_brand_id, \
           secondary_brand_id, theme, target_launch_date) \
         SELECT value ->> '$.id', value ->> '$.tenant_id', value ->> '$.title', value ->> '$.description', \
           value ->> '$.status', value ->> '$.primary_brand_id', value ->> '$.secondary_brand_id', \
           value ->> '$.theme', value ->> '$.target_launch_date' FROM json_each(?1) ORDER BY key",
    )
    .bind(Value::from(batch).to_string())
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn climate_meta<'e>(
    conn: impl sqlx::SqliteExecutor<'e>,
    tenant: TenantId,
    product_ids: &[ProductId],
) -> Result<Vec<ProductClimateMeta>, StoreError> {
    rows::tenant_rows_by_ids(
        conn,
        "SELECT id, tenant_id, product_id, climate_label, estimated_impact_kgco2, certifications, notes \
         FROM product_climate_meta \
         WHERE tenant_id = ?1 AND product_id IN (SELECT value FROM json_each(?2)) ORDER BY product_id",
        tenant,
        product_ids,
        mappers::climate_meta,
    )
    .await
}
