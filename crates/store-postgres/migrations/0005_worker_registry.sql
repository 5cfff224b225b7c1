-- The workers' registry: one row per worker process, beaten while it runs. Alive means
-- not stopped and not expired; `zora status` lists the live ones. A new table: nothing of
-- ZORA CORE's is touched.
CREATE TABLE IF NOT EXISTS agent_task_workers (
  id text PRIMARY KEY,                 -- the lease_owner it writes on the tasks it holds
  host text NOT NULL,
  pid integer NOT NULL,
  tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,   -- NULL: every tenant
  task_types text[] NOT NULL DEFAULT '{}',
  concurrency integer NOT NULL CHECK (concurrency > 0),
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  stopped_at timestamptz);
