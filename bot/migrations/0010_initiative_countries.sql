-- An initiative's country becomes an ISO 3166-1 alpha-2 code, shown in the reader's language as the
-- directory's are, so "Perú" and "Peru" are one country. SQL cannot tell that "Perú" is PE: the rows
-- typed before keep their text in country_text, and the working-groups service maps those it recognises
-- to a code when the bot starts (InitiativeIndex.adopt_written_countries); the rest are shown as written.
-- The table is rebuilt to relax the old NOT NULL on country; ids are kept, so the search index still
-- names the same rows (the implicit DELETE of DROP TABLE fires no trigger).
CREATE TABLE wg_initiatives_new (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL REFERENCES wg_groups (id) ON DELETE CASCADE,
    submitted_by INTEGER NOT NULL,
    title        TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    organisation TEXT    NOT NULL CHECK (length(organisation) BETWEEN 1 AND 100),
    country      TEXT    CHECK (country IS NULL OR (length(country) = 2 AND country GLOB '[A-Z][A-Z]')),
    country_text TEXT    CHECK (country_text IS NULL OR length(country_text) BETWEEN 1 AND 60),
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
    message_id   INTEGER,
    CHECK ((country IS NULL) <> (country_text IS NULL))  -- a code, or (old rows only) the text as typed
);
INSERT INTO wg_initiatives_new (id, group_id, submitted_by, title, organisation, country, country_text, link,
                                description, kind, language, status, submitted_at, decided_by, decided_at,
                                channel_id, message_id)
    SELECT id, group_id, submitted_by, title, organisation, NULL, country, link, description, kind, language,
           status, submitted_at, decided_by, decided_at, channel_id, message_id
    FROM wg_initiatives;
DROP TABLE wg_initiatives;
ALTER TABLE wg_initiatives_new RENAME TO wg_initiatives;
CREATE INDEX wg_initiatives_group ON wg_initiatives (group_id, status, country);
CREATE INDEX wg_initiatives_written ON wg_initiatives (id) WHERE country IS NULL;
-- The search row of an approved initiative is written by the repository on approval
-- (decide_initiative), with the country's names in en/fr/es, which SQL does not know.
CREATE TRIGGER wg_initiatives_ad AFTER DELETE ON wg_initiatives BEGIN
    DELETE FROM wg_search WHERE source = 'initiative' AND source_id = old.id;
END;
