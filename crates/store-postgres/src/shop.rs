//! ZORA SHOP queries: brands, products, product climate metadata, shop projects.

use sqlx::Row;
use uuid::Uuid;
use zora_core::shop::{
    Brand, ClimateMetaUpsert, NewBrand, NewProduct, NewShopProject, Product, UpsertAction,
};
use zora_core::{BrandId, ClimateMetaId, ProductId, StoreError, TenantId};

use crate::error::store_error;
use zora_store_sql::mappers;

use crate::rows;
use crate::sql::Db;

pub(crate) async fn insert_brand(db: &mut impl Db, brand: &NewBrand) -> Result<(), StoreError> {
    crate::sql::query(
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
    crate::sql::query(
        db.keep(),
        "INSERT INTO products (id, tenant_id, name, slug, brand_id) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(product.id.0)
    .bind(product.tenant_id.0)
    .bind(&product.name)
    .bind(&product.slug)
    .bind(product.brand_id.map(|b| b.0))
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
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
    upsert: &ClimateMetaUpsert,
) -> Result<(ClimateMetaId, UpsertAction), StoreError> {
    let (label_given, label) = upsert.climate_label.split();
    let (impact_given, impact) = upsert.estimated_impact_kgco2.split();
    let (certifications_given, certifications) = upsert.certifications.split();
    let (notes_given, notes) = upsert.notes.split();
    // An existing row keeps its id, so the id that comes back tells created from updated.
    // The update is limited to the same tenant, so another tenant's row is never touched.
    let row = crate::sql::query(
        db.keep(),
        "INSERT INTO product_climate_meta AS m \
           (id, tenant_id, product_id, climate_label, estimated_impact_kgco2, certifications, notes) \
         VALUES ($1, $2, $3, $5, $7::float8, $9, $11) \
         ON CONFLICT (product_id) DO UPDATE SET \
           climate_label = CASE WHEN $4 THEN EXCLUDED.climate_label ELSE m.climate_label END, \
           estimated_impact_kgco2 = CASE WHEN $6 THEN EXCLUDED.estimated_impact_kgco2 ELSE m.estimated_impact_kgco2 END, \
           certifications = CASE WHEN $8 THEN EXCLUDED.certifications ELSE m.certifications END, \
           notes = CASE WHEN $10 THEN EXCLUDED.notes ELSE m.notes END \
         WHERE m.tenant_id = EXCLUDED.tenant_id \
         RETURNING m.id",
    )
    .bind(upsert.id.0)
    .bind(upsert.tenant_id.0)
    .bind(upsert.product_id.0)
    .bind(label_given)
    .bind(label)
    .bind(impact_given)
    .bind(impact)
    .bind(certifications_given)
    .bind(certifications)
    .bind(notes_given)
    .bind(notes)
    .fetch_optional(db.conn())
    .await
    .map_err(store_error)?;
    let row = row.ok_or_else(|| StoreError::Conflict {
        constraint: "product_climate_meta_product_id_key".into(),
    })?;
    let id: Uuid = row.try_get("id").map_err(store_error)?;
    let id = ClimateMetaId(id);
    Ok((id, UpsertAction::from_ids(id, upsert.id)))
}

pub(crate) async fn insert_shop_projects(
    db: &mut impl Db,
    projects: &[NewShopProject],
) -> Result<(), StoreError> {
    crate::sql::query(
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

#[zora_store_sql::async_trait]
impl zora_core::ShopTx for crate::tx::PgTx {
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
        brands(&mut self.tx, tenant, ids).await
    }
    async fn products(
        &mut self,
        tenant: TenantId,
        ids: &[ProductId],
    ) -> Result<Vec<Product>, StoreError> {
        products(&mut self.tx, tenant, ids).await
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
