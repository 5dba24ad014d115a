-- The PostgreSQL store (issue 14): the same tables as SQLite's migrations 0001–0005 build, so
-- every query of the store runs on both. Text columns sort by byte (COLLATE "C"), as SQLite
-- does: the order of items, and so the rendered bytes, must not depend on the server's locale.
-- Times are RFC 3339 UTC text with seconds, which sorts as time; flags are 0/1 integers.

CREATE TABLE meta (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);
INSERT INTO meta (key, value) VALUES ('store_id', replace(gen_random_uuid()::text, '-', '')), ('seq', '1');

CREATE TABLE items (
    feed              TEXT COLLATE "C" NOT NULL,
    id                TEXT COLLATE "C" NOT NULL,
    published         TEXT COLLATE "C" NOT NULL,
    meta_updated      TEXT COLLATE "C",
    content_seen_at   TEXT COLLATE "C",
    content_hash      TEXT COLLATE "C" NOT NULL,
    content           TEXT NOT NULL,
    source            TEXT COLLATE "C",
    first_seen        TEXT COLLATE "C",
    claimed_published TEXT COLLATE "C",
    changed           BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (feed, id)
);
CREATE INDEX items_by_date ON items (feed, published DESC, id);
CREATE INDEX items_by_source ON items (feed, source, first_seen DESC);
CREATE INDEX items_changed ON items (feed, changed);

CREATE TABLE sources (
    feed          TEXT COLLATE "C" NOT NULL,
    url           TEXT COLLATE "C" NOT NULL,
    current_url   TEXT NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    next_poll     TEXT COLLATE "C" NOT NULL,
    failures      BIGINT NOT NULL DEFAULT 0,
    last_status   TEXT,
    last_error    TEXT,
    last_polled   TEXT COLLATE "C",
    retired       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (feed, url)
);

CREATE TABLE feeds (
    slug         TEXT COLLATE "C" PRIMARY KEY,
    def_hash     TEXT NOT NULL DEFAULT '',
    changed      BIGINT NOT NULL DEFAULT 0,
    meta_changed BIGINT NOT NULL DEFAULT 0,
    definition   TEXT NOT NULL DEFAULT ''
);

CREATE TABLE files (
    feed  TEXT COLLATE "C" NOT NULL,
    name  TEXT COLLATE "C" NOT NULL,
    stamp TEXT NOT NULL,
    hash  TEXT NOT NULL,
    id    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (feed, name)
);

CREATE TABLE leases (
    feed    TEXT COLLATE "C" NOT NULL,
    url     TEXT COLLATE "C" NOT NULL,
    holder  TEXT NOT NULL DEFAULT '',
    expires TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (feed, url)
);
