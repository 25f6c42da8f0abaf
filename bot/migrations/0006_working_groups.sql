-- Working groups: the group (texts in en/fr/es as a JSON object {"en": ..., "fr": ..., "es": ...};
-- a text typed in one language holds only that language), coordinators, status history, workplan,
-- deliverables, progress updates, meeting summaries, documents, join requests, the panel, initiatives,
-- and one FTS5 index over what members search.
-- Membership is NOT stored: the group's Discord role is the truth.
-- Statuses follow the Alliance report's legend: not_started, in_progress, needs_attention, completed.

CREATE TABLE wg_groups (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    key              TEXT    NOT NULL CHECK (length(key) BETWEEN 1 AND 40 AND key GLOB '[a-z0-9]*'
                                             AND key NOT GLOB '*[^a-z0-9-]*'),
    name             TEXT    NOT NULL CHECK (json_valid(name) AND json_type(name) = 'object'),
    stake            TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(stake) AND json_type(stake) = 'object'),
    actions          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(actions) AND json_type(actions) = 'object'),
    mandate          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(mandate) AND json_type(mandate) = 'object'),
    description      TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(description) AND json_type(description) = 'object'),
    visibility       TEXT    NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
    status           TEXT    NOT NULL DEFAULT 'not_started'
                             CHECK (status IN ('not_started', 'in_progress', 'needs_attention', 'completed')),
    role_id          INTEGER CHECK (role_id IS NULL OR role_id > 0),
    channel_id       INTEGER CHECK (channel_id IS NULL OR channel_id > 0),
    source           TEXT    NOT NULL CHECK (source IN ('config', 'command')),
    created_at       TEXT    NOT NULL,
    last_activity_at TEXT    NOT NULL,   -- creation, or the last progress update or meeting summary
    -- The last_activity_at a stale nudge was posted for: one nudge per quiet spell, across retries.
    nudged_for       TEXT,
    archived_at      TEXT,
    UNIQUE (guild_id, key)
);

