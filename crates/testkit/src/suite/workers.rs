//! Cases for the workers' registry.

use std::time::Duration;

use zora_core::stats::Scope;
use zora_core::{Store, TaskId, WorkerRegistration};

use super::two_tenants;

fn registration(
    id: &str,
    tenant: Option<zora_core::TenantId>,
    ttl: Duration,
) -> WorkerRegistration {
    WorkerRegistration {
        kind: zora_core::worker::WorkerKind::Engine,
        id: id.to_owned(),
        host: "test-host".into(),
        pid: 4242,
        tenant,
        task_types: vec![
            "climate.create_single_mission".into(),
            "test.scripted".into(),
        ],
        concurrency: 3,
        ttl,
    }
}

fn ids(workers: &[zora_core::WorkerInfo]) -> Vec<&str> {
    workers.iter().map(|w| w.id.as_str()).collect()
}

pub async fn workers_register_beat_expire_and_stop(store: &dyn Store) {
    let t = two_tenants(store).await;
    let run = TaskId::new();
    let everyone = format!("worker:all:{run}");
    let only_a = format!("worker:a:{run}");
    let only_b = format!("worker:b:{run}");
    let hour = Duration::from_secs(3600);
    for worker in [
        registration(&everyone, None, hour),
        registration(&only_a, Some(t.a), hour),
        registration(&only_b, Some(t.b), hour),
    ] {
        store.register_worker(&worker).await.expect("register");
        // Distinct start times (SQLite keeps milliseconds), so "oldest first" is testable.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }

    // Each tenant sees the workers serving it, oldest first, and no other tenant's.
    let for_a = store.live_workers(Scope::Tenant(t.a)).await.expect("live");
    let mine: Vec<_> = ids(&for_a)
        .into_iter()
        .filter(|id| id.ends_with(&run.to_string()))
        .collect();
    assert_eq!(mine, [everyone.as_str(), only_a.as_str()]);
    let shown = for_a.iter().find(|w| w.id == only_a).expect("only_a");
    assert_eq!(shown.host, "test-host");
    assert_eq!(shown.pid, 4242);
    assert_eq!(shown.tenant_id, Some(t.a));
    assert_eq!(
        shown.task_types,
        ["climate.create_single_mission", "test.scripted"]
    );
    assert_eq!(shown.concurrency, 3);
    assert!(shown.heartbeat_at >= shown.started_at);
    let for_b = store.live_workers(Scope::Tenant(t.b)).await.expect("live");
    assert!(
        !ids(&for_b).contains(&only_a.as_str()),
        "tenant B sees A's worker"
    );
    assert!(ids(&for_b).contains(&only_b.as_str()));
    let all = store.live_workers(Scope::AllTenants).await.expect("live");
    let every = ids(&all)
        .into_iter()
        .filter(|id| id.ends_with(&run.to_string()))
        .collect::<Vec<_>>();
    assert_eq!(
        every,
        [everyone.as_str(), only_a.as_str(), only_b.as_str()],
        "every tenant's workers, oldest first"
    );

    // A beat moves the heartbeat on; a row without beats expires.
    tokio::time::sleep(Duration::from_millis(15)).await;
    assert!(store.beat_worker(&only_a, hour).await.expect("beat"));
    let beaten = store.live_workers(Scope::Tenant(t.a)).await.expect("live");
    let beaten = beaten.iter().find(|w| w.id == only_a).expect("only_a");
    assert!(
        beaten.heartbeat_at > shown.heartbeat_at,
        "the beat moved heartbeat_at"
    );
    assert_eq!(beaten.started_at, shown.started_at, "started_at stays");
    assert!(
        store
            .beat_worker(&only_a, Duration::ZERO)
            .await
            .expect("beat")
    );
    tokio::time::sleep(Duration::from_millis(15)).await;
    assert!(
        !ids(&store.live_workers(Scope::Tenant(t.a)).await.expect("live"))
            .contains(&only_a.as_str()),
        "an expired worker is not alive"
    );
    assert_eq!(
        store.lost_workers(hour).await.expect("lost"),
        1,
        "a worker whose row expired without a stop was lost"
    );
    assert_eq!(
        store
            .lost_workers(Duration::from_millis(5))
            .await
            .expect("lost"),
        0,
        "lost longer ago than asked"
    );

    // Stopped: not alive, and a beat says so (the worker would register again).
    store.stop_worker(&everyone).await.expect("stop");
    assert!(
        !ids(&store.live_workers(Scope::Tenant(t.a)).await.expect("live"))
            .contains(&everyone.as_str())
    );
    assert!(!store.beat_worker(&everyone, hour).await.expect("beat"));
    assert_eq!(
        store.lost_workers(hour).await.expect("lost"),
        1,
        "a stopped worker was not lost"
    );
    assert!(
        !store
            .beat_worker("worker:unknown", hour)
            .await
            .expect("beat")
    );

    // Registering again revives the row.
    store
        .register_worker(&registration(&everyone, None, hour))
        .await
        .expect("register again");
    assert!(
        ids(&store.live_workers(Scope::Tenant(t.b)).await.expect("live"))
            .contains(&everyone.as_str())
    );
}
