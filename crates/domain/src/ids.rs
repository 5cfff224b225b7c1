//! The ids of the domain's tables: one newtype per table, as the engine's own.

zora_core::uuid_id!(
    /// A row of `climate_profiles`.
    ProfileId,
    /// A row of `climate_plans` (a weekly plan).
    PlanId,
    /// A row of `climate_plan_items`.
    PlanItemId,
    /// A row of `climate_missions`.
    MissionId,
    /// A row of `brands`.
    BrandId,
    /// A row of `products`.
    ProductId,
    /// A row of `product_climate_meta`.
    ClimateMetaId,
    /// A row of `zora_shop_projects`.
    ShopProjectId,
);
