-- Task types served by external workers, registered with their schemas: for one tenant,
-- or for every tenant (tenant_id NULL). One registration per scope and name: the unique
-- index on (COALESCE(tenant_id, the nil uuid), task_type) is in the set's indexes.
CREATE TABLE IF NOT EXISTS agent_task_types (
  id uuid PRIMARY KEY,
  tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
  task_type text NOT NULL CHECK (task_type ~ '^[a-z0-9_.]{1,100}$'),
  agent_id text NOT NULL,
  description text NOT NULL DEFAULT '',
  payload_schema jsonb NOT NULL,
  result_schema jsonb,
  timeout_s integer NOT NULL CHECK (timeout_s BETWEEN 1 AND 86400),
  max_attempts integer CHECK (max_attempts >= 1),
  registered_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now());
