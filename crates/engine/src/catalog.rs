//! The catalog of task types as ZORA CORE's clients read it (`GET /api/agents/tasks/types`
//! and `zora task-types --json`): v1 types by category, each with ZORA CORE's field
//! descriptions (`payload_schema`) and the real JSON Schema (`json_schema`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::registry::Registry;

impl Registry {
    /// The v1 types ([`Registry::with_v1_kinds`]) this registry runs, sorted.
    pub fn v1_kinds(&self) -> Vec<String> {
        self.kinds()
            .into_iter()
            .filter(|kind| self.is_v1(kind))
            .collect()
    }

    /// `{"v1_supported", "supported", "approval_types", "categories": {category: [{type,
    /// description, requires_approval, payload_schema, json_schema, alias_of?}]}}` (an
    /// alias names the type it runs as); every type's
    /// payload also takes `depends_on` beside it, so `inputs` may fill any of
    /// its fields.
    pub fn catalog(&self) -> Value {
        let mut categories: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
        for (kind, handler) in self.entries() {
            let fields: Map<String, Value> = handler
                .fields()
                .iter()
                .map(|(name, description)| ((*name).to_owned(), Value::from(*description)))
                .collect();
            let mut entry = json!({
                "type": kind,
                "description": handler.description(),
                "requires_approval": self.requires_approval(kind),
                "payload_schema": fields,
                "json_schema": handler.payload_schema(),
            });
            if let Some(of) = self.alias_of(kind) {
                entry["alias_of"] = Value::from(of);
            }
            categories
                .entry(handler.category().as_str())
                .or_default()
                .push(entry);
        }
        json!({
            "v1_supported": self.v1_kinds(),
            "supported": self.kinds(),
            "approval_types": self.approval_types().collect::<Vec<_>>(),
            "categories": categories,
        })
    }
}
