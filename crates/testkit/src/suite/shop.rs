//! Suite cases for ZORA SHOP rows: brands, products, climate metadata, projects.

use crate::Subject;
use zora_core::{Store, StoreError, TenantId};
use zora_domain::ids::{BrandId, ClimateMetaId, ProductId, ShopProjectId};
use zora_domain::zora_shop::tables::{
    ClimateMetaUpsert, NewBrand, NewProduct, NewShopProject, Patch,
};

use super::two_tenants;
use zora_domain::zora_shop::store as shop_store;

/// Seeds two brands and a product of the first for `tenant`.
pub async fn seed_shop(store: &dyn Store, tenant: TenantId) -> (BrandId, BrandId, ProductId) {
    let (zora, fiber, hoodie) = (BrandId::new(), BrandId::new(), ProductId::new());
    let mut tx = store.begin().await.expect("begin");
    for (id, name, slug) in [
        (zora, "ZORA", "zora"),
        (fiber, "Green Fiber", "green-fiber"),
    ] {
        shop_store::insert_brand(
            &mut *tx,
            &NewBrand {
                id,
                tenant_id: tenant,
                name: name.into(),
                slug: Some(slug.into()),
            },
        )
        .await
        .expect("brand");
    }
    shop_store::insert_product(
        &mut *tx,
        &NewProduct {
            id: hoodie,
            tenant_id: tenant,
            name: "Hemp hoodie".into(),
            slug: Some("hemp-hoodie".into()),
            brand_id: Some(zora),
            estimated_impact_kgco2: None,
        },
    )
    .await
    .expect("product");
    tx.commit().await.expect("commit");
    (zora, fiber, hoodie)
}

pub async fn brands_and_products_are_tenant_scoped(store: &dyn Store) {
    let t = two_tenants(store).await;
    let (zora, fiber, hoodie) = seed_shop(store, t.a).await;
    seed_shop(store, t.b).await; // the same slugs in another tenant are fine
    let mut tx = store.begin().await.expect("begin");
    let brands = shop_store::brands(&mut *tx, t.a, &[zora, fiber, BrandId::new()])
        .await
        .expect("brands");
    assert_eq!(brands.len(), 2);
    let mut ids = vec![zora, fiber];
    ids.sort();
    assert_eq!(
        brands.iter().map(|b| b.id).collect::<Vec<_>>(),
        ids,
        "in id order"
    );
    let products = shop_store::products(&mut *tx, t.a, &[hoodie])
        .await
        .expect("products");
    assert_eq!(products[0].name, "Hemp hoodie");
    assert_eq!(products[0].brand_id, Some(zora));
    assert!(
        shop_store::brands(&mut *tx, t.b, &[zora, fiber])
            .await
            .expect("brands")
            .is_empty()
    );
    assert!(
        shop_store::products(&mut *tx, t.b, &[hoodie])
            .await
            .expect("products")
            .is_empty()
    );
}

