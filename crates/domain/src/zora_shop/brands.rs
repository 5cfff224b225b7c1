//! The brands a batch names, read once for the batch: the context of the types whose
//! payload names brands.

use zora_core::{ReadTx, StoreError, Task};

use crate::batch::{Rows, ids_by_tenant};
use crate::ids::BrandId;
use crate::zora_shop::store as shop_store;
use crate::zora_shop::tables::Brand;

/// The brands the batch names, by tenant and id.
pub type Brands = Rows<BrandId, Brand>;

/// Reads the brands `ids_of` names in each task's payload, one read per tenant.
pub async fn load<P>(
    tx: &mut dyn ReadTx,
    batch: &[(&Task, &P)],
    ids_of: impl Fn(&P) -> Vec<BrandId>,
) -> Result<Brands, StoreError> {
    let mut brands = Brands::default();
    for (tenant, ids) in ids_by_tenant(batch, ids_of) {
        brands.insert_all(
            tenant,
            shop_store::brands(&mut *tx, tenant, &ids).await?,
            |b| b.id,
        );
    }
    Ok(brands)
}
