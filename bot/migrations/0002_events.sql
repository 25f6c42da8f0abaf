-- Events: series (what the organiser planned), occurrences (each concrete meeting), RSVPs, check-ins,
-- and delivery logs that make reminder timers idempotent.
-- Times are ISO 8601 UTC strings written by bot.timeutil.utc_iso, so text order is time order.

CREATE TABLE event_series (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    title            TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    description      TEXT    NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    link             TEXT    CHECK (link IS NULL OR (length(link) <= 512
                                    AND (link LIKE 'https://_%' OR link LIKE 'http://_%'))),
    timezone         TEXT    NOT NULL CHECK (length(timezone) BETWEEN 1 AND 64),
    -- The rule's anchor as local wall-clock time in `timezone`, "YYYY-MM-DD HH:MM".
    local_start      TEXT    NOT NULL CHECK (local_start GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]'),
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 1 AND 10080),
    recurrence       TEXT    NOT NULL DEFAULT 'none'
                             CHECK (recurrence IN ('none', 'weekly', 'monthly', 'every_2_months', 'yearly')),
    channel_id       INTEGER NOT NULL,
    audience_role_id INTEGER,
    lead_times       TEXT    NOT NULL DEFAULT '',      -- "7d,1d,1h,15m"; '' = no reminders
    organiser_id     INTEGER NOT NULL,
    created_at       TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
    source_key       TEXT    CHECK (source_key IS NULL OR length(source_key) BETWEEN 1 AND 40),
    sequence         INTEGER NOT NULL DEFAULT 0 CHECK (sequence >= 0),   -- iCalendar SEQUENCE
    -- Occurrences exist up to here (UTC); the horizon job continues after it.
    materialised_until TEXT,
    UNIQUE (guild_id, source_key)            -- a seeded calendar entry exists once per guild
);
CREATE INDEX event_series_active_recurring ON event_series (status, recurrence);

CREATE TABLE event_occurrences (
    id                      INTEGER PRIMARY KEY,
    series_id               INTEGER NOT NULL REFERENCES event_series (id) ON DELETE CASCADE,
    guild_id                INTEGER NOT NULL,   -- copied from the series for the "upcoming in guild" index
    original_start          TEXT    NOT NULL,   -- the rule's start (UTC): identity and iCalendar RECURRENCE-ID
    starts_at               TEXT    NOT NULL,
    ends_at                 TEXT    NOT NULL,
    status                  TEXT    NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    -- Per-occurrence overrides; NULL = as the series says. link '' = "no link for this one".
    title                   TEXT    CHECK (title IS NULL OR length(title) BETWEEN 1 AND 100),
    description             TEXT    CHECK (description IS NULL OR length(description) <= 2000),
    link                    TEXT    CHECK (link IS NULL OR link = '' OR (length(link) <= 512
                                           AND (link LIKE 'https://_%' OR link LIKE 'http://_%'))),
    lead_times              TEXT,
    sequence                INTEGER NOT NULL DEFAULT 0 CHECK (sequence >= 0),  -- > 0: edited on its own
    announcement_channel_id INTEGER,
    announcement_message_id INTEGER,
    discord_event_id        INTEGER,
    CHECK (ends_at > starts_at),
    UNIQUE (series_id, original_start)       -- seeding and horizon extension are idempotent
);
CREATE INDEX event_occurrences_guild_upcoming ON event_occurrences (guild_id, starts_at) WHERE status = 'scheduled';
CREATE INDEX event_occurrences_series_start ON event_occurrences (series_id, starts_at);

-- One answer per member and occurrence; the latest choice replaces the previous one.
CREATE TABLE event_rsvps (
    occurrence_id INTEGER NOT NULL REFERENCES event_occurrences (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('going', 'maybe', 'declined')),
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (occurrence_id, user_id)
) WITHOUT ROWID;

CREATE TABLE event_check_ins (
    occurrence_id INTEGER NOT NULL REFERENCES event_occurrences (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,
    checked_in_at TEXT    NOT NULL,
    PRIMARY KEY (occurrence_id, user_id)
) WITHOUT ROWID;

-- A channel reminder posted for (occurrence, lead): a retried timer finds it and does not post again.
CREATE TABLE event_reminder_deliveries (
    occurrence_id      INTEGER NOT NULL REFERENCES event_occurrences (id) ON DELETE CASCADE,
    lead_seconds       INTEGER NOT NULL CHECK (lead_seconds > 0),
    channel_message_id INTEGER,
    sent_at            TEXT    NOT NULL,
    PRIMARY KEY (occurrence_id, lead_seconds)
) WITHOUT ROWID;

-- One reminder DM per member: sent, or skipped because the member's DMs are closed (never retried).
CREATE TABLE event_reminder_dms (
    occurrence_id INTEGER NOT NULL REFERENCES event_occurrences (id) ON DELETE CASCADE,
    lead_seconds  INTEGER NOT NULL CHECK (lead_seconds > 0),
    user_id       INTEGER NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('sent', 'skipped_closed')),
    recorded_at   TEXT    NOT NULL,
    PRIMARY KEY (occurrence_id, lead_seconds, user_id)
) WITHOUT ROWID;
