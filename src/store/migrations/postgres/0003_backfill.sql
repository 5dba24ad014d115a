-- How far an upstream's history walk ([[source]] backfill = true) has come: NULL, not begun;
-- 'done'; else the URL of the archive page it goes on from at the next poll.
ALTER TABLE sources ADD COLUMN backfill TEXT;
