-- AEGIS's audits of the brands' suppliers (zora_shop.record_supplier_audit): one row per
-- audit, its findings as JSON, the supplier's certifications as a text array. Its index
-- is built concurrently after the migrations (the domain's index list).
SET LOCAL lock_timeout = '10s';

CREATE TABLE IF NOT EXISTS zora_shop_supplier_audits (
  id UUID PRIMARY KEY,
  tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  brand_id UUID NOT NULL REFERENCES brands(id) ON DELETE CASCADE,
  supplier_name VARCHAR(200) NOT NULL,
  audited_on DATE NOT NULL,
  findings JSONB NOT NULL DEFAULT '[]',
  certifications TEXT[] NOT NULL DEFAULT '{}',
  highest_severity TEXT CHECK (highest_severity IN ('low', 'medium', 'high')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW());
