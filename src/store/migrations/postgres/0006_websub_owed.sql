-- The built-in hub's deliveries in progress: the same columns as SQLite's migration 0011.
ALTER TABLE websub_subscriptions ADD COLUMN owed_etag TEXT COLLATE "C";
ALTER TABLE websub_subscriptions ADD COLUMN owed_seq BIGINT;
ALTER TABLE websub_subscriptions ADD COLUMN owed_by TEXT COLLATE "C";
ALTER TABLE websub_subscriptions ADD COLUMN owed_until TEXT COLLATE "C";
CREATE INDEX websub_subscriptions_owed ON websub_subscriptions (owed_until) WHERE owed_until IS NOT NULL;
