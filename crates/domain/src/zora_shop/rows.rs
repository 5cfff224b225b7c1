//! [`ShopRows`]: what ZORA SHOP tasks write (projects, products' climate metadata), and
//! how a batch's are written: one statement per table, each product's upserts composed
//! into one and checked against what the batch read.

use std::collections::BTreeMap;

use crate::ids::{ClimateMetaId, ProductId};
use crate::zora_shop::store as shop_store;
use crate::zora_shop::tables::{ClimateMetaUpsert, NewShopProject};
use zora_core::handler::BatchRows;
use zora_core::{HandlerTx, StoreError};

/// The ZORA SHOP rows one task writes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShopRows {
    pub projects: Vec<NewShopProject>,
    /// Products' climate metadata, with the row id and action the task predicted from
    /// what the batch read (the existing row's id, or a new one). The batch writes one
    /// upsert per product (its upserts in order, composed); should a row not come back as
    /// predicted (another transaction wrote it since), the batch is rerun task by task.
    pub climate_meta: Vec<ClimateMetaUpsert>,
}

#[async_trait::async_trait]
impl BatchRows for ShopRows {
    async fn write_batch(tx: &mut dyn HandlerTx, rows: Vec<Self>) -> Result<(), StoreError> {
        let mut upserts: BTreeMap<ProductId, ClimateMetaUpsert> = BTreeMap::new();
        let mut projects = Vec::new();
        for row in rows {
            for upsert in row.climate_meta {
                let composed = match upserts.remove(&upsert.product_id) {
                    Some(earlier) => earlier.then(upsert),
                    None => upsert,
                };
                upserts.insert(composed.product_id, composed);
            }
            projects.extend(row.projects);
        }
        if !upserts.is_empty() {
            let upserts: Vec<ClimateMetaUpsert> = upserts.into_values().collect();
            let written: BTreeMap<ProductId, ClimateMetaId> =
                shop_store::upsert_product_climate_meta(&mut *tx, &upserts)
                    .await?
                    .into_iter()
                    .collect();
            if upserts
                .iter()
                .any(|u| written.get(&u.product_id) != Some(&u.id))
            {
                return Err(StoreError::Conflict {
                    constraint: "product_climate_meta_product_id_key".into(),
                });
            }
        }
        if !projects.is_empty() {
            shop_store::insert_shop_projects(&mut *tx, &projects).await?;
        }
        Ok(())
    }
}
