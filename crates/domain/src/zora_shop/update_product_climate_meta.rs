//! `zora_shop.update_product_climate_meta`: the climate metadata of one product, upserted
//! by its unique `product_id`. The batch reads the rows its products have, so each task
//! knows whether it creates or updates and the row's id; the engine writes the batch's
//! upserts in one statement and checks that each row came out as predicted.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Mutex, PoisonError};

use crate::ids::{ClimateMetaId, ProductId};
use crate::zora_shop::tables::{ClimateMetaUpsert, Patch, Product, UpsertAction};
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use zora_core::handler::{Category, Outcome, TaskError, TaskHandler};
use zora_core::journal::JournalCategory;
use zora_core::{HandlerTx, ReadTx, StoreError, Task, TenantId};

use crate::batch::{Rows, ids_by_tenant};
use crate::journal;
use crate::payload::{Present, Reference, has_reference, require, resolve};
use crate::zora_shop::rows::ShopRows;
use crate::zora_shop::store as shop_store;

/// The labels the handler accepts. Stored rows may hold others (the database has no
/// CHECK): they are read as they are.
pub const CLIMATE_LABELS: [&str; 3] = ["low_impact", "climate_neutral", "climate_positive"];

/// The payload of `zora_shop.update_product_climate_meta`. A field that is absent keeps
/// its stored value; one that is present is written, even as null (`climate_label`
/// excepted: it is written only when given).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Payload {
    /// UUID of the product.
    #[schemars(required)]
    pub product_id: Option<Reference>,
    /// One of low_impact, climate_neutral, climate_positive.
    pub climate_label: Option<String>,
    /// Estimated impact in kg CO2.
    #[serde(default)]
    pub estimated_impact_kgco2: Present<f64>,
    /// Certifications (`EU Ecolabel`, ...).
    #[serde(default)]
    pub certifications: Present<String>,
    /// Free-text notes.
    #[serde(default)]
    pub notes: Present<String>,
}

/// The handler of `zora_shop.update_product_climate_meta`.
#[derive(Debug, Clone, Copy)]
pub struct UpdateProductClimateMeta;

/// The products the batch names, and the id of each one's climate metadata row: as read,
/// or as a task of the batch created it.
#[derive(Debug, Default)]
pub struct Products {
    rows: Rows<ProductId, Product>,
    meta: Mutex<HashMap<(TenantId, ProductId), ClimateMetaId>>,
}

impl Products {
    fn get(&self, tenant: TenantId, reference: Option<&Reference>) -> Option<&Product> {
        self.rows.get(tenant, reference)
    }

    /// The row the task's upsert writes: the product's existing one (updated), or a new
    /// one (created), which later tasks of the batch then update.
    fn row_for(&self, tenant: TenantId, product: ProductId) -> (ClimateMetaId, UpsertAction) {
        let mut meta = self.meta.lock().unwrap_or_else(PoisonError::into_inner);
        match meta.entry((tenant, product)) {
            Entry::Occupied(row) => (*row.get(), UpsertAction::Updated),
            Entry::Vacant(slot) => (*slot.insert(ClimateMetaId::new()), UpsertAction::Created),
        }
    }
}

#[async_trait]
impl TaskHandler for UpdateProductClimateMeta {
    type Payload = Payload;
    type Context = Products;
    type Rows = ShopRows;

    const KIND: &'static str = "zora_shop.update_product_climate_meta";
    const CATEGORY: Category = Category::ZoraShop;
    const DESCRIPTION: &'static str = "Update the climate metadata for a given product";
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("product_id", "UUID of the product"),
        (
            "climate_label",
            "Climate label (low_impact, climate_neutral, climate_positive)",
        ),
        ("estimated_impact_kgco2", "Estimated CO2 impact in kg"),
        ("certifications", "Certifications (e.g. EU Ecolabel)"),
        ("notes", "Additional notes"),
    ];

    fn validate(&self, payload: &Payload) -> Result<(), TaskError> {
        require(&[("product_id", has_reference(&payload.product_id))])
    }

    async fn load(
        &self,
        tx: &mut dyn ReadTx,
        batch: &[(&Task, &Payload)],
    ) -> Result<Products, StoreError> {
        let mut products = Rows::default();
        let mut meta = HashMap::new();
        for (tenant, ids) in ids_by_tenant(batch, |p| resolve(&p.product_id).into_iter().collect())
        {
            products.insert_all(
                tenant,
                shop_store::products(&mut *tx, tenant, &ids).await?,
                |row| row.id,
            );
            for row in shop_store::climate_meta(&mut *tx, tenant, &ids).await? {
                meta.insert((tenant, row.product_id), row.id);
            }
        }
        Ok(Products {
            rows: products,
            meta: Mutex::new(meta),
        })
    }

    fn check(
        &self,
        tenant: TenantId,
        payload: &Payload,
        products: &Products,
    ) -> Result<(), TaskError> {
        if products.get(tenant, payload.product_id.as_ref()).is_none() {
            let id = payload
                .product_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            return Err(TaskError::field(
                "product_id",
                format!("Product {id} not found or does not belong to tenant"),
            ));
        }
        // ZORA CORE's order: the product first, then the label.
        if let Some(label) = &payload.climate_label
            && !CLIMATE_LABELS.contains(&label.as_str())
        {
            return Err(TaskError::field(
                "climate_label",
                format!(
                    "Invalid climate_label: {label}. Must be one of: {}",
                    CLIMATE_LABELS.join(", ")
                ),
            ));
        }
        Ok(())
    }

    async fn apply(
        &self,
        _tx: &mut dyn HandlerTx,
        task: &Task,
        payload: &Payload,
        _prepared: Option<Value>,
        products: &Products,
    ) -> Result<Outcome<Self::Rows>, TaskError> {
        let Some(product) = products.get(task.tenant_id, payload.product_id.as_ref()) else {
            return Err(TaskError::permanent("product vanished after its check"));
        };
        let label = payload.climate_label.clone();
        let (meta_id, action) = products.row_for(task.tenant_id, product.id);
        let upsert = ClimateMetaUpsert {
            id: meta_id,
            tenant_id: task.tenant_id,
            product_id: product.id,
            climate_label: label.clone().map_or(Patch::Keep, |l| Patch::Set(Some(l))),
            estimated_impact_kgco2: payload.estimated_impact_kgco2.0.clone(),
            certifications: payload.certifications.0.clone(),
            notes: payload.notes.0.clone(),
        };
        let verb = match action {
            UpsertAction::Created => "Created",
            UpsertAction::Updated => "Updated",
        };
        let entry = journal::entry(
            task,
            JournalCategory::ZoraShop,
            "shop_product_climate_meta_updated",
            format!("Updated climate metadata for product: {}", product.name),
            format!("Climate label: {}", label.as_deref().unwrap_or("unchanged")),
            json!({
                "product_id": product.id,
                "climate_meta_id": meta_id,
                "climate_label": label,
                "action": action,
            }),
        );
        let result = json!({
            "product_id": product.id,
            "climate_meta_id": meta_id,
            "climate_label": label,
            "action": action,
        });
        let summary = format!("{verb} climate metadata for product '{}'", product.name);
        Ok(
            Outcome::new(result, summary, vec![entry]).with_rows(ShopRows {
                climate_meta: vec![upsert],
                ..ShopRows::default()
            }),
        )
    }
}
