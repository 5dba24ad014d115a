-- The built-in WebSub hub ([websub] hub = "builtin", issue 17). A subscription is keyed by
-- (topic, callback), as the Recommendation keys it; topic is the document's path on the site
-- (so a new base_url keeps them). secret is the subscriber's hub.secret, NULL when unsigned.
-- Times are RFC 3339 UTC text with seconds, by the store's clock.
CREATE TABLE websub_subscriptions (
    topic      TEXT NOT NULL,
    callback   TEXT NOT NULL,
    secret     TEXT,
    expires_at TEXT NOT NULL,
    renewed_at TEXT NOT NULL,
    PRIMARY KEY (topic, callback)
);
CREATE INDEX websub_subscriptions_expiry ON websub_subscriptions (expires_at);

-- The version of each topic last distributed (its ETag), and the store change it was rendered
-- at: the replica that moves a row forward distributes that version; the others see it taken.
CREATE TABLE websub_topics (
    topic TEXT PRIMARY KEY,
    etag  TEXT NOT NULL,
    seq   INTEGER NOT NULL
);
