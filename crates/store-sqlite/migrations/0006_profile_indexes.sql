-- A batch's loads look missions and weekly plans up by profile (the suggestion's open
-- missions, a plan's profile): without these, each was a scan of the tenant's rows, which
-- `zora chaos` showed growing with every task run.
CREATE INDEX idx_climate_missions_profile ON climate_missions (tenant_id, profile_id);
CREATE INDEX idx_climate_plans_profile ON climate_plans (tenant_id, profile_id);
