//! Cases for external types' registrations: one per scope (a tenant, or every tenant) and
//! name, registered again to replace its definition, a tenant's own hiding every
//! tenant's, another tenant's invisible, and an unregistration that touches its scope
//! alone.

use serde_json::json;
use zora_core::external::{ExternalTypeDefinition, NewExternalType, PushTarget};
use zora_core::{Store, TenantId, UserId};

use super::two_tenants;

fn new_type(tenant: Option<TenantId>, name: &str, agent: &str) -> NewExternalType {
    NewExternalType {
        tenant_id: tenant,
        task_type: name.into(),
        definition: ExternalTypeDefinition {
            agent_id: agent.into(),
            description: format!("{name} by {agent}"),
            payload_schema: json!({"type": "object", "required": ["url"],
                "properties": {"url": {"type": "string"}}}),
            result_schema: None,
            timeout_s: 300,
            max_attempts: Some(5),
            push: None,
        },
        registered_by: Some(UserId::new()),
    }
}

pub async fn external_types_are_one_per_scope_and_name(store: &dyn Store) {
    let t = two_tenants(store).await;
    let everyone = new_type(None, "review_accessibility", "SAM");
    let stored = store
        .register_external_type(&everyone)
        .await
        .expect("register for every tenant");
    assert_eq!(stored.definition, everyone.definition);
    assert_eq!(
        (
            stored.tenant_id,
            stored.task_type.as_str(),
            stored.registered_by
        ),
        (None, "review_accessibility", everyone.registered_by)
    );

    let mut replaced = everyone.clone();
    replaced.definition.description = "Review a page for accessibility".into();
    replaced.definition.result_schema = Some(json!({"type": "object"}));
    replaced.definition.max_attempts = None;
    let again = store
        .register_external_type(&replaced)
        .await
        .expect("register again");
    assert_eq!(again.definition, replaced.definition);
    assert_eq!(
        (again.tenant_id, again.task_type.as_str()),
        (None, "review_accessibility")
    );
    assert_eq!(
        again.created_at, stored.created_at,
        "the registration is kept"
    );
    assert!(again.updated_at >= stored.updated_at);

    let own = new_type(Some(t.a), "review_accessibility", "AEGIS");
    store
        .register_external_type(&own)
        .await
        .expect("register for one tenant");
    store
        .register_external_type(&new_type(Some(t.a), "research.deep", "ORACLE"))
        .await
        .expect("register another");

    let for_a = store.external_types(Some(t.a)).await.expect("list");
    let names: Vec<(&str, &str)> = for_a
        .iter()
        .map(|x| (x.task_type.as_str(), x.definition.agent_id.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("research.deep", "ORACLE"),
            ("review_accessibility", "AEGIS")
        ],
        "the tenant's own registration hides every tenant's"
    );
    let for_b = store.external_types(Some(t.b)).await.expect("list");
    assert_eq!(for_b.len(), 1, "{for_b:?}");
    assert_eq!(for_b[0].definition, replaced.definition, "{for_b:?}");
    assert_eq!(
        (for_b[0].tenant_id, for_b[0].task_type.as_str()),
        (None, "review_accessibility")
    );
    let global = store.external_types(None).await.expect("list");
    assert_eq!(global.len(), 1, "every tenant's registrations only");

    assert!(
        !store
            .unregister_external_type(Some(t.b), "review_accessibility")
            .await
            .expect("unregister"),
        "another tenant's scope has no such registration"
    );
    assert!(
        store
            .unregister_external_type(Some(t.a), "review_accessibility")
            .await
            .expect("unregister")
    );
    let for_a = store.external_types(Some(t.a)).await.expect("list");
    let every = for_a
        .iter()
        .find(|x| x.task_type == "review_accessibility")
        .expect("every tenant's registration shows again");
    assert_eq!(every.tenant_id, None);
    assert!(
        store
            .unregister_external_type(None, "review_accessibility")
            .await
            .expect("unregister")
    );
    assert_eq!(
        store.external_types(Some(t.b)).await.expect("list").len(),
        0
    );
}

pub async fn a_registration_of_the_wrong_shape_is_refused(store: &dyn Store) {
    let t = two_tenants(store).await;
    for (name, timeout) in [("Not A Name", 300), ("", 300), ("fine.name", 0)] {
        let mut bad = new_type(Some(t.a), name, "SAM");
        bad.definition.timeout_s = timeout;
        assert!(
            store.register_external_type(&bad).await.is_err(),
            "{name:?} with timeout {timeout}"
        );
    }
    assert!(
        store
            .external_types(Some(t.a))
            .await
            .expect("list")
            .is_empty()
    );
}

/// A type delivered by push keeps its target (its secret too), and is listed among the
/// push types whatever its scope; one without a target is not.
pub async fn push_registrations_keep_their_target(store: &dyn Store) {
    let t = two_tenants(store).await;
    let mut pushed = new_type(Some(t.a), "notify_edge", "SAM");
    pushed.definition.push = Some(PushTarget {
        url: "https://edge.zora.example/tasks".into(),
        timeout_s: 20,
        secret: "a secret of the edge function".into(),
    });
    let stored = store
        .register_external_type(&pushed)
        .await
        .expect("push type");
    assert_eq!(stored.definition.push, pushed.definition.push);
    store
        .register_external_type(&new_type(None, "review_accessibility", "SAM"))
        .await
        .expect("pull type");
    let push_types = store.push_types().await.expect("push types");
    let names: Vec<_> = push_types
        .iter()
        .filter(|k| k.tenant_id == Some(t.a))
        .map(|k| k.task_type.as_str())
        .collect();
    assert_eq!(names, ["notify_edge"]);
    assert!(
        push_types.iter().all(|k| k.definition.push.is_some()),
        "only push types"
    );
    let shown = serde_json::to_value(&stored).expect("json");
    assert_eq!(shown["push"]["url"], "https://edge.zora.example/tasks");
    assert!(
        shown["push"].get("secret").is_none(),
        "the secret is never shown"
    );
}