CREATE TABLE wg_coordinators (
    group_id INTEGER NOT NULL REFERENCES wg_groups (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL,
    added_by INTEGER NOT NULL,
    added_at TEXT    NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;

CREATE TABLE wg_status_history (
    id         INTEGER PRIMARY KEY,
    group_id   INTEGER NOT NULL REFERENCES wg_groups (id) ON DELETE CASCADE,
    status     TEXT    NOT NULL CHECK (status IN ('not_started', 'in_progress', 'needs_attention', 'completed')),
    note       TEXT    CHECK (note IS NULL OR length(note) BETWEEN 1 AND 500),
    actor_id   INTEGER,                 -- NULL: the bot (a stale group flagged "needs attention")
    changed_at TEXT    NOT NULL
);
CREATE INDEX wg_status_history_group ON wg_status_history (group_id, id);

CREATE TABLE wg_workplan_items (
    id         INTEGER PRIMARY KEY,
    group_id   INTEGER NOT NULL REFERENCES wg_groups (id) ON DELETE CASCADE,
    title      TEXT    NOT NULL CHECK (json_valid(title) AND json_type(title) = 'object'),
    status     TEXT    NOT NULL DEFAULT 'not_started'
                       CHECK (status IN ('not_started', 'in_progress', 'needs_attention', 'completed')),
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);
CREATE INDEX wg_workplan_group ON wg_workplan_items (group_id, id);

CREATE TABLE wg_deliverables (
    id         INTEGER PRIMARY KEY,
    group_id   INTEGER NOT NULL REFERENCES wg_groups (id) ON DELETE CASCADE,
    title      TEXT    NOT NULL CHECK (json_valid(title) AND json_type(title) = 'object'),
    kind       TEXT    NOT NULL CHECK (kind IN ('white_paper', 'index', 'guide', 'report', 'directory')),
    due_date   TEXT    CHECK (due_date IS NULL OR due_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    status     TEXT    NOT NULL DEFAULT 'not_started'
                       CHECK (status IN ('not_started', 'in_progress', 'needs_attention', 'completed')),
    link       TEXT    CHECK (link IS NULL OR (length(link) <= 512
                              AND (link LIKE 'https://_%' OR link LIKE 'http://_%'))),
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);
CREATE INDEX wg_deliverables_group ON wg_deliverables (group_id, id);

-- A progress update or a meeting summary, posted in the group's channel by a timer (outbox): the row
-- and its timer commit together; the timer posts and records the message, a retry never posts twice.
CREATE TABLE wg_posts (
    id            INTEGER PRIMARY KEY,
    group_id      INTEGER NOT NULL REFERENCES wg_groups (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL CHECK (kind IN ('update', 'summary')),
    author_id     INTEGER NOT NULL,
    title         TEXT    CHECK (title IS NULL OR length(title) BETWEEN 1 AND 100),
    body          TEXT    NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    occurrence_id INTEGER,              -- a summary of an event occurrence (roundtable, Global WIM Call)
    created_at    TEXT    NOT NULL,
    channel_id    INTEGER,
    message_id    INTEGER
);
CREATE INDEX wg_posts_group ON wg_posts (group_id, kind, created_at);

CREATE TABLE wg_documents (
    id       INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES wg_groups (id) ON DELETE CASCADE,
    title    TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    url      TEXT    NOT NULL CHECK (length(url) <= 512 AND (url LIKE 'https://_%' OR url LIKE 'http://_%')),
    added_by INTEGER NOT NULL,
    added_at TEXT    NOT NULL,
    UNIQUE (group_id, url)
);

-- Joining a private group: one pending request per member and group at a time.
CREATE TABLE wg_join_requests (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL REFERENCES wg_groups (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    language     TEXT    NOT NULL CHECK (language IN ('en', 'fr', 'es')),
    status       TEXT    NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'approved', 'declined', 'cancelled')),
    requested_at TEXT    NOT NULL,
    decided_by   INTEGER,
    decided_at   TEXT,
    channel_id   INTEGER,
    message_id   INTEGER
);
CREATE UNIQUE INDEX wg_join_requests_one_pending ON wg_join_requests (group_id, user_id) WHERE status = 'pending';

-- The persistent Join/Leave panel(s) posted by /wg panel.
CREATE TABLE wg_panels (
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL PRIMARY KEY,
    created_at TEXT    NOT NULL
);

-- Index of initiatives (industry initiatives, successful initiatives, PPE providers...).
CREATE TABLE wg_initiatives (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL REFERENCES wg_groups (id) ON DELETE CASCADE,
    submitted_by INTEGER NOT NULL,
    title        TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    organisation TEXT    NOT NULL CHECK (length(organisation) BETWEEN 1 AND 100),
    country      TEXT    NOT NULL CHECK (length(country) BETWEEN 1 AND 60),
    link         TEXT    CHECK (link IS NULL OR (length(link) <= 512
                                AND (link LIKE 'https://_%' OR link LIKE 'http://_%'))),
    description  TEXT    NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    kind         TEXT    NOT NULL CHECK (kind IN ('programme', 'campaign', 'policy', 'provider', 'resource', 'other')),
    language     TEXT    NOT NULL CHECK (language IN ('en', 'fr', 'es')),
    status       TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'declined')),
    submitted_at TEXT    NOT NULL,
    decided_by   INTEGER,
    decided_at   TEXT,
    channel_id   INTEGER,
    message_id   INTEGER
);
CREATE INDEX wg_initiatives_group ON wg_initiatives (group_id, status, country);

-- Full-text search over updates, summaries, documents and approved initiatives. Accents are folded
-- (remove_diacritics 2), so "reunion" finds "réunion". Kept in step by the triggers below, so no code
-- path can forget it. rowid is unused; (source, source_id) names the original row.
CREATE VIRTUAL TABLE wg_search USING fts5 (
    title,
    body,
    source UNINDEXED,
    source_id UNINDEXED,
    group_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER wg_posts_ai AFTER INSERT ON wg_posts BEGIN
    INSERT INTO wg_search (title, body, source, source_id, group_id)
    VALUES (coalesce(new.title, ''), new.body, new.kind, new.id, new.group_id);
END;
CREATE TRIGGER wg_posts_ad AFTER DELETE ON wg_posts BEGIN
    DELETE FROM wg_search WHERE source = old.kind AND source_id = old.id;
END;
CREATE TRIGGER wg_posts_au AFTER UPDATE OF title, body ON wg_posts BEGIN
    DELETE FROM wg_search WHERE source = old.kind AND source_id = old.id;
    INSERT INTO wg_search (title, body, source, source_id, group_id)
    VALUES (coalesce(new.title, ''), new.body, new.kind, new.id, new.group_id);
END;

CREATE TRIGGER wg_documents_ai AFTER INSERT ON wg_documents BEGIN
    INSERT INTO wg_search (title, body, source, source_id, group_id)
    VALUES (new.title, new.url, 'document', new.id, new.group_id);
END;
CREATE TRIGGER wg_documents_ad AFTER DELETE ON wg_documents BEGIN
    DELETE FROM wg_search WHERE source = 'document' AND source_id = old.id;
END;

CREATE TRIGGER wg_initiatives_approved AFTER UPDATE OF status ON wg_initiatives
WHEN new.status = 'approved' AND old.status <> 'approved' BEGIN
    INSERT INTO wg_search (title, body, source, source_id, group_id)
    VALUES (new.title, new.organisation || ' ' || new.country || ' ' || new.description,
            'initiative', new.id, new.group_id);
END;
CREATE TRIGGER wg_initiatives_ad AFTER DELETE ON wg_initiatives BEGIN
    DELETE FROM wg_search WHERE source = 'initiative' AND source_id = old.id;
END;

-- Events hosted by a working group (the 2022 plan's "Thematic Roundtables hosted by Working Groups"):
-- /event create group:... links the new series to the group; the group's card lists them with
-- attendance from check-ins.
CREATE TABLE wg_events (
    group_id  INTEGER NOT NULL REFERENCES wg_groups (id) ON DELETE CASCADE,
    series_id INTEGER NOT NULL REFERENCES event_series (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, series_id)
) WITHOUT ROWID;
CREATE INDEX wg_events_series ON wg_events (series_id);
