-- ZORA's domain tables on SQLite (Climate OS, ZORA SHOP), by the same conventions as the
-- queue's (TEXT uuids, timestamps and dates, REAL numerics, CHECKed enums). A file the
-- engine created before the domain had migrations of its own has them already: every
-- statement is IF NOT EXISTS.

CREATE TABLE IF NOT EXISTS climate_profiles (
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
CREATE UNIQUE INDEX IF NOT EXISTS idx_climate_profiles_unique_primary ON climate_profiles (tenant_id) WHERE is_primary = 1;

CREATE TABLE IF NOT EXISTS climate_missions (
  id TEXT PRIMARY KEY NOT NULL, profile_id TEXT REFERENCES climate_profiles(id) ON DELETE CASCADE,
  title TEXT NOT NULL, description TEXT, category TEXT,
  status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned','in_progress','completed','cancelled','failed')),
  estimated_impact_kgco2 REAL, due_date TEXT, started_at TEXT, completed_at TEXT, impact_estimate TEXT DEFAULT '{}',
  verified INTEGER DEFAULT 0, verified_by TEXT, verification_notes TEXT, metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  tenant_id TEXT NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001' REFERENCES tenants(id) ON DELETE CASCADE,
  notes TEXT);
CREATE INDEX IF NOT EXISTS idx_climate_missions_tenant ON climate_missions (tenant_id);

CREATE TABLE IF NOT EXISTS climate_plans (
  id TEXT PRIMARY KEY NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  profile_id TEXT NOT NULL REFERENCES climate_profiles(id) ON DELETE CASCADE,
  plan_type TEXT NOT NULL DEFAULT 'weekly', period_start TEXT NOT NULL, period_end TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'proposed', metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));

CREATE TABLE IF NOT EXISTS climate_plan_items (
  id TEXT PRIMARY KEY NOT NULL, plan_id TEXT NOT NULL REFERENCES climate_plans(id) ON DELETE CASCADE,
  mission_id TEXT REFERENCES climate_missions(id) ON DELETE SET NULL, title TEXT NOT NULL, description TEXT,
  category TEXT, estimated_impact_kgco2 REAL, status TEXT NOT NULL DEFAULT 'planned', metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE INDEX IF NOT EXISTS idx_climate_plan_items_plan ON climate_plan_items (plan_id, created_at, id);

CREATE TABLE IF NOT EXISTS brands (
  id TEXT PRIMARY KEY NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL, slug TEXT, description TEXT, country TEXT, sector TEXT, climate_tagline TEXT,
  website_url TEXT, logo_url TEXT, metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), UNIQUE (tenant_id, slug));

CREATE TABLE IF NOT EXISTS products (
  id TEXT PRIMARY KEY NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL, slug TEXT, brand_id TEXT REFERENCES brands(id) ON DELETE SET NULL, status TEXT DEFAULT 'draft',
  short_description TEXT, long_description TEXT, primary_image_url TEXT,
  climate_score REAL CHECK (climate_score >= 0 AND climate_score <= 100), estimated_impact_kgco2 REAL,
  price_currency TEXT DEFAULT 'EUR', price_amount REAL, notes TEXT, metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), description TEXT, UNIQUE (tenant_id, slug));

CREATE TABLE IF NOT EXISTS product_climate_meta (
  id TEXT PRIMARY KEY NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  product_id TEXT NOT NULL UNIQUE REFERENCES products(id) ON DELETE CASCADE, climate_label TEXT,
  estimated_impact_kgco2 REAL, certifications TEXT, notes TEXT, metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));

CREATE TABLE IF NOT EXISTS zora_shop_projects (
  id TEXT PRIMARY KEY NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  title TEXT NOT NULL, description TEXT, status TEXT NOT NULL DEFAULT 'idea',
  primary_brand_id TEXT NOT NULL REFERENCES brands(id) ON DELETE CASCADE,
  secondary_brand_id TEXT REFERENCES brands(id) ON DELETE SET NULL, theme TEXT, target_launch_date TEXT,
  launched_at TEXT, metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));

CREATE TRIGGER IF NOT EXISTS update_climate_profiles_updated_at AFTER UPDATE ON climate_profiles FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE climate_profiles SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER IF NOT EXISTS update_climate_missions_updated_at AFTER UPDATE ON climate_missions FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE climate_missions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER IF NOT EXISTS update_climate_plans_updated_at AFTER UPDATE ON climate_plans FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE climate_plans SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER IF NOT EXISTS update_climate_plan_items_updated_at AFTER UPDATE ON climate_plan_items FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE climate_plan_items SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER IF NOT EXISTS update_brands_updated_at AFTER UPDATE ON brands FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE brands SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER IF NOT EXISTS update_products_updated_at AFTER UPDATE ON products FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE products SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER IF NOT EXISTS update_product_climate_meta_updated_at AFTER UPDATE ON product_climate_meta FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE product_climate_meta SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;
CREATE TRIGGER IF NOT EXISTS update_zora_shop_projects_updated_at AFTER UPDATE ON zora_shop_projects FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE zora_shop_projects SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END;

-- A batch's loads look missions and weekly plans up by profile (the suggestion's open
-- missions, a plan's profile): without these, each was a scan of the tenant's rows.
CREATE INDEX IF NOT EXISTS idx_climate_missions_profile ON climate_missions (tenant_id, profile_id);
CREATE INDEX IF NOT EXISTS idx_climate_plans_profile ON climate_plans (tenant_id, profile_id);
