-- /event edit can move one occurrence (scope "this") to another channel: a per-occurrence override of
-- the series' channel, NULL = the series' channel (like the other overrides in 0002).
ALTER TABLE event_occurrences ADD COLUMN channel_id INTEGER CHECK (channel_id IS NULL OR channel_id > 0);
