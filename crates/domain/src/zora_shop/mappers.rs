//! ZORA SHOP rows from the columns both stores' queries select under the same names.

use zora_store_sql::Columns;

use super::tables::{Brand, Product, ProductClaims, ProductClimateMeta, ShopProject};

pub fn brand(row: &impl Columns) -> Result<Brand, sqlx::Error> {
    Ok(Brand {
        id: row.id("id")?,
        tenant_id: row.id("tenant_id")?,
        name: row.text("name")?,
        slug: row.opt_text("slug")?,
    })
}

pub fn product(row: &impl Columns) -> Result<Product, sqlx::Error> {
    Ok(Product {
        id: row.id("id")?,
        tenant_id: row.id("tenant_id")?,
        name: row.text("name")?,
        slug: row.opt_text("slug")?,
        brand_id: row.opt_id("brand_id")?,
    })
}

pub fn product_claims(row: &impl Columns) -> Result<ProductClaims, sqlx::Error> {
    Ok(ProductClaims {
        product_id: row.id("product_id")?,
        product_name: row.text("product_name")?,
        product_estimate_kgco2: row.opt_float("product_estimate")?,
        climate_label: row.opt_text("climate_label")?,
        meta_estimate_kgco2: row.opt_float("meta_estimate")?,
        certifications: row.opt_text("certifications")?,
    })
}

pub fn climate_meta(row: &impl Columns) -> Result<ProductClimateMeta, sqlx::Error> {
    Ok(ProductClimateMeta {
        id: row.id("id")?,
        tenant_id: row.id("tenant_id")?,
        product_id: row.id("product_id")?,
        climate_label: row.opt_text("climate_label")?,
        estimated_impact_kgco2: row.opt_float("estimated_impact_kgco2")?,
        certifications: row.opt_text("certifications")?,
        notes: row.opt_text("notes")?,
    })
}

pub fn shop_project(row: &impl Columns) -> Result<ShopProject, sqlx::Error> {
    Ok(ShopProject {
        id: row.id("id")?,
        tenant_id: row.id("tenant_id")?,
        title: row.text("title")?,
        description: row.opt_text("description")?,
        status: row.text("status")?,
        primary_brand_id: row.id("primary_brand_id")?,
        secondary_brand_id: row.opt_id("secondary_brand_id")?,
        theme: row.opt_text("theme")?,
        target_launch_date: row.opt_date("target_launch_date")?,
        created_at: row.timestamp("created_at")?,
    })
}
