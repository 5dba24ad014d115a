-- The built-in hub's deliveries in progress (issue 17): the version (ETag) each subscriber is
-- owed — claimed with the topic's new version, not yet delivered — and until when its sender
-- holds it. The sender moves owed_until on before each attempt and each pause; one that died
-- is relieved once it passes, and the version is delivered by whichever replica serves it.
-- A newer version overwrites owed_etag, which stops the older one's retries everywhere.
ALTER TABLE websub_subscriptions ADD COLUMN owed_etag TEXT;
ALTER TABLE websub_subscriptions ADD COLUMN owed_until TEXT;
CREATE INDEX websub_subscriptions_owed ON websub_subscriptions (owed_until);
