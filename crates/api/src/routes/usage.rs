//! `GET /api/agents/usage`: the tenant's model usage (calls, tokens, cost) from `from` to
//! `to`, summed per day, model, task type or agent, with the totals.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use zora_core::usage::{UsageGrouping, UsageLine, UsageQuery};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// The window when none is given: the last 30 days.
const DEFAULT_DAYS: i64 = 30;

/// A time of the query, RFC 3339, or a fault naming it.
fn instant(query: &HashMap<String, String>, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    query
        .get(name)
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::field(
                        name,
                        format!("{name} must be a time in RFC 3339 (2026-12-01T00:00:00Z)"),
                    )
                })
        })
        .transpose()
}

pub async fn usage(
    user: AuthUser,
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let to = instant(&query, "to")?.unwrap_or_else(Utc::now);
    let from = instant(&query, "from")?.unwrap_or(to - Duration::days(DEFAULT_DAYS));
    if from >= to {
        return Err(ApiError::field("from", "from must be before to"));
    }
    let group_by: UsageGrouping = match query.get("group_by") {
        None => UsageGrouping::Day,
        Some(text) => text.parse().map_err(|_| {
            ApiError::field(
                "group_by",
                "group_by must be one of day, model, task_type, agent",
            )
        })?,
    };
    let lines = state
        .store
        .model_usage(&UsageQuery {
            tenant: user.tenant_id,
            from,
            to,
            group_by,
        })
        .await?;
    let totals = UsageLine::total(&lines);
    Ok(Json(json!({
        "data": lines,
        "totals": {"calls": totals.calls, "prompt_tokens": totals.prompt_tokens,
                   "completion_tokens": totals.completion_tokens, "cost_usd": totals.cost_usd},
        "from": from, "to": to, "group_by": group_by.as_str(),
        "budget": null,
    })))
}
