//! `review_climate_claims` (AEGIS), also registered as `safety_audit`: the climate
//! claims of the tenant's products (every product, or those named) checked against four
//! greenwashing rules. One read per tenant gives every product with its metadata: the
//! median a `low_impact` label is held to is the tenant's, whatever the products named.

use std::collections::HashMap;

use crate::ids::ProductId;
use crate::zora_shop::tables::ProductClaims;
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zora_core::handler::{Category, Outcome, TaskError, TaskHandler};
use zora_core::journal::JournalCategory;
use zora_core::{HandlerTx, ReadTx, StoreError, Task, TenantId};

use crate::batch::tenants;
use crate::journal;
use crate::payload::Reference;
use crate::zora_shop::store as shop_store;

/// The highest plausible estimate for one product, kg CO2.
pub const MAX_PLAUSIBLE_KGCO2: f64 = 10_000.0;

/// The payload of `review_climate_claims`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Payload {
    /// UUIDs of the products to check. Defaults to every product of the tenant.
    pub product_ids: Option<Vec<Reference>>,
}

/// The handler of `review_climate_claims`.
#[derive(Debug, Clone, Copy)]
pub struct ReviewClimateClaims;

/// Every product of each tenant of the batch, with its climate metadata, by id.
pub type Catalog = HashMap<TenantId, Vec<ProductClaims>>;

/// One rule a product breaks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub product_id: ProductId,
    pub product_name: String,
    pub rule: &'static str,
    pub severity: &'static str,
    pub message: String,
}

/// The estimate a claim is judged by: the metadata's, else the product's own.
fn estimate(product: &ProductClaims) -> Option<f64> {
    product
        .meta_estimate_kgco2
        .or(product.product_estimate_kgco2)
}

/// The median of the estimates the tenant's products have, if any.
pub fn median(products: &[ProductClaims]) -> Option<f64> {
    let mut values: Vec<f64> = products.iter().filter_map(estimate).collect();
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        f64::midpoint(values[middle - 1], values[middle])
    } else {
        values[middle]
    })
}

/// The rules `product` breaks, `median` being the tenant's.
pub fn findings(product: &ProductClaims, median: Option<f64>) -> Vec<Finding> {
    let finding = |rule, severity, message: String| Finding {
        product_id: product.product_id,
        product_name: product.product_name.clone(),
        rule,
        severity,
        message,
    };
    let name = &product.product_name;
    let label = product
        .climate_label
        .as_deref()
        .filter(|l| !l.trim().is_empty());
    let certified = product
        .certifications
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty());
    let mut found = Vec::new();
    if let Some(label @ ("climate_neutral" | "climate_positive")) = label
        && !certified
    {
        found.push(finding(
            "unverified_claim",
            "high",
            format!("'{name}' claims {label} without any certification"),
        ));
    }
    if let Some(label) = label
        && estimate(product).is_none()
    {
        found.push(finding(
            "label_without_estimate",
            "medium",
            format!("'{name}' carries the label {label} without an impact estimate"),
        ));
    }
    if let Some(kg) = estimate(product)
        && !(0.0..=MAX_PLAUSIBLE_KGCO2).contains(&kg)
    {
        found.push(finding(
            "estimate_out_of_range",
            "medium",
            format!("'{name}' has an impact estimate of {kg} kg CO2, outside 0 to 10,000"),
        ));
    }
    if label == Some("low_impact")
        && let (Some(kg), Some(median)) = (estimate(product), median)
        && kg > median
    {
        found.push(finding(
            "low_impact_above_median",
            "low",
            format!("'{name}' is labelled low_impact at {kg} kg CO2, above the tenant's median of {median} kg"),
        ));
    }
    found
}

impl Payload {
    /// The products to check among the tenant's, or the first one named that is not
    /// the tenant's.
    fn selected<'a>(
        &self,
        products: &'a [ProductClaims],
    ) -> Result<Vec<&'a ProductClaims>, TaskError> {
        let Some(named) = &self.product_ids else {
            return Ok(products.iter().collect());
        };
        let by_id: HashMap<ProductId, &ProductClaims> =
            products.iter().map(|p| (p.product_id, p)).collect();
        let mut selected: Vec<&ProductClaims> = Vec::with_capacity(named.len());
        for (i, reference) in named.iter().enumerate() {
            let found = reference.id::<ProductId>().and_then(|id| by_id.get(&id));
            match found {
                Some(product) if !selected.iter().any(|p| p.product_id == product.product_id) => {
                    selected.push(product);
                }
                Some(_) => {}
                None => {
                    return Err(TaskError::field(
                        format!("product_ids[{i}]"),
                        format!("Product {reference} not found or does not belong to tenant"),
                    ));
                }
            }
        }
        Ok(selected)
    }
}

#[async_trait]
impl TaskHandler for ReviewClimateClaims {
    type Payload = Payload;
    type Context = Catalog;
    type Rows = ();

