//! ZORA CORE's v1 list names its four types: a fifth Climate OS type is supported, and
//! listed among the types, but not as v1.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use zora_core::handler::{Category, Outcome, TaskError, TaskHandler};
use zora_core::{HandlerTx, Task, TenantId};
use zora_domain::V1_KINDS;

/// A later Climate OS type.
struct LaterClimateType;

#[async_trait]
impl TaskHandler for LaterClimateType {
    type Payload = Value;
    type Context = ();
    type Rows = ();

    const KIND: &'static str = "climate.summarize_week";
    const CATEGORY: Category = Category::ClimateOs;
    const DESCRIPTION: &'static str = "A type after v1";
    const FIELDS: &'static [(&'static str, &'static str)] = &[];

    fn check(&self, _tenant: TenantId, _payload: &Value, _context: &()) -> Result<(), TaskError> {
        Ok(())
    }

    async fn apply(
        &self,
        _tx: &mut dyn HandlerTx,
        _task: &Task,
        _payload: &Value,
        _prepared: Option<Value>,
        _context: &(),
    ) -> Result<Outcome, TaskError> {
        Err(TaskError::permanent("not run in this test"))
    }
}

#[test]
fn a_fifth_climate_type_is_not_v1() {
    let mut handlers = zora_domain::v1();
    handlers.push(Arc::new(LaterClimateType));
    let registry = zora_domain::registry(handlers);
    assert_eq!(registry.v1_kinds(), V1_KINDS.map(str::to_owned).to_vec());
    let catalog = registry.catalog();
    assert_eq!(catalog["v1_supported"].as_array().map(Vec::len), Some(4));
    assert!(
        catalog["supported"]
            .as_array()
            .expect("supported")
            .contains(&Value::from("climate.summarize_week"))
    );
}
