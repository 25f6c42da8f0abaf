-- The weekly digest: one row per server and ISO week (the "sent for week W" row: a week is claimed
-- once, by its scheduled time or by /digest send, and never again), the messages of its channel post
-- (rendered once, so a retry posts the same parts and records each one's message id), the members who
-- subscribed to it by direct message, and one delivery row per subscriber and week, so a restart in
-- the middle of the DMs neither loses nor doubles any.
CREATE TABLE digest_weeks (
    guild_id       INTEGER NOT NULL,
    week           TEXT    NOT NULL CHECK (week GLOB '[0-9][0-9][0-9][0-9]-W[0-9][0-9]'),
    -- sent: claimed for sending (its post and DM timers were written with it); skipped: missed by
    -- 12 hours or more while the bot was down, reported to mod-log instead.
    status         TEXT    NOT NULL CHECK (status IN ('sent', 'skipped')),
    trigger        TEXT    NOT NULL CHECK (trigger IN ('schedule', 'moderator')),
    actor_id       INTEGER,                 -- the moderator of /digest send
    scheduled_for  TEXT,                    -- the slot (UTC) of a scheduled digest
    -- What the digest covers: since the previous digest's end, until it was claimed (UTC).
    since          TEXT    NOT NULL,
    until          TEXT    NOT NULL,
    created_at     TEXT    NOT NULL,
    CHECK (until >= since),
    PRIMARY KEY (guild_id, week)
) WITHOUT ROWID;
CREATE INDEX digest_weeks_last ON digest_weeks (guild_id, status, until);

CREATE TABLE digest_parts (
    guild_id   INTEGER NOT NULL,
    week       TEXT    NOT NULL,
    part       INTEGER NOT NULL CHECK (part >= 0),
    language   TEXT    NOT NULL CHECK (language IN ('en', 'fr', 'es')),
    body       TEXT    NOT NULL CHECK (json_valid(body)),   -- the part's embeds, as the service laid them out
    channel_id INTEGER,
    message_id INTEGER,                     -- NULL until posted
    posted_at  TEXT,
    PRIMARY KEY (guild_id, week, part),
    FOREIGN KEY (guild_id, week) REFERENCES digest_weeks (guild_id, week) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE digest_subscriptions (
    guild_id      INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    subscribed_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- Who a week's DMs are for, fixed when the week is claimed, and how far each got: the parts sent so
-- far (a digest may take several messages), when the first attempt started (a restart checks only
-- those members' DM channels for a part sent but not recorded), and the outcome.
CREATE TABLE digest_deliveries (
    guild_id    INTEGER NOT NULL,
    week        TEXT    NOT NULL,
    user_id     INTEGER NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'skipped_closed')),
    parts_sent  INTEGER NOT NULL DEFAULT 0 CHECK (parts_sent >= 0),
    started_at  TEXT,
    recorded_at TEXT,
    PRIMARY KEY (guild_id, week, user_id),
    FOREIGN KEY (guild_id, week) REFERENCES digest_weeks (guild_id, week) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX digest_deliveries_pending ON digest_deliveries (guild_id, week) WHERE status = 'pending';
