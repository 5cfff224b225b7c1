//! ZORA SHOP queries on SQLite: brands, products, product climate metadata, shop projects.

use serde_json::{Value, json};
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;
use zora_core::shop::{
    Brand, ClimateMetaUpsert, NewBrand, NewProduct, NewShopProject, Product, UpsertAction,
};
use zora_core::{BrandId, ClimateMetaId, ProductId, StoreError, TenantId};
use zora_store_sql::mappers;

use crate::error::store_error;
use crate::rows;
use crate::values::{NOW, round2};

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
        "INSERT INTO products (id, tenant_id, name, slug, brand_id) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(product.id.to_string())
    .bind(product.tenant_id.to_string())
    .bind(&product.name)
    .bind(&product.slug)
    .bind(product.brand_id.map(|b| b.to_string()))
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn brands(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    ids: &[BrandId],
) -> Result<Vec<Brand>, StoreError> {
    rows::tenant_rows_by_ids(
        conn,
        "SELECT id, tenant_id, name, slug FROM brands \
         WHERE tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2)) ORDER BY id",
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
         WHERE tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2)) ORDER BY id",
        tenant,
        ids,
        mappers::product,
    )
    .await
}

pub(crate) async fn upsert_climate_meta(
    conn: &mut SqliteConnection,
    upsert: &ClimateMetaUpsert,
) -> Result<(ClimateMetaId, UpsertAction), StoreError> {
    let (label_given, label) = upsert.climate_label.split();
    let (impact_given, impact) = upsert.estimated_impact_kgco2.split();
    let (certifications_given, certifications) = upsert.certifications.split();
    let (notes_given, notes) = upsert.notes.split();
    // An existing row keeps its id, so the id that comes back tells created from updated.
    // The update is limited to the same tenant, so another tenant's row is never touched.
    let row = sqlx::query(&format!(
        "INSERT INTO product_climate_meta \
           (id, tenant_id, product_id, climate_label, estimated_impact_kgco2, certifications, notes) \
         VALUES (?1, ?2, ?3, ?5, ?7, ?9, ?11) \
         ON CONFLICT (product_id) DO UPDATE SET \
           climate_label = CASE WHEN ?4 THEN excluded.climate_label ELSE climate_label END, \
           estimated_impact_kgco2 = CASE WHEN ?6 THEN excluded.estimated_impact_kgco2 ELSE estimated_impact_kgco2 END, \
           certifications = CASE WHEN ?8 THEN excluded.certifications ELSE certifications END, \
           notes = CASE WHEN ?10 THEN excluded.notes ELSE notes END, \
           updated_at = {NOW} \
         WHERE product_climate_meta.tenant_id = excluded.tenant_id \
         RETURNING id"
    ))
    .bind(upsert.id.to_string())
    .bind(upsert.tenant_id.to_string())
    .bind(upsert.product_id.to_string())
    .bind(label_given)
    .bind(label)
    .bind(impact_given)
    .bind(impact.map(round2))
    .bind(certifications_given)
    .bind(certifications)
    .bind(notes_given)
    .bind(notes)
    .fetch_optional(conn)
    .await
    .map_err(store_error)?;
    let row = row.ok_or_else(|| StoreError::Conflict {
        constraint: "product_climate_meta.product_id belongs to another tenant".into(),
    })?;
    let id: String = row.try_get("id").map_err(store_error)?;
    let id =
        Uuid::parse_str(&id).map_err(|e| StoreError::Other(format!("climate meta id: {e}")))?;
    let id = ClimateMetaId(id);
    Ok((id, UpsertAction::from_ids(id, upsert.id)))
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

#[zora_store_sql::async_trait]
impl zora_core::ShopTx for crate::tx::SqliteTx {
    async fn insert_brand(&mut self, brand: &NewBrand) -> Result<(), StoreError> {
        insert_brand(self.write().await?, brand).await
    }
    async fn insert_product(&mut self, product: &NewProduct) -> Result<(), StoreError> {
        insert_product(self.write().await?, product).await
    }
    async fn brands(
        &mut self,
        tenant: TenantId,
        ids: &[BrandId],
    ) -> Result<Vec<Brand>, StoreError> {
        brands(self.read(), tenant, ids).await
    }
    async fn products(
        &mut self,
        tenant: TenantId,
        ids: &[ProductId],
    ) -> Result<Vec<Product>, StoreError> {
        products(self.read(), tenant, ids).await
    }
    async fn upsert_product_climate_meta(
        &mut self,
        upsert: &ClimateMetaUpsert,
    ) -> Result<(ClimateMetaId, UpsertAction), StoreError> {
        upsert_climate_meta(self.write().await?, upsert).await
    }
    async fn insert_shop_projects(
        &mut self,
        projects: &[NewShopProject],
    ) -> Result<(), StoreError> {
        insert_shop_projects(self.write().await?, projects).await
    }
}
