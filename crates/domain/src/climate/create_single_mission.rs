//! `climate.create_single_mission`: one mission for a climate profile.

use crate::climate::tables::{ClimateProfile, NewMission};
use crate::ids::{MissionId, ProfileId};
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use zora_core::handler::{Category, Outcome, TaskError, TaskHandler};
use zora_core::journal::JournalCategory;
use zora_core::{HandlerTx, ReadTx, StoreError, Task, TenantId};

use crate::batch::{Rows, ids_by_tenant};
use crate::climate::rows::ClimateRows;
use crate::climate::store as climate_store;
use crate::journal;
use crate::payload::{Date, Reference, has_reference, has_text, require, resolve};

/// The payload of `climate.create_single_mission`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Payload {
    /// UUID of the climate profile the mission is for.
    #[schemars(required)]
    pub profile_id: Option<Reference>,
    /// The mission's title.
    #[schemars(required)]
    pub title: Option<String>,
    /// The mission's category (energy, transport, food, ...). Defaults to `general`.
    pub category: Option<String>,
    /// Estimated impact in kg CO2.
    pub estimated_impact_kgco2: Option<f64>,
    /// When the mission is due, `YYYY-MM-DD`.
    pub due_date: Option<Date>,
    /// Free-text notes.
    pub notes: Option<String>,
}

/// The handler of `climate.create_single_mission`.
#[derive(Debug, Clone, Copy)]
pub struct CreateSingleMission;

/// The profiles the batch names.
pub type Profiles = Rows<ProfileId, ClimateProfile>;

#[async_trait]
impl TaskHandler for CreateSingleMission {
    type Payload = Payload;
    type Context = Profiles;
    type Rows = ClimateRows;

    const KIND: &'static str = "climate.create_single_mission";
    const CATEGORY: Category = Category::ClimateOs;
    const DESCRIPTION: &'static str = "Create a single mission for a given profile";
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("profile_id", "UUID of the climate profile"),
        ("title", "Mission title"),
        (
            "category",
            "Mission category (energy, transport, food, etc.)",
        ),
        ("estimated_impact_kgco2", "Estimated CO2 impact in kg"),
        ("due_date", "Due date (YYYY-MM-DD)"),
        ("notes", "Additional notes"),
    ];

    fn validate(&self, payload: &Payload) -> Result<(), TaskError> {
        require(&[
            ("profile_id", has_reference(&payload.profile_id)),
            ("title", has_text(&payload.title)),
        ])
    }

    async fn load(
        &self,
        tx: &mut dyn ReadTx,
        batch: &[(&Task, &Payload)],
    ) -> Result<Profiles, StoreError> {
        let mut profiles = Profiles::default();
        for (tenant, ids) in ids_by_tenant(batch, |p| resolve(&p.profile_id).into_iter().collect())
        {
            profiles.insert_all(
                tenant,
                climate_store::profiles(&mut *tx, tenant, &ids).await?,
                |row| row.id,
            );
        }
        Ok(profiles)
    }

    fn check(
        &self,
        tenant: TenantId,
        payload: &Payload,
        profiles: &Profiles,
    ) -> Result<(), TaskError> {
        profiles
            .get(tenant, payload.profile_id.as_ref())
            .map(|_| ())
            .ok_or_else(|| {
                TaskError::field(
                    "profile_id",
                    format!(
                        "Profile {} not found or does not belong to tenant",
                        payload
                            .profile_id
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default()
                    ),
                )
            })
    }

    async fn apply(
        &self,
        _tx: &mut dyn HandlerTx,
        task: &Task,
        payload: &Payload,
        _prepared: Option<Value>,
        profiles: &Profiles,
    ) -> Result<Outcome<Self::Rows>, TaskError> {
        let Some(profile) = profiles.get(task.tenant_id, payload.profile_id.as_ref()) else {
            return Err(TaskError::permanent("profile vanished after its check"));
        };
        let title = payload.title.clone().unwrap_or_default();
        let category = payload.category.clone().unwrap_or_else(|| "general".into());
        let mission_id = MissionId::new();
        let mission = NewMission {
            id: mission_id,
            tenant_id: task.tenant_id,
            profile_id: profile.id,
            title: title.clone(),
            description: None,
            category: category.clone(),
            estimated_impact_kgco2: payload.estimated_impact_kgco2,
            due_date: payload.due_date.map(|d| d.0),
            notes: Some(payload.notes.clone().unwrap_or_default()),
            metadata: json!({}),
        };
        let entry = journal::entry(
            task,
            JournalCategory::ClimateAction,
            "climate_mission_created",
            format!("Created mission: {title}"),
            format!("New mission for profile '{}'", profile.name),
            json!({"mission_id": mission_id, "profile_id": profile.id, "category": category}),
        );
        let result = json!({
            "mission_id": mission_id,
            "profile_id": profile.id,
            "title": title,
            "category": category,
        });
        let summary = format!("Created mission '{title}' for profile {}", profile.id);
        Ok(
            Outcome::new(result, summary, vec![entry]).with_rows(ClimateRows {
                missions: vec![mission],
                ..ClimateRows::of(task.tenant_id)
            }),
        )
    }
}
