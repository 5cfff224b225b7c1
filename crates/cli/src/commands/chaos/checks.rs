//! The chaos run's verdict: counts read with SQL from the database the workers wrote, each
//! of which must be zero. The same queries on both stores, but for how each spells a JSON
//! field and an id as text.

use std::collections::BTreeSet;

use serde::Serialize;
use sqlx::{PgPool, SqlitePool};
use zora_core::TaskId;

use crate::exit::CliError;

/// Where the checks read.
#[derive(Debug, Clone)]
pub enum Database {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// How the tasks ended.
#[derive(Debug, Serialize)]
pub struct Outcomes {
    pub completed: i64,
    /// Failed, each as the run meant (rejected, faulted for good, or a parent did).
    pub failed: i64,
    /// Run more than once: retried after a transient fault, or taken back from a killed
    /// worker's lease.
    pub run_more_than_once: i64,
    /// Attempts lost to an expired lease (a killed worker, a database restart), which
    /// cost no task any of its `max_attempts`.
    pub lost_attempts: i64,
    /// The most attempts one task lost, against the rescue's limit
    /// (`zora_core::RescuePolicy`): the margin a healthy task has.
    pub most_lost_by_one_task: i64,
}

/// One check: what it counts, and how many it found (zero when all is well).
#[derive(Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub found: i64,
}

/// Rows a handler writes, each named in its journal entry's `details`.
struct EffectRows {
    /// What the check is called.
    name: &'static str,
    table: &'static str,
    /// The column that names a row, and the `details` field (or, with `metadata`, the
    /// row's own `metadata` field) that names it.
    column: &'static str,
    field: &'static str,
    event_type: &'static str,
    /// Whether the rows are named through their `metadata` (missions from a plan, named
    /// by their plan).
    by_metadata: bool,
}

const EFFECT_ROWS: [EffectRows; 4] = [
    EffectRows {
        name: "single missions without a completed task's entry",
        table: "climate_missions",
        column: "id",
        field: "mission_id",
        event_type: "climate_mission_created",
        by_metadata: false,
    },
    EffectRows {
        name: "plan missions without a completed task's entry",
        table: "climate_missions",
        column: "plan_id",
        field: "plan_id",
        event_type: "climate_missions_created_from_plan",
        by_metadata: true,
    },
    EffectRows {
        name: "shop projects without a completed task's entry",
        table: "zora_shop_projects",
        column: "id",
        field: "project_id",
        event_type: "zora_shop_project_created",
        by_metadata: false,
    },
    EffectRows {
        name: "climate metadata without a completed task's entry",
        table: "product_climate_meta",
        column: "product_id",
        field: "product_id",
        event_type: "shop_product_climate_meta_updated",
        by_metadata: false,
    },
];

/// Prints `checks` as a table.
pub fn print_checks(checks: &[Check]) {
    crate::out!("| must be 0 | count |");
    crate::out!("|---|---:|");
    for check in checks {
        crate::out!("| {} | {} |", check.name, check.found);
    }
}

impl Database {
    /// Counts the keys `k` of `rows` not among the keys `k` of `set`, as each planner does
    /// it in one pass over each side: PostgreSQL hashes an anti-join (its `NOT IN` over a
    /// set larger than `work_mem` is not hashed: a scan of the set per row, which never
    /// ended at 100,000 tasks), SQLite builds an index for `NOT IN` (an anti-join it runs
    /// as a scan of the set per row: minutes at 100,000 tasks).
    fn missing(&self, rows: &str, set: &str) -> String {
        match self {
            Self::Postgres(_) => format!(
                "SELECT count(*) FROM ({rows}) r LEFT JOIN (SELECT DISTINCT k FROM ({set}) s0) s \
                 ON s.k = r.k WHERE s.k IS NULL"
            ),
            Self::Sqlite(_) => format!(
                "SELECT count(*) FROM ({rows}) r \
                 WHERE r.k NOT IN (SELECT k FROM ({set}) s WHERE k IS NOT NULL)"
            ),
        }
    }

    /// `column->>'field'` as this store writes it.
    fn field(&self, column: &str, field: &str) -> String {
        match self {
            Self::Postgres(_) => format!("{column}->>'{field}'"),
            Self::Sqlite(_) => format!("json_extract({column}, '$.{field}')"),
        }
    }

    /// The elements of a JSON array `column`, as a table whose rows have the one column
    /// `value`.
    fn elements(&self, column: &str) -> String {
        match self {
            Self::Postgres(_) => format!("jsonb_array_elements({column})"),
            Self::Sqlite(_) => format!("json_each({column})"),
        }
    }

    /// An id column as text.
    fn text(&self, column: &str) -> String {
        match self {
            Self::Postgres(_) => format!("{column}::text"),
            Self::Sqlite(_) => column.to_owned(),
        }
    }

