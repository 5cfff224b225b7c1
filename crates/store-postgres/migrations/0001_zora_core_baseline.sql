-- ZORA CORE 2.2's tables the queue uses (tenants, users, the journal, commands, tasks),
-- created where absent (an empty database) and left as they are where present (a live
-- ZORA CORE database); the domain's tables are the domain's own migrations. Indexes are not built here: the
-- migrator builds them afterwards with CREATE INDEX CONCURRENTLY, so that a live table
-- is never locked against writers (see src/migrate/indexes.rs).
--
-- Differences from zora_core_2_2.sql, on purpose:
--   * journal_entries: tenant_id NOT NULL on a fresh database (a live one keeps whatever
--     nullability it has).
SET LOCAL lock_timeout = '10s';

CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE EXTENSION IF NOT EXISTS pg_trgm;

DO $$
DECLARE
  wanted CONSTANT jsonb := '{
    "agent_task_status": ["pending","in_progress","completed","failed"],
    "agent_command_status": ["received","parsing","tasks_created","failed"],
    "journal_category": ["release","decision","model_update","experiment","milestone","incident","config_change","agent_action","user_feedback","system_event","autonomy"],
    "user_role": ["founder","brand_admin","viewer","member"]
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

-- A table that already existed must have the shape the engine reads and writes: a
-- table of the same name and another shape is an error naming it, not a silent success.
DO $$
DECLARE
  needed CONSTANT jsonb := '{
    "tenants": {"id": "uuid", "name": "varchar", "slug": "varchar"},
    "users": {"id": "uuid", "tenant_id": "uuid"},
    "journal_entries": {"id": "uuid", "tenant_id": "uuid", "category": "journal_category", "title": "varchar", "body": "text", "details": "jsonb", "author": "varchar", "created_at": "timestamptz"},
    "agent_commands": {"id": "uuid", "tenant_id": "uuid", "created_by_user_id": "uuid", "raw_prompt": "text", "target_agents": "_text", "status": "agent_command_status", "parsed_summary": "text", "tasks_created_count": "int4", "error_message": "text", "metadata": "jsonb", "created_at": "timestamptz", "updated_at": "timestamptz"},
    "agent_tasks": {"id": "uuid", "tenant_id": "uuid", "command_id": "uuid", "agent_id": "varchar", "task_type": "varchar", "status": "agent_task_status", "priority": "int4", "title": "varchar", "description": "text", "payload": "jsonb", "result": "jsonb", "result_summary": "text", "error_message": "text", "started_at": "timestamptz", "completed_at": "timestamptz", "created_by_user_id": "uuid", "created_at": "timestamptz", "updated_at": "timestamptz"}
  }';
  tbl TEXT; col TEXT; want TEXT; have TEXT;
BEGIN
  FOR tbl IN SELECT k FROM jsonb_object_keys(needed) AS k
             WHERE to_regclass(format('%I.%I', current_schema(), k)) IS NOT NULL LOOP
    FOR col, want IN SELECT key, value FROM jsonb_each_text(needed -> tbl) LOOP
      SELECT udt_name INTO have FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = tbl AND column_name = col;
      IF have IS NULL THEN
        RAISE EXCEPTION 'table % exists with another shape: it has no column % (the engine needs % %)', tbl, col, col, want;
      ELSIF have <> want THEN
        RAISE EXCEPTION 'table % exists with another shape: column % is %, the engine needs %', tbl, col, have, want;
      END IF;
    END LOOP;
  END LOOP;
END $$;

CREATE TABLE IF NOT EXISTS tenants (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), name VARCHAR(255) NOT NULL,
  slug VARCHAR(100) UNIQUE, description TEXT, metadata JSONB DEFAULT '{}', tenant_type TEXT DEFAULT 'private',
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ);

CREATE TABLE IF NOT EXISTS users (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  email VARCHAR(255) NOT NULL, display_name VARCHAR(255), role user_role NOT NULL DEFAULT 'viewer', metadata JSONB DEFAULT '{}',
  account_type TEXT DEFAULT 'private', password_hash TEXT, last_login_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW(), UNIQUE(tenant_id, email));

CREATE TABLE IF NOT EXISTS journal_entries (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
  category journal_category NOT NULL, title VARCHAR(500) NOT NULL, body TEXT, details JSONB DEFAULT '{}',
  related_memory_ids UUID[] DEFAULT '{}', related_entity_ids UUID[] DEFAULT '{}', author VARCHAR(50),
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW(),
  tenant_id UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001' REFERENCES tenants(id) ON DELETE CASCADE);

CREATE TABLE IF NOT EXISTS agent_commands (id UUID PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  created_by_user_id UUID REFERENCES users(id) ON DELETE SET NULL, raw_prompt TEXT NOT NULL, target_agents TEXT[] DEFAULT NULL,
  status agent_command_status NOT NULL DEFAULT 'received', parsed_summary TEXT, tasks_created_count INTEGER DEFAULT 0,
  error_message TEXT, metadata JSONB DEFAULT '{}', created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW());

CREATE TABLE IF NOT EXISTS agent_tasks (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  agent_id VARCHAR(50) NOT NULL CHECK (agent_id IN ('CONNOR','LUMINA','EIVOR','ORACLE','AEGIS','SAM')),
  task_type VARCHAR(100) NOT NULL, status agent_task_status NOT NULL DEFAULT 'pending', priority INTEGER NOT NULL DEFAULT 0,
  title VARCHAR(500) NOT NULL, description TEXT, payload JSONB DEFAULT '{}', result_summary TEXT, error_message TEXT,
  started_at TIMESTAMPTZ, completed_at TIMESTAMPTZ, created_by_user_id UUID REFERENCES users(id) ON DELETE SET NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW(),
  command_id UUID CONSTRAINT fk_agent_tasks_command_id REFERENCES agent_commands(id) ON DELETE SET NULL,
  result JSONB);

DO $$
DECLARE t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenants','users','journal_entries','agent_commands','agent_tasks'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = t::regclass AND tgname = format('update_%s_updated_at', t)) THEN
      EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()',
                     format('update_%s_updated_at', t), t);
    END IF;
  END LOOP;
END $$;

INSERT INTO tenants (id, name, slug) VALUES ('00000000-0000-0000-0000-000000000001', 'Default tenant', 'default')
ON CONFLICT DO NOTHING;