pub async fn climate_meta_upsert_creates_then_patches(store: &Subject) {
    let (store, inspect) = (store.store(), store.inspect());
    let t = two_tenants(store).await;
    let (_, _, hoodie) = seed_shop(store, t.a).await;
    let first = ClimateMetaUpsert {
        id: ClimateMetaId::new(),
        tenant_id: t.a,
        product_id: hoodie,
        climate_label: Patch::Set(Some("low_impact".into())),
        estimated_impact_kgco2: Patch::Set(Some(12.5)),
        certifications: Patch::Set(Some("EU Ecolabel".into())),
        notes: Patch::Keep,
    };
    let mut tx = store.begin().await.expect("begin");
    assert!(
        shop_store::climate_meta(&mut *tx, t.a, &[hoodie])
            .await
            .expect("read")
            .is_empty()
    );
    let written = shop_store::upsert_product_climate_meta(&mut *tx, std::slice::from_ref(&first))
        .await
        .expect("create");
    assert_eq!(
        written,
        [(hoodie, first.id)],
        "created with the upsert's id"
    );
    let second = ClimateMetaUpsert {
        id: ClimateMetaId::new(),
        climate_label: Patch::Keep,
        estimated_impact_kgco2: Patch::Set(None),
        certifications: Patch::Keep,
        notes: Patch::Set(Some("Compared to cotton".into())),
        ..first.clone()
    };
    let written = shop_store::upsert_product_climate_meta(&mut *tx, std::slice::from_ref(&second))
        .await
        .expect("update");
    assert_eq!(
        written,
        [(hoodie, first.id)],
        "one row per product: the existing row patched, its id kept"
    );
    assert_eq!(
        shop_store::climate_meta(&mut *tx, t.a, &[hoodie])
            .await
            .expect("read")[0]
            .id,
        first.id
    );
    tx.commit().await.expect("commit");

    let meta = inspect.product_climate_meta(t.a, &[hoodie]).await;
    assert_eq!(meta.len(), 1);
    assert_eq!(
        meta[0].climate_label.as_deref(),
        Some("low_impact"),
        "absent key: kept"
    );
    assert_eq!(
        meta[0].estimated_impact_kgco2, None,
        "present as null: cleared"
    );
    assert_eq!(meta[0].certifications.as_deref(), Some("EU Ecolabel"));
    assert_eq!(meta[0].notes.as_deref(), Some("Compared to cotton"));
    assert!(
        inspect
            .product_climate_meta(t.b, &[hoodie])
            .await
            .is_empty()
    );

    // Tenant B cannot overwrite tenant A's row through the shared product_id key.
    let intrusion = ClimateMetaUpsert {
        tenant_id: t.b,
        climate_label: Patch::Set(Some("climate_positive".into())),
        ..second
    };
    let mut tx = store.begin().await.expect("begin");
    assert!(
        shop_store::upsert_product_climate_meta(&mut *tx, &[intrusion])
            .await
            .expect("nothing written")
            .is_empty(),
        "another tenant's row is not written: missing from what comes back"
    );
    assert!(
        shop_store::climate_meta(&mut *tx, t.b, &[hoodie])
            .await
            .expect("read")
            .is_empty()
    );
    drop(tx);
    let meta = inspect.product_climate_meta(t.a, &[hoodie]).await;
    assert_eq!(meta[0].climate_label.as_deref(), Some("low_impact"));
}

pub async fn shop_projects_round_trip(store: &Subject) {
    let (store, inspect) = (store.store(), store.inspect());
    let t = two_tenants(store).await;
    let (zora, fiber, _) = seed_shop(store, t.a).await;
    let project = NewShopProject {
        id: ShopProjectId::new(),
        tenant_id: t.a,
        title: "ZORA x Green Fiber Hemp Capsule".into(),
        description: Some(String::new()),
        status: "idea".into(),
        primary_brand_id: zora,
        secondary_brand_id: Some(fiber),
        theme: Some("hemp_collection".into()),
        target_launch_date: Some("2027-03-01".parse().expect("date")),
    };
    let mut tx = store.begin().await.expect("begin");
    shop_store::insert_shop_projects(&mut *tx, std::slice::from_ref(&project))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    let stored = inspect.shop_projects(t.a, &[project.id]).await;
    assert_eq!(stored.len(), 1);
    let p = &stored[0];
    assert_eq!(p.title, project.title);
    assert_eq!(p.secondary_brand_id, Some(fiber));
    assert_eq!(p.target_launch_date, project.target_launch_date);
    assert_eq!(p.description.as_deref(), Some(""));
    assert!(inspect.shop_projects(t.b, &[project.id]).await.is_empty());
}

pub async fn duplicate_slug_is_a_conflict(store: &dyn Store) {
    let t = two_tenants(store).await;
    seed_shop(store, t.a).await;
    let mut tx = store.begin().await.expect("begin");
    let err = shop_store::insert_brand(
        &mut *tx,
        &NewBrand {
            id: BrandId::new(),
            tenant_id: t.a,
            name: "ZORA again".into(),
            slug: Some("zora".into()),
        },
    )
    .await
    .expect_err("duplicate slug");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
}
