//! `GET /api/agents/session`: who the token names and what the role may do, for the
//! console (which cannot read an `HttpOnly` cookie's token itself).

use axum::Json;
use serde_json::{Value, json};

use crate::auth::{AuthUser, Role};

pub async fn session(user: AuthUser) -> Json<Value> {
    Json(json!({"data": {
        "tenant_id": user.tenant_id,
        "user_id": user.user_id,
        "role": user.role.as_str(),
        "can_operate": user.is_operator(),
        "can_decide": user.role == Role::Founder,
        "can_create": user.role != Role::Viewer,
    }}))
}
