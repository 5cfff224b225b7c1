//! `zora_shop.create_project`: a ZORA SHOP collaboration project between brands.

use crate::ids::ShopProjectId;
use crate::zora_shop::tables::NewShopProject;
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use zora_core::handler::{Category, Outcome, TaskError, TaskHandler};
use zora_core::journal::JournalCategory;
use zora_core::{HandlerTx, ReadTx, StoreError, Task, TenantId};

use crate::journal;
use crate::payload::{Date, Reference, has_reference, has_text, require, resolve};
use crate::zora_shop::brands::{self, Brands};
use crate::zora_shop::rows::ShopRows;

/// The statuses a project may have.
pub const STATUSES: [&str; 6] = ["idea", "brief", "concept", "review", "launched", "archived"];

/// The payload of `zora_shop.create_project`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Payload {
    /// The project's title.
    #[schemars(required)]
    pub title: Option<String>,
    /// UUID of the brand leading the project.
    #[schemars(required)]
    pub primary_brand_id: Option<Reference>,
    /// What the project is about.
    pub description: Option<String>,
    /// UUID of the partner brand, when there is one.
    pub secondary_brand_id: Option<Reference>,
    /// One of idea, brief, concept, review, launched, archived. Defaults to `idea`.
    pub status: Option<String>,
    /// The project's theme (`hemp_collection`, ...).
    pub theme: Option<String>,
    /// Planned launch, `YYYY-MM-DD`.
    pub target_launch_date: Option<Date>,
}

impl Payload {
    fn secondary(&self) -> Option<&Reference> {
        self.secondary_brand_id.as_ref().filter(|r| !r.is_blank())
    }
}

/// The handler of `zora_shop.create_project`.
#[derive(Debug, Clone, Copy)]
pub struct CreateProject;

fn not_found(which: &str, field: &str, reference: Option<&Reference>) -> TaskError {
    let id = reference.map(ToString::to_string).unwrap_or_default();
    TaskError::field(
        field,
        format!("{which} brand {id} not found or does not belong to tenant"),
    )
}

#[async_trait]
impl TaskHandler for CreateProject {
    type Payload = Payload;
    type Context = Brands;
    type Rows = ShopRows;

    const KIND: &'static str = "zora_shop.create_project";
    const CATEGORY: Category = Category::ZoraShop;
    const DESCRIPTION: &'static str = "Create a new ZORA SHOP Project from a structured brief";
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("title", "Project title"),
        ("description", "Project description"),
        ("primary_brand_id", "UUID of the primary brand"),
        (
            "secondary_brand_id",
            "UUID of the secondary brand (optional)",
        ),
        (
            "status",
            "Project status (idea, brief, concept, review, launched, archived)",
        ),
        ("theme", "Project theme"),
        ("target_launch_date", "Target launch date (YYYY-MM-DD)"),
    ];

    fn validate(&self, payload: &Payload) -> Result<(), TaskError> {
        require(&[
            ("title", has_text(&payload.title)),
            ("primary_brand_id", has_reference(&payload.primary_brand_id)),
        ])?;
        Ok(())
    }

    async fn load(
        &self,
        tx: &mut dyn ReadTx,
        batch: &[(&Task, &Payload)],
    ) -> Result<Brands, StoreError> {
        brands::load(tx, batch, |p: &Payload| {
            resolve(&p.primary_brand_id)
                .into_iter()
                .chain(p.secondary().and_then(Reference::id))
                .collect()
        })
        .await
    }

    fn check(&self, tenant: TenantId, payload: &Payload, brands: &Brands) -> Result<(), TaskError> {
        let primary = payload.primary_brand_id.as_ref();
        if brands.get(tenant, primary).is_none() {
            return Err(not_found("Primary", "primary_brand_id", primary));
        }
        if let Some(secondary) = payload.secondary()
            && brands.get(tenant, Some(secondary)).is_none()
        {
            return Err(not_found(
                "Secondary",
                "secondary_brand_id",
                Some(secondary),
            ));
        }
        // ZORA CORE's order: the references first, then the values.
        if let Some(status) = &payload.status
            && !STATUSES.contains(&status.as_str())
        {
            return Err(TaskError::field(
                "status",
                format!(
                    "Invalid status: {status}. Must be one of: {}",
                    STATUSES.join(", ")
                ),
            ));
        }
        if let (Some(primary), Some(secondary)) = (&payload.primary_brand_id, payload.secondary())
            && primary
                .to_string()
                .trim()
                .eq_ignore_ascii_case(secondary.to_string().trim())
        {
            return Err(TaskError::field(
                "secondary_brand_id",
                format!("Secondary brand {secondary} is the same as the primary brand"),
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
        brands: &Brands,
    ) -> Result<Outcome<Self::Rows>, TaskError> {
        let (Some(primary), secondary) = (
            brands.get(task.tenant_id, payload.primary_brand_id.as_ref()),
            brands.get(task.tenant_id, payload.secondary()),
        ) else {
            return Err(TaskError::permanent("brand vanished after its check"));
        };
        let title = payload.title.clone().unwrap_or_default();
        let status = payload.status.clone().unwrap_or_else(|| "idea".into());
        let project_id = ShopProjectId::new();
        let project = NewShopProject {
            id: project_id,
            tenant_id: task.tenant_id,
            title: title.clone(),
            description: Some(payload.description.clone().unwrap_or_default()),
            status: status.clone(),
            primary_brand_id: primary.id,
            secondary_brand_id: secondary.map(|b| b.id),
            theme: payload.theme.clone(),
            target_launch_date: payload.target_launch_date.map(|d| d.0),
        };
        let brand_names = match secondary {
            Some(secondary) => format!("{} x {}", primary.name, secondary.name),
            None => primary.name.clone(),
        };
        let secondary_id = secondary.map(|b| b.id);
        let entry = journal::entry(
            task,
            JournalCategory::ZoraShop,
            "zora_shop_project_created",
            format!("Created ZORA SHOP project: {title}"),
            format!("New collaboration project with {brand_names}"),
            json!({
                "project_id": project_id,
                "primary_brand_id": primary.id,
                "secondary_brand_id": secondary_id,
                "status": status,
            }),
        );
        let result = json!({
            "project_id": project_id,
            "title": title,
            "primary_brand_id": primary.id,
            "secondary_brand_id": secondary_id,
            "status": status,
        });
        let summary = format!("Created ZORA SHOP project '{title}' with {brand_names}");
        Ok(
            Outcome::new(result, summary, vec![entry]).with_rows(ShopRows {
                projects: vec![project],
                ..ShopRows::default()
            }),
        )
    }
}