    const KIND: &'static str = "review_climate_claims";
    const CATEGORY: Category = Category::Agents;
    const DESCRIPTION: &'static str = "Check products' climate claims for greenwashing: unverified, unestimated, implausible (AEGIS)";
    const FIELDS: &'static [(&'static str, &'static str)] = &[(
        "product_ids",
        "UUIDs of the products to check (default: every product)",
    )];

    fn validate(&self, payload: &Payload) -> Result<(), TaskError> {
        match &payload.product_ids {
            Some(ids) if ids.is_empty() => Err(TaskError::field(
                "product_ids",
                "product_ids must name at least one product; leave it out to check every product",
            )),
            _ => Ok(()),
        }
    }

    async fn load(
        &self,
        tx: &mut dyn ReadTx,
        batch: &[(&Task, &Payload)],
    ) -> Result<Catalog, StoreError> {
        let mut catalog = Catalog::new();
        for tenant in tenants(batch) {
            // Only the products named, unless a task of the tenant checks them all.
            let named: Option<Vec<ProductId>> = batch
                .iter()
                .filter(|(task, _)| task.tenant_id == tenant)
                .map(|(_, payload)| payload.product_ids.as_deref())
                .collect::<Option<Vec<_>>>()
                .map(|lists| {
                    lists
                        .into_iter()
                        .flatten()
                        .filter_map(Reference::id::<ProductId>)
                        .collect()
                });
            catalog.insert(
                tenant,
                shop_store::product_claims(&mut *tx, tenant, named.as_deref()).await?,
            );
        }
        Ok(catalog)
    }

    fn check(
        &self,
        tenant: TenantId,
        payload: &Payload,
        catalog: &Catalog,
    ) -> Result<(), TaskError> {
        payload
            .selected(catalog.get(&tenant).map_or(&[][..], Vec::as_slice))
            .map(|_| ())
    }

    async fn apply(
        &self,
        _tx: &mut dyn HandlerTx,
        task: &Task,
        payload: &Payload,
        _prepared: Option<Value>,
        catalog: &Catalog,
    ) -> Result<Outcome<Self::Rows>, TaskError> {
        let products = catalog.get(&task.tenant_id).map_or(&[][..], Vec::as_slice);
        let median = median(products);
        let selected = payload.selected(products)?;
        let found: Vec<Finding> = selected.iter().flat_map(|p| findings(p, median)).collect();
        let count = |severity: &str| found.iter().filter(|f| f.severity == severity).count();
        let counts = json!({"high": count("high"), "medium": count("medium"), "low": count("low")});
        let summary = format!(
            "{} finding(s) in {} product(s)",
            found.len(),
            selected.len()
        );
        let entry = journal::entry(
            task,
            JournalCategory::ZoraShop,
            "climate_claims_reviewed",
            "Reviewed products' climate claims".into(),
            summary.clone(),
            json!({"products_checked": selected.len(), "counts": counts}),
        );
        let result = json!({
            "products_checked": selected.len(),
            "findings": found,
            "counts": counts,
        });
        Ok(Outcome::new(result, summary, vec![entry]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(
        label: Option<&str>,
        meta: Option<f64>,
        own: Option<f64>,
        certs: Option<&str>,
    ) -> ProductClaims {
        ProductClaims {
            product_id: ProductId::new(),
            product_name: "Tee".into(),
            product_estimate_kgco2: own,
            climate_label: label.map(str::to_owned),
            meta_estimate_kgco2: meta,
            certifications: certs.map(str::to_owned),
        }
    }

    fn rules(p: &ProductClaims, median: Option<f64>) -> Vec<&'static str> {
        findings(p, median).iter().map(|f| f.rule).collect()
    }

    #[test]
    fn each_rule_fires_on_its_case_only() {
        assert_eq!(
            rules(
                &product(Some("climate_neutral"), Some(3.0), None, None),
                None
            ),
            ["unverified_claim"]
        );
        assert!(
            rules(
                &product(
                    Some("climate_neutral"),
                    Some(3.0),
                    None,
                    Some("EU Ecolabel")
                ),
                None
            )
            .is_empty()
        );
        assert_eq!(
            rules(
                &product(Some("climate_positive"), None, None, Some(" ")),
                None
            ),
            ["unverified_claim", "label_without_estimate"]
        );
        assert!(
            rules(
                &product(Some("low_impact"), None, Some(2.0), None),
                Some(5.0)
            )
            .is_empty(),
            "the product's own estimate counts"
        );
        assert_eq!(
            rules(&product(None, Some(-1.0), None, None), None),
            ["estimate_out_of_range"]
        );
        assert_eq!(
            rules(&product(None, Some(10_001.0), None, None), None),
            ["estimate_out_of_range"]
        );
        assert_eq!(
            rules(
                &product(Some("low_impact"), Some(9.0), None, None),
                Some(5.0)
            ),
            ["low_impact_above_median"]
        );
        assert!(
            rules(
                &product(Some("low_impact"), Some(5.0), None, None),
                Some(5.0)
            )
            .is_empty(),
            "at the median is fine"
        );
    }

    #[test]
    fn the_median_is_of_the_estimates_there_are() {
        let ps = [
            product(None, Some(1.0), None, None),
            product(None, None, Some(3.0), None),
            product(None, None, None, None),
        ];
        assert_eq!(median(&ps), Some(2.0));
        assert_eq!(median(&ps[..1]), Some(1.0));
        assert_eq!(median(&ps[2..]), None);
    }
}
