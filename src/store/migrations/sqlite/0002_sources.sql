-- Upstream sources (issue 4): items re-published from upstream feeds live in `items` beside the
-- local articles, marked with the source they came from; local syncs never touch them.
ALTER TABLE items ADD COLUMN source TEXT;

-- Poll state, one row per (feed, source URL as configured). Applied in the same transaction
-- as the items a poll brought, so a failed or malformed upstream changes nothing.
CREATE TABLE sources (
    feed          TEXT NOT NULL,
    url           TEXT NOT NULL,
    -- where permanent redirects say it lives now
    current_url   TEXT NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    next_poll     TEXT NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    last_status   TEXT,
    last_error    TEXT,
    last_polled   TEXT,
    retired       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (feed, url)
);
