//! The registry: `task_type` → handler. The executor claims only the registered types;
//! every other type stays pending for ZORA CORE's legacy runtime.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use zora_core::handler::DynHandler;

use crate::faults::{FaultPlan, Faulty};

/// The task types this engine runs, each under its name and its aliases' (another name for
/// the same handler: the same payload, checks and result under a second `task_type`).
#[derive(Clone, Default)]
pub struct Registry {
    /// Every name a task may have, aliases included, with its handler.
    handlers: BTreeMap<&'static str, Arc<dyn DynHandler>>,
    /// Alias → the type it runs as.
    aliases: BTreeMap<&'static str, &'static str>,
    /// Types whose every new task needs a decision first (`ZORA_APPROVAL_TYPES`).
    approval_types: BTreeSet<String>,
    /// The types ZORA CORE's clients list as v1 (`v1_supported`).
    v1_kinds: BTreeSet<&'static str>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.handlers.keys()).finish()
    }
}

impl Registry {
    /// A registry of `handlers`; a later handler of the same kind replaces an earlier one.
    pub fn new(handlers: impl IntoIterator<Item = Arc<dyn DynHandler>>) -> Self {
        let mut registry = Self::default();
        for handler in handlers {
            registry.handlers.insert(handler.kind(), handler);
        }
        registry
    }

    /// This registry, running tasks of `alias` as `of` (already registered; an alias of
    /// a type it does not run is left out).
    pub fn with_alias(mut self, alias: &'static str, of: &'static str) -> Self {
        if let Some(handler) = self.handlers.get(of).cloned() {
            self.handlers.insert(alias, handler);
            self.aliases.insert(alias, of);
        }
        self
    }

    /// The type `kind` runs as, when it is an alias.
    pub fn alias_of(&self, kind: &str) -> Option<&'static str> {
        self.aliases.get(kind).copied()
    }

    /// This registry, where every new task of `types` needs a decision before it may
    /// run (registered or not: a type for the legacy runtime can need one too).
    pub fn with_approval_types(mut self, types: impl IntoIterator<Item = String>) -> Self {
        self.approval_types = types.into_iter().collect();
        self
    }

    /// This registry, listing `kinds` as the v1 types ZORA CORE's clients know
    /// (`v1_supported` in the catalog): a later type of the same category is not one.
    pub fn with_v1_kinds(mut self, kinds: impl IntoIterator<Item = &'static str>) -> Self {
        self.v1_kinds = kinds.into_iter().collect();
        self
    }

    /// Whether `kind` is one of the v1 types.
    pub fn is_v1(&self, kind: &str) -> bool {
        self.v1_kinds.contains(kind)
    }

    /// This registry, whose tasks fault as `plan` says (`zora worker --inject-faults`):
    /// each handler wrapped in [`Faulty`].
    pub fn with_faults(mut self, plan: FaultPlan) -> Self {
        for handler in self.handlers.values_mut() {
            *handler = Arc::new(Faulty {
                handler: handler.clone(),
                plan,
            });
        }
        self
    }

    /// Whether every new task of `kind` needs a decision first.
    pub fn requires_approval(&self, kind: &str) -> bool {
        self.approval_types.contains(kind)
    }

    /// The types that need a decision first, sorted.
    pub fn approval_types(&self) -> impl Iterator<Item = &str> {
        self.approval_types.iter().map(String::as_str)
    }

    /// The handler of `kind`.
    pub fn get(&self, kind: &str) -> Option<&Arc<dyn DynHandler>> {
        self.handlers.get(kind)
    }

    /// Every registered kind, aliases included, sorted.
    pub fn kinds(&self) -> Vec<String> {
        self.handlers.keys().map(|k| (*k).to_owned()).collect()
    }

    /// Every name a task may have, aliases included, with its handler, sorted by name.
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, &Arc<dyn DynHandler>)> {
        self.handlers.iter().map(|(kind, handler)| (*kind, handler))
    }

    /// Every handler once (aliases aside), sorted by kind.
    pub fn handlers(&self) -> impl Iterator<Item = &Arc<dyn DynHandler>> {
        self.handlers
            .iter()
            .filter(|(kind, _)| !self.aliases.contains_key(*kind))
            .map(|(_, handler)| handler)
    }

    /// ZORA CORE's message for a type this engine does not run.
    pub fn unsupported_message(&self, kind: &str) -> String {
        format!(
            "Unsupported task type: {kind}. Supported types: {}",
            self.kinds().join(", ")
        )
    }
}
