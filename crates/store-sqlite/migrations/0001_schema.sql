-- The queue's tables on SQLite, the mirror of the PostgreSQL schema (ZORA CORE 2.2's
-- tenants, users, journal, commands and tasks, plus the engine's additions): the same
-- tables and columns, stored by these conventions:
--   uuids      TEXT, lower-case, hyphenated
--   timestamps TEXT 'YYYY-MM-DDTHH:MM:SS.fffZ' (UTC, milliseconds), written identically
--              by these defaults and by the store, so text order is time order
--   dates      TEXT 'YYYY-MM-DD'; JSON and arrays TEXT holding JSON
--   numeric    REAL, rounded to 2 decimals by the store; booleans INTEGER 0/1
--   enums      TEXT with a CHECK listing the values
-- Each table's updated_at trigger fires only when an UPDATE did not set updated_at itself
-- (the store's own updates do), so the engine's writes stay one row write each.

CREATE TABLE tenants (
  id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, slug TEXT UNIQUE, description TEXT,
  metadata TEXT DEFAULT '{}', tenant_type TEXT DEFAULT 'private',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), updated_at TEXT);

CREATE TABLE users (
  id TEXT PRIMARY KEY NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  email TEXT NOT NULL, display_name TEXT,
  role TEXT NOT NULL DEFAULT 'viewer' CHECK (role IN ('founder','brand_admin','viewer','member')),
  metadata TEXT DEFAULT '{}', account_type TEXT DEFAULT 'private', password_hash TEXT, last_login_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), UNIQUE (tenant_id, email));

CREATE TABLE journal_entries (
  id TEXT PRIMARY KEY NOT NULL,
  category TEXT NOT NULL CHECK (category IN ('release','decision','model_update','experiment','milestone',
    'incident','config_change','agent_action','user_feedback','system_event','autonomy','climate_action','zora_shop')),
  title TEXT NOT NULL, body TEXT, details TEXT DEFAULT '{}', related_memory_ids TEXT DEFAULT '[]',
  related_entity_ids TEXT DEFAULT '[]', author TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  tenant_id TEXT NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001' REFERENCES tenants(id) ON DELETE CASCADE);
CREATE INDEX idx_journal_entries_tenant ON journal_entries (tenant_id);
CREATE INDEX idx_journal_entries_tenant_category ON journal_entries (tenant_id, category);
CREATE INDEX idx_journal_entries_tenant_created ON journal_entries (tenant_id, created_at DESC);
CREATE INDEX idx_journal_entries_category ON journal_entries (category);
CREATE INDEX idx_journal_entries_author ON journal_entries (author);
CREATE INDEX idx_journal_entries_created_at ON journal_entries (created_at DESC);

CREATE TABLE agent_commands (
  id TEXT PRIMARY KEY NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  created_by_user_id TEXT REFERENCES users(id) ON DELETE SET NULL, raw_prompt TEXT NOT NULL,
  target_agents TEXT DEFAULT NULL,
  status TEXT NOT NULL DEFAULT 'received' CHECK (status IN ('received','parsing','tasks_created','failed')),
  parsed_summary TEXT, tasks_created_count INTEGER DEFAULT 0, error_message TEXT, metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));

CREATE TABLE agent_tasks (
  id TEXT PRIMARY KEY NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  agent_id TEXT NOT NULL CHECK (agent_id IN ('CONNOR','LUMINA','EIVOR','ORACLE','AEGIS','SAM')),
  task_type TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','in_progress','completed','failed')),
  priority INTEGER NOT NULL DEFAULT 0, title TEXT NOT NULL, description TEXT, payload TEXT DEFAULT '{}',
  result_summary TEXT, error_message TEXT, started_at TEXT, completed_at TEXT,
  created_by_user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  command_id TEXT REFERENCES agent_commands(id) ON DELETE SET NULL, result TEXT,
  attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER,
  run_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  lease_owner TEXT, lease_expires_at TEXT, idempotency_key TEXT, errors TEXT NOT NULL DEFAULT '[]',
  cancelled_at TEXT, requires_approval INTEGER NOT NULL DEFAULT 0,
  approved_by_user_id TEXT REFERENCES users(id) ON DELETE SET NULL, approved_at TEXT,
  rejected_by_user_id TEXT REFERENCES users(id) ON DELETE SET NULL, rejected_at TEXT, decision_reason TEXT);
CREATE INDEX idx_agent_tasks_tenant ON agent_tasks (tenant_id);
CREATE INDEX idx_agent_tasks_agent ON agent_tasks (agent_id);
CREATE INDEX idx_agent_tasks_status ON agent_tasks (status);
CREATE INDEX idx_agent_tasks_task_type ON agent_tasks (task_type);
CREATE INDEX idx_agent_tasks_tenant_status ON agent_tasks (tenant_id, status);
CREATE INDEX idx_agent_tasks_priority ON agent_tasks (priority DESC);
CREATE INDEX idx_agent_tasks_tenant_agent ON agent_tasks (tenant_id, agent_id);
CREATE INDEX idx_agent_tasks_created_at ON agent_tasks (created_at DESC);
CREATE INDEX idx_agent_tasks_command_id ON agent_tasks (command_id) WHERE command_id IS NOT NULL;
CREATE INDEX idx_agent_tasks_pending_priority ON agent_tasks (tenant_id, priority DESC, created_at, id) WHERE status = 'pending';
CREATE INDEX idx_agent_tasks_claim ON agent_tasks (priority DESC, created_at, id) WHERE status = 'pending';
CREATE UNIQUE INDEX idx_agent_tasks_idempotency ON agent_tasks (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE agent_task_dependencies (
  task_id TEXT NOT NULL REFERENCES agent_tasks(id) ON DELETE CASCADE,
  depends_on_task_id TEXT NOT NULL REFERENCES agent_tasks(id) ON DELETE CASCADE,
  inputs TEXT, PRIMARY KEY (task_id, depends_on_task_id));
CREATE INDEX idx_agent_task_dependencies_depends_on ON agent_task_dependencies (depends_on_task_id);

CREATE TRIGGER update_tenants_updated_at AFTER UPDATE ON tenants FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE tenants SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER update_users_updated_at AFTER UPDATE ON users FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE users SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER update_journal_entries_updated_at AFTER UPDATE ON journal_entries FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE journal_entries SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER update_agent_commands_updated_at AFTER UPDATE ON agent_commands FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE agent_commands SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER update_agent_tasks_updated_at AFTER UPDATE ON agent_tasks FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE agent_tasks SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;

INSERT INTO tenants (id, name, slug) VALUES ('00000000-0000-0000-0000-000000000001', 'Default tenant', 'default')
ON CONFLICT DO NOTHING;