    pub(super) async fn count(&self, sql: &str) -> Result<i64, CliError> {
        let counted = match self {
            Self::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Self::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        };
        counted.map_err(|e| CliError::Failed(format!("check failed: {e}\n{sql}")))
    }

    async fn ids(&self, sql: &str) -> Result<Vec<String>, CliError> {
        let found = match self {
            Self::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
            Self::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
        };
        found.map_err(|e| CliError::Failed(format!("check failed: {e}\n{sql}")))
    }

    /// Waits until no task is unfinished; returns how many still are after `limit`.
    pub async fn wait_finished(&self, limit: std::time::Duration) -> Result<i64, CliError> {
        let started = std::time::Instant::now();
        loop {
            let left = self
                .count(
                    "SELECT count(*) FROM agent_tasks WHERE status NOT IN ('completed', 'failed')",
                )
                .await?;
            if left == 0 || started.elapsed() > limit {
                return Ok(left);
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }

    /// How the tasks ended.
    pub async fn outcomes(&self) -> Result<Outcomes, CliError> {
        let lost = format!(
            "SELECT (SELECT count(*) FROM {} e WHERE {} = 'lease_expired') AS n FROM agent_tasks t",
            self.elements("t.errors"),
            self.field("e.value", "kind")
        );
        Ok(Outcomes {
            completed: self
                .count("SELECT count(*) FROM agent_tasks WHERE status = 'completed'")
                .await?,
            failed: self
                .count("SELECT count(*) FROM agent_tasks WHERE status = 'failed'")
                .await?,
            run_more_than_once: self
                .count("SELECT count(*) FROM agent_tasks WHERE attempts > 1")
                .await?,
            lost_attempts: self
                .count(&format!(
                    "SELECT CAST(coalesce(sum(n), 0) AS bigint) FROM ({lost}) l"
                ))
                .await?,
            most_lost_by_one_task: self
                .count(&format!("SELECT coalesce(max(n), 0) FROM ({lost}) l"))
                .await?,
        })
    }

    /// Every check, in the order printed; `seeded_plans` plans were there before the run.
    pub async fn checks(
        &self,
        must_fail: &BTreeSet<TaskId>,
        seeded_plans: i64,
    ) -> Result<Vec<Check>, CliError> {
        let task_of = self.field("details", "task_id");
        let event = self.field("details", "event_type");
        // A handler's entries: the engine's own (`agent_task_*`) are bookkeeping.
        let effects = format!(
            "(SELECT {task_of} AS task_id FROM journal_entries \
              WHERE {event} NOT LIKE 'agent\\_task\\_%' ESCAPE '\\' AND {task_of} IS NOT NULL)"
        );
        let completed_ids = format!(
            "SELECT {} AS k FROM agent_tasks WHERE status = 'completed'",
            self.text("id")
        );
        let mut checks = vec![
            Check {
                name: "tasks not in a terminal state",
                found: self
                    .count(
                        "SELECT count(*) FROM agent_tasks WHERE status NOT IN ('completed', 'failed')",
                    )
                    .await?,
            },
            Check {
                name: "completed tasks without their journal entry",
                found: self
                    .count(&self.missing(
                        &completed_ids,
                        &format!("SELECT task_id AS k FROM {effects} e"),
                    ))
                    .await?,
            },
            Check {
                name: "handler journal entries without a completed task",
                found: self
                    .count(&self.missing(
                        &format!("SELECT task_id AS k FROM {effects} e"),
                        &completed_ids,
                    ))
                    .await?,
            },
            Check {
                name: "tasks with more than one handler journal entry",
                found: self
                    .count(&format!(
                        "SELECT count(*) FROM (SELECT task_id FROM {effects} e \
                         GROUP BY task_id HAVING count(*) > 1) twice"
                    ))
                    .await?,
            },
        ];
        let plan_of = self.field("metadata", "plan_id");
        for rows in EFFECT_ROWS {
            let named = self.field("details", rows.field);
            let named_by = format!(
                "SELECT {named} AS k FROM journal_entries WHERE {event} = '{}' \
                  AND {task_of} IN ({completed_ids})",
                rows.event_type
            );
            // A single mission has no plan in its metadata; a plan's missions do.
            let (named_as, only) = match (rows.by_metadata, rows.table) {
                (true, _) => (plan_of.clone(), format!("{plan_of} IS NOT NULL AND ")),
                (false, "climate_missions") => {
                    (self.text(rows.column), format!("{plan_of} IS NULL AND "))
                }
                (false, _) => (self.text(rows.column), String::new()),
            };
            checks.push(Check {
                name: rows.name,
                found: self
                    .count(&self.missing(
                        &format!(
                            "SELECT {named_as} AS k FROM {} WHERE {only}1 = 1",
                            rows.table
                        ),
                        &named_by,
                    ))
                    .await?,
            });
        }
        checks.push(Check {
            name: "suggested plans other than one per completed suggestion",
            found: (self.count("SELECT count(*) FROM climate_plans").await?
                - seeded_plans
                - self
                    .count(
                        "SELECT count(*) FROM agent_tasks WHERE status = 'completed' \
                         AND task_type = 'climate.suggest_weekly_plan'",
                    )
                    .await?)
                .abs(),
        });
        let item_of = self.field("metadata", "plan_item_id");
        checks.push(Check {
            name: "plan items turned into missions more than once",
            found: self
                .count(&format!(
                    "SELECT count(*) FROM (SELECT {item_of} FROM climate_missions \
                     WHERE {item_of} IS NOT NULL GROUP BY {item_of} HAVING count(*) > 1) twice"
                ))
                .await?,
        });
        checks.push(Check {
            name: "failed tasks without a reason",
            found: self
                .count(
                    "SELECT count(*) FROM agent_tasks WHERE status = 'failed' \
                     AND (error_message IS NULL OR trim(error_message) = '')",
                )
                .await?,
        });
        checks.push(Check {
            name: "dependents of failed parents not failed",
            found: self
                .count(
                    "SELECT count(*) FROM agent_task_dependencies d \
                     JOIN agent_tasks p ON p.id = d.depends_on_task_id \
                     JOIN agent_tasks c ON c.id = d.task_id \
                     WHERE p.status = 'failed' AND c.status <> 'failed'",
                )
                .await?,
        });
        let failed: BTreeSet<String> = self
            .ids(&format!(
                "SELECT {} FROM agent_tasks WHERE status = 'failed'",
                self.text("id")
            ))
            .await?
            .into_iter()
            .collect();
        let expected: BTreeSet<String> = must_fail.iter().map(TaskId::to_string).collect();
        checks.push(Check {
            name: "healthy tasks failed (exhausted attempts or otherwise)",
            found: failed.difference(&expected).count() as i64,
        });
        checks.push(Check {
            name: "tasks meant to fail that did not",
            found: expected.difference(&failed).count() as i64,
        });
        Ok(checks)
    }

    /// Up to `n` reasons healthy tasks failed with, for the report.
    pub async fn unexpected_reasons(
        &self,
        must_fail: &BTreeSet<TaskId>,
        n: usize,
    ) -> Result<Vec<String>, CliError> {
        let sql = format!(
            "SELECT {} || ': ' || coalesce(error_message, '') FROM agent_tasks \
             WHERE status = 'failed'",
            self.text("id")
        );
        Ok(self
            .ids(&sql)
            .await?
            .into_iter()
            .filter(|line| {
                line.split(':')
                    .next()
                    .and_then(|id| id.parse::<TaskId>().ok())
                    .is_none_or(|id| !must_fail.contains(&id))
            })
            .take(n)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(checks: &[Check], name: &str) -> i64 {
        checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no check {name}"))
            .found
    }

    /// The checks find what they count: a clean database counts nothing, then each fault
    /// planted in it is counted by its check.
    #[tokio::test]
    async fn each_check_counts_what_was_planted() {
        let dir = std::env::temp_dir().join(format!("zora-checks-{}", TaskId::new()));
        std::fs::create_dir_all(&dir).expect("dir");
        let url = format!("sqlite://{}", dir.join("checks.db").display());
        let store = crate::open::open_sqlite(&url).await.expect("store");
        let database = Database::Sqlite(store.writer().clone());
        let none = BTreeSet::new();
        let clean = database.checks(&none, 0).await.expect("checks");
        assert!(clean.iter().all(|c| c.found == 0), "{clean:?}");

        let pool = store.writer();
        let tenant = zora_core::DEFAULT_TENANT_ID.to_string();
        let task = |status: &str| {
            let id = TaskId::new().to_string();
            let sql = format!(
                "INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, status) \
                 VALUES ('{id}', '{tenant}', 'SAM', 'zora_shop.create_project', 't', '{status}')"
            );
            (id, sql)
        };
        let (_, completed) = task("completed");
        let (_, failed) = task("failed");
        let (_, pending) = task("pending");
        let stray = format!(
            "INSERT INTO journal_entries (id, tenant_id, category, title, details) VALUES \
             ('{}', '{tenant}', 'zora_shop', 'e', \
              '{{\"event_type\": \"zora_shop_project_created\", \"task_id\": \"{}\"}}')",
            TaskId::new(),
            TaskId::new()
        );
        for sql in [completed, failed, pending, stray] {
            sqlx::query(&sql).execute(pool).await.expect(&sql);
        }
        let planted = database.checks(&none, 0).await.expect("checks");
        for (name, n) in [
            ("tasks not in a terminal state", 1),
            ("completed tasks without their journal entry", 1),
            ("handler journal entries without a completed task", 1),
            ("failed tasks without a reason", 1),
            ("healthy tasks failed (exhausted attempts or otherwise)", 1),
        ] {
            assert_eq!(found(&planted, name), n, "{name}: {planted:?}");
        }
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
