-- ZORA CORE's handlers write journal entries in these two categories, which its
-- journal_category enum lacks. ALTER TYPE ... ADD VALUE gets a migration of its own: a
-- value added in a transaction cannot be used before that transaction commits.
ALTER TYPE journal_category ADD VALUE IF NOT EXISTS 'climate_action';
ALTER TYPE journal_category ADD VALUE IF NOT EXISTS 'zora_shop';
