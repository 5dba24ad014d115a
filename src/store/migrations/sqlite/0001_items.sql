-- Items of every feed. Times are RFC 3339 UTC text with seconds ("2023-11-16T00:00:00Z"),
-- which sorts as time. `content` is the JSON form of model::Content.
CREATE TABLE items (
    feed            TEXT NOT NULL,
    id              TEXT NOT NULL,
    published       TEXT NOT NULL,
    -- the article's own `updated` metadata, if any
    meta_updated    TEXT,
    -- when the store first saw the current content; NULL for the original content
    content_seen_at TEXT,
    content_hash    TEXT NOT NULL,
    content         TEXT NOT NULL,
    PRIMARY KEY (feed, id)
);

CREATE INDEX items_by_date ON items (feed, published DESC, id);
