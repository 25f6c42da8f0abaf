-- What an edit or a cancellation tells people (the outbox, docs/ARCHITECTURE.md): the cancellation
-- notice posted in the event's channel and the direct messages to the members who had replied. Each
-- notice is written in the action's transaction with its outbox timers (event.notice posts it,
-- event.notify sends its DMs); the post's message id and every member's DM are recorded as they go,
-- so a retried timer never posts or DMs twice.
CREATE TABLE event_notices (
    id                 INTEGER PRIMARY KEY,
    occurrence_id      INTEGER NOT NULL REFERENCES event_occurrences (id) ON DELETE CASCADE,
    kind               TEXT    NOT NULL CHECK (kind IN ('changed', 'cancelled')),
    -- A series cancelled from this occurrence on: how many dates ("(12 dates)"); NULL for one date.
    series_count       INTEGER CHECK (series_count IS NULL OR series_count > 0),
    created_at         TEXT    NOT NULL,
    -- The channel post is done (or cannot be made: the channel is gone); NULL while it is still due.
    posted_at          TEXT,
    channel_message_id INTEGER
);
CREATE INDEX event_notices_occurrence ON event_notices (occurrence_id);

-- The members a notice is for, fixed by the action (going or maybe then), and what each got:
-- sent, skipped because their DMs are closed, or because they turned event DMs off (/event dm).
CREATE TABLE event_notice_dms (
    notice_id   INTEGER NOT NULL REFERENCES event_notices (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'skipped_closed', 'opted_out')),
    recorded_at TEXT,
    PRIMARY KEY (notice_id, user_id)
) WITHOUT ROWID;

-- /event edit can change the language of one date of a series (scope "this"): a per-occurrence
-- override of the series' language, NULL = the series' (like the other overrides in 0002 and 0003).
ALTER TABLE event_occurrences ADD COLUMN language TEXT CHECK (language IS NULL OR language IN ('en', 'fr', 'es'));
