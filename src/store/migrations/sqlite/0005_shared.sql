-- Many machines (issue 14): what replicas share through the store.

-- The feed's definition (feed.toml) as last synced: a replica without feeds/ renders and polls
-- from it.
ALTER TABLE feeds ADD COLUMN definition TEXT NOT NULL DEFAULT '';

-- Who polls an upstream source now: a replica claims a due source by taking its lease until
-- `expires`; the poll's result releases it in the same transaction as the new schedule, so no
-- other replica polls it again before it is due. A replica that dies mid-poll loses its
-- leases when they expire.
CREATE TABLE leases (
    feed    TEXT NOT NULL,
    url     TEXT NOT NULL,
    holder  TEXT NOT NULL DEFAULT '',
    expires TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (feed, url)
);
