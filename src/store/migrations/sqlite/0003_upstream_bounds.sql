-- What an upstream cannot do to the site (issue 12).
-- When the store first saw an upstream item (NULL for local articles): a source keeps its newest
-- `keep` items in this order, and an undated or future-dated item is published at this time.
ALTER TABLE items ADD COLUMN first_seen TEXT;
-- The publication date an upstream claimed when it lay more than a day ahead of the clock: kept
-- as data, never used for ordering (an item dated 2099 would otherwise pin the top of the feed).
ALTER TABLE items ADD COLUMN claimed_published TEXT;

-- Items polled before this version were first seen no later than they were published (an undated
-- item was stored with its first-seen time) and no later than now.
UPDATE items SET first_seen = MIN(published, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) WHERE source IS NOT NULL;
UPDATE items SET claimed_published = published, published = first_seen
 WHERE source IS NOT NULL AND published > strftime('%Y-%m-%dT%H:%M:%SZ', first_seen, '+1 day');

CREATE INDEX items_by_source ON items (feed, source, first_seen DESC);
