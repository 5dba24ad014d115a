-- A re-poll reads its source's raw hashes (with id, publication and first-seen times) in one
-- query. raw_hash came last (0006), after `content`: read from the table, each row's overflow
-- pages are followed to its end, a few pages an item, and a re-poll of 1,000 items read 5 MB of
-- store. items_by_source, extended with what that query reads (and with what ranks a source's
-- items for `keep`, in order), answers it from the index alone: a few dozen pages for 1,000 items.
DROP INDEX items_by_source;
CREATE INDEX items_by_source ON items (feed, source, first_seen DESC, published DESC, id, raw_hash);
