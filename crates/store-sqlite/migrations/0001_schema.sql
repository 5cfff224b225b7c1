-- The SQLite mirror of the PostgreSQL schema (ZORA CORE 2.2's tables in scope plus the
-- engine's additions): the same tables and columns, stored by SCHEMA.md's SQLite
-- conventions:
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

CREATE TABLE climate_profiles (
  id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL,
  profile_type TEXT NOT NULL DEFAULT 'person' CHECK (profile_type IN ('person','brand','organization')),
  owner_id TEXT, description TEXT, energy_source TEXT, transport_mode TEXT, diet_type TEXT, location_type TEXT,
  country TEXT, city_or_region TEXT, sector TEXT, organization_name TEXT, primary_energy_source TEXT,
  website_url TEXT, logo_url TEXT, scope TEXT DEFAULT 'individual', is_primary INTEGER DEFAULT 0,
  household_size INTEGER CHECK (household_size >= 1),
  climate_score INTEGER CHECK (climate_score >= 0 AND climate_score <= 100), estimated_footprint_kg REAL,
  metadata TEXT DEFAULT '{}', notes TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  tenant_id TEXT NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001' REFERENCES tenants(id) ON DELETE CASCADE);
CREATE UNIQUE INDEX idx_climate_profiles_unique_primary ON climate_profiles (tenant_id) WHERE is_primary = 1;

CREATE TABLE climate_missions (
  id TEXT PRIMARY KEY NOT NULL, profile_id TEXT REFERENCES climate_profiles(id) ON DELETE CASCADE,
  title TEXT NOT NULL, description TEXT, category TEXT,
  status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned','in_progress','completed','cancelled','failed')),
  estimated_impact_kgco2 REAL, due_date TEXT, started_at TEXT, completed_at TEXT, impact_estimate TEXT DEFAULT '{}',
  verified INTEGER DEFAULT 0, verified_by TEXT, verification_notes TEXT, metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  tenant_id TEXT NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001' REFERENCES tenants(id) ON DELETE CASCADE,
  notes TEXT);
CREATE INDEX idx_climate_missions_tenant ON climate_missions (tenant_id);

CREATE TABLE climate_plans (
  id TEXT PRIMARY KEY NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  profile_id TEXT NOT NULL REFERENCES climate_profiles(id) ON DELETE CASCADE,
  plan_type TEXT NOT NULL DEFAULT 'weekly', period_start TEXT NOT NULL, period_end TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'proposed', metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));

CREATE TABLE climate_plan_items (
  id TEXT PRIMARY KEY NOT NULL, plan_id TEXT NOT NULL REFERENCES climate_plans(id) ON DELETE CASCADE,
  mission_id TEXT REFERENCES climate_missions(id) ON DELETE SET NULL, title TEXT NOT NULL, description TEXT,
  category TEXT, estimated_impact_kgco2 REAL, status TEXT NOT NULL DEFAULT 'planned', metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE INDEX idx_climate_plan_items_plan ON climate_plan_items (plan_id, created_at, id);

CREATE TABLE brands (
  id TEXT PRIMARY KEY NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL, slug TEXT, description TEXT, country TEXT, sector TEXT, climate_tagline TEXT,
  website_url TEXT, logo_url TEXT, metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), UNIQUE (tenant_id, slug));

CREATE TABLE products (
  id TEXT PRIMARY KEY NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL, slug TEXT, brand_id TEXT REFERENCES brands(id) ON DELETE SET NULL, status TEXT DEFAULT 'draft',
  short_description TEXT, long_description TEXT, primary_image_url TEXT,
  climate_score REAL CHECK (climate_score >= 0 AND climate_score <= 100), estimated_impact_kgco2 REAL,
  price_currency TEXT DEFAULT 'EUR', price_amount REAL, notes TEXT, metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), description TEXT, UNIQUE (tenant_id, slug));

CREATE TABLE product_climate_meta (
  id TEXT PRIMARY KEY NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  product_id TEXT NOT NULL UNIQUE REFERENCES products(id) ON DELETE CASCADE, climate_label TEXT,
  estimated_impact_kgco2 REAL, certifications TEXT, notes TEXT, metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));

CREATE TABLE zora_shop_projects (
  id TEXT PRIMARY KEY NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  title TEXT NOT NULL, description TEXT, status TEXT NOT NULL DEFAULT 'idea',
  primary_brand_id TEXT NOT NULL REFERENCES brands(id) ON DELETE CASCADE,
  secondary_brand_id TEXT REFERENCES brands(id) ON DELETE SET NULL, theme TEXT, target_launch_date TEXT,
  launched_at TEXT, metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));

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
CREATE TRIGGER update_climate_profiles_updated_at AFTER UPDATE ON climate_profiles FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE climate_profiles SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER update_climate_missions_updated_at AFTER UPDATE ON climate_missions FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE climate_missions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER update_climate_plans_updated_at AFTER UPDATE ON climate_plans FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE climate_plans SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER update_climate_plan_items_updated_at AFTER UPDATE ON climate_plan_items FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE climate_plan_items SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER update_brands_updated_at AFTER UPDATE ON brands FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE brands SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER update_products_updated_at AFTER UPDATE ON products FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE products SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER update_product_climate_meta_updated_at AFTER UPDATE ON product_climate_meta FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE product_climate_meta SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER update_zora_shop_projects_updated_at AFTER UPDATE ON zora_shop_projects FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE zora_shop_projects SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER update_agent_commands_updated_at AFTER UPDATE ON agent_commands FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE agent_commands SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER update_agent_tasks_updated_at AFTER UPDATE ON agent_tasks FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE agent_tasks SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;

INSERT INTO tenants (id, name, slug) VALUES ('00000000-0000-0000-0000-000000000001', 'Default tenant', 'default')
ON CONFLICT DO NOTHING;
