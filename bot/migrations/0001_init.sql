-- Foundation: key/value metadata, delayed work, per-member settings.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every delayed action (reminder, poll close, digest...) is one row here: the database is the truth,
-- the in-memory scheduler only wakes us up.
CREATE TABLE timers (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    due_at      TEXT    NOT NULL,               -- ISO 8601 UTC, e.g. 2026-11-25T18:00:00+00:00
    payload     TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    status      TEXT    NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'done', 'failed', 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error  TEXT,
    created_at  TEXT    NOT NULL,
    finished_at TEXT
);
CREATE INDEX timers_pending_due ON timers (due_at) WHERE status = 'pending';
CREATE INDEX timers_kind ON timers (kind, status);

-- Per-member preferences shared by every feature.
CREATE TABLE member_settings (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    timezone    TEXT,
    dm_reminders INTEGER NOT NULL DEFAULT 1 CHECK (dm_reminders IN (0, 1)),
    PRIMARY KEY (guild_id, user_id)
);
