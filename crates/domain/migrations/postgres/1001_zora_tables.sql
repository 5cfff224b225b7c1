-- ZORA's domain tables (Climate OS, ZORA SHOP) from ZORA CORE 2.2, created where absent
-- (an empty database) and left as they are where present (a live ZORA CORE database, or
-- one the engine migrated before the domain had migrations of its own). Indexes are
-- built afterwards with CREATE INDEX CONCURRENTLY (the domain's index list).
--
-- Differences from ZORA CORE 2.2, on purpose:
--   * climate_profiles, climate_missions: tenant_id NOT NULL on a fresh database;
--   * climate_missions.notes, which ZORA CORE's code writes and its schema lacks;
--   * the enum types no column here uses (plan_status, plan_item_status, product_status,
--     zora_shop_project_status) are not created: they are ZORA CORE's names, and the
--     engine creates no type under them.
SET LOCAL lock_timeout = '10s';

DO $$
DECLARE
  wanted CONSTANT jsonb := '{
    "mission_status": ["planned","in_progress","completed","cancelled","failed"],
    "profile_type": ["person","brand","organization"]
  }';
  type_name text;
BEGIN
  FOR type_name IN SELECT jsonb_object_keys(wanted) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                   WHERE t.typname = type_name AND n.nspname = current_schema()) THEN
      EXECUTE format('CREATE TYPE %I AS ENUM (%s)', type_name,
        (SELECT string_agg(quote_literal(v), ',') FROM jsonb_array_elements_text(wanted -> type_name) AS v));
    ELSIF NOT EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                      WHERE t.typname = type_name AND n.nspname = current_schema() AND t.typtype = 'e') THEN
      RAISE EXCEPTION 'type % exists but is not an enum: the engine needs ZORA CORE''s enum %', type_name, type_name;
    END IF;
  END LOOP;
END $$;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE p.proname = 'update_updated_at_column' AND n.nspname = current_schema()) THEN
    CREATE FUNCTION update_updated_at_column() RETURNS TRIGGER AS $f$
    BEGIN NEW.updated_at = NOW(); RETURN NEW; END; $f$ LANGUAGE plpgsql;
  END IF;
END $$;

-- A table that already existed must have the shape the domain reads and writes: a
-- table of the same name and another shape is an error naming it, not a silent success.
DO $$
DECLARE
  needed CONSTANT jsonb := '{
    "climate_profiles": {"id": "uuid", "tenant_id": "uuid", "name": "varchar", "profile_type": "profile_type"},
    "climate_missions": {"id": "uuid", "tenant_id": "uuid", "profile_id": "uuid", "title": "varchar", "description": "text", "category": "varchar", "status": "mission_status", "estimated_impact_kgco2": "numeric", "due_date": "date", "metadata": "jsonb", "created_at": "timestamptz"},
    "climate_plans": {"id": "uuid", "tenant_id": "uuid", "profile_id": "uuid", "plan_type": "varchar", "period_start": "date", "period_end": "date", "status": "varchar"},
    "climate_plan_items": {"id": "uuid", "plan_id": "uuid", "mission_id": "uuid", "title": "varchar", "description": "text", "category": "varchar", "estimated_impact_kgco2": "numeric", "status": "varchar", "created_at": "timestamptz"},
    "brands": {"id": "uuid", "tenant_id": "uuid", "name": "varchar", "slug": "varchar"},
    "products": {"id": "uuid", "tenant_id": "uuid", "name": "varchar", "slug": "varchar", "brand_id": "uuid"},
    "product_climate_meta": {"id": "uuid", "tenant_id": "uuid", "product_id": "uuid", "climate_label": "varchar", "estimated_impact_kgco2": "numeric", "certifications": "text", "notes": "text"},
    "zora_shop_projects": {"id": "uuid", "tenant_id": "uuid", "title": "varchar", "description": "text", "status": "varchar", "primary_brand_id": "uuid", "secondary_brand_id": "uuid", "theme": "varchar", "target_launch_date": "date", "created_at": "timestamptz"}
  }';
  tbl TEXT; col TEXT; want TEXT; have TEXT;
BEGIN
  FOR tbl IN SELECT k FROM jsonb_object_keys(needed) AS k
             WHERE to_regclass(format('%I.%I', current_schema(), k)) IS NOT NULL LOOP
    FOR col, want IN SELECT key, value FROM jsonb_each_text(needed -> tbl) LOOP
      SELECT udt_name INTO have FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = tbl AND column_name = col;
      IF have IS NULL THEN
        RAISE EXCEPTION 'table % exists with another shape: it has no column % (the domain needs % %)', tbl, col, col, want;
      ELSIF have <> want THEN
        RAISE EXCEPTION 'table % exists with another shape: column % is %, the domain needs %', tbl, col, have, want;
      END IF;
    END LOOP;
  END LOOP;
END $$;

