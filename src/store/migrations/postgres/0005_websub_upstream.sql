-- WebSub subscriptions of upstream sources: the same table as SQLite's migration 0010.
CREATE TABLE websub_upstream (
    feed         TEXT COLLATE "C" NOT NULL,
    source       TEXT COLLATE "C" NOT NULL,
    callback_id  TEXT COLLATE "C" NOT NULL UNIQUE,
    hub          TEXT COLLATE "C" NOT NULL,
    topic        TEXT COLLATE "C" NOT NULL,
    secret       TEXT NOT NULL,
    state        TEXT COLLATE "C" NOT NULL,
    requested_at TEXT COLLATE "C" NOT NULL,
    renew_at     TEXT COLLATE "C",
    PRIMARY KEY (feed, source)
);
