-- The incremental pipeline (issue 13): the store knows what changed, so a build renders only that.

-- Every change to what the site shows takes the next number of one sequence. A build remembers
-- the number it rendered up to; what changed after it is dirty.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- store_id: a build folder rendered from another store (or a recreated one) is rendered afresh.
INSERT INTO meta (key, value) VALUES ('store_id', lower(hex(randomblob(16)))), ('seq', '1');

-- One row per feed the store holds items or articles for.
CREATE TABLE feeds (
    slug         TEXT PRIMARY KEY,
    -- digest of feed.toml as last synced ('' before the first sync); a new one re-reads the feed
    def_hash     TEXT NOT NULL DEFAULT '',
    -- seq of the last change to anything the feed's documents show
    changed      INTEGER NOT NULL DEFAULT 0,
    -- seq of the last change to its definition: every page of the feed shows it
    meta_changed INTEGER NOT NULL DEFAULT 0
);
INSERT INTO feeds (slug, changed, meta_changed) SELECT DISTINCT feed, 1, 1 FROM items;

-- seq of the item's last change (its page is dirty after it).
ALTER TABLE items ADD COLUMN changed INTEGER NOT NULL DEFAULT 1;
CREATE INDEX items_changed ON items (feed, changed);

-- The local article files as last synced: a file whose size and mtime (then content) are as
-- recorded is not read again.
CREATE TABLE files (
    feed  TEXT NOT NULL,
    name  TEXT NOT NULL,
    -- size and mtime of the article and of its sidecar
    stamp TEXT NOT NULL,
    -- digest of the article's and the sidecar's bytes
    hash  TEXT NOT NULL,
    -- the item it made
    id    TEXT NOT NULL,
    PRIMARY KEY (feed, name)
);
