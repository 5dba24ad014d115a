-- The built-in WebSub hub: the same tables as SQLite's migration 0009.
CREATE TABLE websub_subscriptions (
    topic      TEXT COLLATE "C" NOT NULL,
    callback   TEXT COLLATE "C" NOT NULL,
    secret     TEXT,
    expires_at TEXT COLLATE "C" NOT NULL,
    renewed_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (topic, callback)
);
CREATE INDEX websub_subscriptions_expiry ON websub_subscriptions (expires_at);

CREATE TABLE websub_topics (
    topic TEXT COLLATE "C" PRIMARY KEY,
    etag  TEXT COLLATE "C" NOT NULL,
    seq   BIGINT NOT NULL
);
