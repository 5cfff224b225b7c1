//! The catalog of task types as ZORA CORE's clients read it (`GET /api/agents/tasks/types`
//! and `zora task-types --json`): v1 types by category, each with ZORA CORE's field
//! descriptions (`payload_schema`) and the real JSON Schema (`json_schema`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use zora_core::handler::Category;

use crate::registry::Registry;

impl Registry {
    /// The kinds in ZORA CORE's v1 categories (Climate OS, ZORA SHOP), sorted.
    pub fn v1_kinds(&self) -> Vec<String> {
        self.handlers()
            .filter(|h| h.category() != Category::Agents)
            .map(|h| h.kind().to_owned())
            .collect()
    }

    /// `{"v1_supported", "supported", "categories": {category: [{type, description,
    /// payload_schema, json_schema}]}}`.
    pub fn catalog(&self) -> Value {
        let mut categories: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
        for handler in self.handlers() {
            let fields: Map<String, Value> = handler
                .fields()
                .iter()
                .map(|(name, description)| ((*name).to_owned(), Value::from(*description)))
                .collect();
            let entry = json!({
                "type": handler.kind(),
                "description": handler.description(),
                "payload_schema": fields,
                "json_schema": handler.payload_schema(),
            });
            categories
                .entry(handler.category().as_str())
                .or_default()
                .push(entry);
        }
        json!({
            "v1_supported": self.v1_kinds(),
            "supported": self.kinds(),
            "categories": categories,
        })
    }
}
