//! ZORA SHOP rows: brands, products, their climate metadata, and shop projects.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use zora_core::TenantId;

use crate::ids::{BrandId, ClimateMetaId, ProductId, ShopProjectId};

/// A row of `brands`, the columns the engine reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Brand {
    pub id: BrandId,
    pub tenant_id: TenantId,
    pub name: String,
    pub slug: Option<String>,
}

/// A brand to create (the demo and tests seed them).
#[derive(Debug, Clone, PartialEq)]
pub struct NewBrand {
    pub id: BrandId,
    pub tenant_id: TenantId,
    pub name: String,
    /// Unique per tenant.
    pub slug: Option<String>,
}

/// A row of `products`, the columns the engine reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Product {
    pub id: ProductId,
    pub tenant_id: TenantId,
    pub name: String,
    pub slug: Option<String>,
    pub brand_id: Option<BrandId>,
}

/// A product to create (the demo and tests seed them).
#[derive(Debug, Clone, PartialEq)]
pub struct NewProduct {
    pub id: ProductId,
    pub tenant_id: TenantId,
    pub name: String,
    /// Unique per tenant.
    pub slug: Option<String>,
    pub brand_id: Option<BrandId>,
    /// The product's own impact estimate, kg CO2.
    pub estimated_impact_kgco2: Option<f64>,
}

/// A product with its climate metadata, as the claims review reads it: the product's
/// own estimate and the metadata's label, estimate and certifications (`None` without a
/// metadata row).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductClaims {
    pub product_id: ProductId,
    pub product_name: String,
    pub product_estimate_kgco2: Option<f64>,
    pub climate_label: Option<String>,
    pub meta_estimate_kgco2: Option<f64>,
    pub certifications: Option<String>,
}

/// A row of `product_climate_meta` (one per product).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductClimateMeta {
    pub id: ClimateMetaId,
    pub tenant_id: TenantId,
    pub product_id: ProductId,
    /// Read as stored: older rows may hold labels the handler no longer accepts.
    pub climate_label: Option<String>,
    pub estimated_impact_kgco2: Option<f64>,
    pub certifications: Option<String>,
    pub notes: Option<String>,
}

/// A field of an upsert: left alone, or set (possibly to null).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Patch<T> {
    /// The key was absent: keep the stored value (null on insert).
    #[default]
    Keep,
    /// The key was present: write this value, `None` writing null.
    Set(Option<T>),
}

impl<T: Clone> Patch<T> {
    /// This patch, then `later` over it: `later`'s value where it sets one.
    pub fn then(self, later: Patch<T>) -> Patch<T> {
        match later {
            Self::Keep => self,
            set => set,
        }
    }

    /// `(given, value)`: whether the key was present, and what to write — the two
    /// parameters an upsert statement binds.
    pub fn split(&self) -> (bool, Option<T>) {
        match self {
            Self::Keep => (false, None),
            Self::Set(value) => (true, value.clone()),
        }
    }
}

/// An atomic upsert of a product's climate metadata, keyed by `product_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClimateMetaUpsert {
    /// The row's id: the existing row's, or the new one's.
    pub id: ClimateMetaId,
    pub tenant_id: TenantId,
    pub product_id: ProductId,
    pub climate_label: Patch<String>,
    pub estimated_impact_kgco2: Patch<f64>,
    pub certifications: Patch<String>,
    pub notes: Patch<String>,
}

/// Whether an upsert created the row or updated it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpsertAction {
    Created,
    Updated,
}

impl ClimateMetaUpsert {
    /// This upsert, then `later` (of the same product) over it: one upsert that writes
    /// what both would, in order, keeping this one's id.
    pub fn then(self, later: ClimateMetaUpsert) -> ClimateMetaUpsert {
        ClimateMetaUpsert {
            climate_label: self.climate_label.then(later.climate_label),
            estimated_impact_kgco2: self
                .estimated_impact_kgco2
                .then(later.estimated_impact_kgco2),
            certifications: self.certifications.then(later.certifications),
            notes: self.notes.then(later.notes),
            ..self
        }
    }
}

/// A ZORA SHOP project to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewShopProject {
    pub id: ShopProjectId,
    pub tenant_id: TenantId,
    pub title: String,
    pub description: Option<String>,
    /// idea, brief, concept, review, launched or archived.
    pub status: String,
    pub primary_brand_id: BrandId,
    pub secondary_brand_id: Option<BrandId>,
    pub theme: Option<String>,
    pub target_launch_date: Option<NaiveDate>,
}

/// A row of `zora_shop_projects`, the columns the engine writes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShopProject {
    pub id: ShopProjectId,
    pub tenant_id: TenantId,
    pub title: String,
    pub description: Option<String>,
    pub status: String,
    pub primary_brand_id: BrandId,
    pub secondary_brand_id: Option<BrandId>,
    pub theme: Option<String>,
    pub target_launch_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}
