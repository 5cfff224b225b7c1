-- AEGIS's audits of the brands' suppliers (zora_shop.record_supplier_audit): one row per
-- audit, its findings and the supplier's certifications as JSON text.
CREATE TABLE IF NOT EXISTS zora_shop_supplier_audits (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  brand_id TEXT NOT NULL REFERENCES brands(id) ON DELETE CASCADE,
  supplier_name TEXT NOT NULL CHECK (length(supplier_name) BETWEEN 1 AND 200),
  audited_on TEXT NOT NULL,
  findings TEXT NOT NULL DEFAULT '[]',
  certifications TEXT NOT NULL DEFAULT '[]',
  highest_severity TEXT CHECK (highest_severity IN ('low', 'medium', 'high')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE INDEX IF NOT EXISTS idx_zora_shop_supplier_audits_brand ON zora_shop_supplier_audits (tenant_id, brand_id);
