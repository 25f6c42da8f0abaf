-- Engagement: who opened an event's meeting link through its button (the announcement's and the
-- channel reminder's "Join the meeting", custom_id event:link:<occurrence id>), one row per member and
-- occurrence so /stats counts unique members; clicks counts every press. And the server's member
-- joins and leaves as the bot saw them (on_member_join / on_member_remove), for the growth of
-- /stats: Discord keeps no history of them, so it starts on the day this migration runs.
CREATE TABLE event_link_clicks (
    occurrence_id    INTEGER NOT NULL REFERENCES event_occurrences (id) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL,
    clicks           INTEGER NOT NULL DEFAULT 1 CHECK (clicks >= 1),
    first_clicked_at TEXT    NOT NULL,
    last_clicked_at  TEXT    NOT NULL CHECK (last_clicked_at >= first_clicked_at),
    PRIMARY KEY (occurrence_id, user_id)
) WITHOUT ROWID;

CREATE TABLE guild_member_events (
    id       INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    kind     TEXT    NOT NULL CHECK (kind IN ('joined', 'left')),
    at       TEXT    NOT NULL
);
CREATE INDEX guild_member_events_at ON guild_member_events (guild_id, at);

-- /stats and the newsletter read by time: organisations and verified members by when they came.
CREATE INDEX organisations_guild_created ON organisations (guild_id, created_at);
CREATE INDEX organisation_members_verified ON organisation_members (guild_id, verified_at);
CREATE INDEX polls_guild_closed ON polls (guild_id, closed_at) WHERE status = 'closed';
