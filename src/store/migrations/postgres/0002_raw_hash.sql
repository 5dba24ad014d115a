-- Reading every feed (issue 15): the hash of an upstream item's raw text as last fetched. A
-- poll that finds the same text again skips the item before parsing it (items_by_source finds
-- a source's hashes in one query).
ALTER TABLE items ADD COLUMN raw_hash TEXT COLLATE "C";