CREATE TABLE IF NOT EXISTS climate_profiles (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), name VARCHAR(255) NOT NULL,
  profile_type profile_type NOT NULL DEFAULT 'person', owner_id VARCHAR(255), description TEXT,
  energy_source VARCHAR(100), transport_mode VARCHAR(100), diet_type VARCHAR(100), location_type VARCHAR(100),
  country VARCHAR(100), city_or_region VARCHAR(255), sector VARCHAR(255), organization_name VARCHAR(255),
  primary_energy_source VARCHAR(100), website_url VARCHAR(500), logo_url VARCHAR(500),
  scope VARCHAR(50) DEFAULT 'individual', is_primary BOOLEAN DEFAULT FALSE, household_size INTEGER CHECK (household_size >= 1),
  climate_score INTEGER CHECK (climate_score >= 0 AND climate_score <= 100), estimated_footprint_kg DECIMAL(12,2),
  metadata JSONB DEFAULT '{}', notes TEXT, created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW(),
  tenant_id UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001' REFERENCES tenants(id) ON DELETE CASCADE);

CREATE TABLE IF NOT EXISTS climate_missions (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
  profile_id UUID REFERENCES climate_profiles(id) ON DELETE CASCADE, title VARCHAR(500) NOT NULL, description TEXT,
  category VARCHAR(100), status mission_status NOT NULL DEFAULT 'planned', estimated_impact_kgco2 NUMERIC(12,2),
  due_date DATE, started_at TIMESTAMPTZ, completed_at TIMESTAMPTZ, impact_estimate JSONB DEFAULT '{}',
  verified BOOLEAN DEFAULT FALSE, verified_by VARCHAR(50), verification_notes TEXT, metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW(),
  tenant_id UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001' REFERENCES tenants(id) ON DELETE CASCADE);

CREATE TABLE IF NOT EXISTS climate_plans (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  profile_id UUID NOT NULL REFERENCES climate_profiles(id) ON DELETE CASCADE, plan_type VARCHAR(50) NOT NULL DEFAULT 'weekly',
  period_start DATE NOT NULL, period_end DATE NOT NULL, status VARCHAR(50) NOT NULL DEFAULT 'proposed', metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW());

CREATE TABLE IF NOT EXISTS climate_plan_items (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), plan_id UUID NOT NULL REFERENCES climate_plans(id) ON DELETE CASCADE,
  mission_id UUID REFERENCES climate_missions(id) ON DELETE SET NULL, title VARCHAR(500) NOT NULL, description TEXT,
  category VARCHAR(100), estimated_impact_kgco2 NUMERIC(12,2), status VARCHAR(50) NOT NULL DEFAULT 'planned', metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW());

CREATE TABLE IF NOT EXISTS brands (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name VARCHAR(255) NOT NULL, slug VARCHAR(100), description TEXT, country VARCHAR(100), sector VARCHAR(255),
  climate_tagline TEXT, website_url VARCHAR(500), logo_url VARCHAR(500), metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW(), UNIQUE(tenant_id, slug));

CREATE TABLE IF NOT EXISTS products (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name VARCHAR(255) NOT NULL, slug VARCHAR(100), brand_id UUID REFERENCES brands(id) ON DELETE SET NULL, status VARCHAR(50) DEFAULT 'draft',
  short_description TEXT, long_description TEXT, primary_image_url VARCHAR(500),
  climate_score NUMERIC(5,2) CHECK (climate_score >= 0 AND climate_score <= 100), estimated_impact_kgco2 NUMERIC(12,2),
  price_currency VARCHAR(10) DEFAULT 'EUR', price_amount NUMERIC(12,2), notes TEXT, metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW(), UNIQUE(tenant_id, slug),
  description TEXT);

CREATE TABLE IF NOT EXISTS product_climate_meta (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  product_id UUID NOT NULL UNIQUE REFERENCES products(id) ON DELETE CASCADE, climate_label VARCHAR(100),
  estimated_impact_kgco2 NUMERIC(12,2), certifications TEXT, notes TEXT, metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW());

CREATE TABLE IF NOT EXISTS zora_shop_projects (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  title VARCHAR(500) NOT NULL, description TEXT, status VARCHAR(50) NOT NULL DEFAULT 'idea',
  primary_brand_id UUID NOT NULL REFERENCES brands(id) ON DELETE CASCADE, secondary_brand_id UUID REFERENCES brands(id) ON DELETE SET NULL,
  theme VARCHAR(255), target_launch_date DATE, launched_at TIMESTAMPTZ, metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW());

ALTER TABLE climate_missions ADD COLUMN IF NOT EXISTS notes text;

DO $$
DECLARE t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['climate_profiles','climate_missions','climate_plans','climate_plan_items','brands',
      'products','product_climate_meta','zora_shop_projects'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = t::regclass AND tgname = format('update_%s_updated_at', t)) THEN
      EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()',
                     format('update_%s_updated_at', t), t);
    END IF;
  END LOOP;
END $$;
