-- The built-in hub's deliveries in progress (issue 17): the version each subscriber is owed —
-- claimed with the topic's new version (its ETag and the store change it was rendered at),
-- not yet delivered — which process sends it (owed_by), and until when it holds it. The
-- sender moves owed_until on before each attempt and each pause; one that died is relieved
-- once it passes, and the version is delivered by whichever replica serves it. A newer claim
-- overwrites all four, which stops the older delivery's retries everywhere.
ALTER TABLE websub_subscriptions ADD COLUMN owed_etag TEXT;
ALTER TABLE websub_subscriptions ADD COLUMN owed_seq INTEGER;
ALTER TABLE websub_subscriptions ADD COLUMN owed_by TEXT;
ALTER TABLE websub_subscriptions ADD COLUMN owed_until TEXT;
CREATE INDEX websub_subscriptions_owed ON websub_subscriptions (owed_until) WHERE owed_until IS NOT NULL;
