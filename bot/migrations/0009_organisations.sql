-- The organisation directory: WIM organisations, the members who speak for them, claims moderators
-- approve or decline, and a history of every change. Nothing here is ever deleted: a removed
-- organisation is archived with its history. Times are ISO 8601 UTC strings (bot.timeutil.utc_iso).

CREATE TABLE organisations (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    name           TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- The name folded for comparison (case, accents and spacing ignored: bot.countries.fold).
    name_key       TEXT    NOT NULL CHECK (length(name_key) BETWEEN 1 AND 100),
    country        TEXT    NOT NULL CHECK (length(country) = 2 AND country GLOB '[A-Z][A-Z]'),  -- ISO 3166-1
    region         TEXT    NOT NULL CHECK (length(region) = 3 AND region GLOB '[0-9][0-9][0-9]'),  -- UN M49
    region_is_set  INTEGER NOT NULL DEFAULT 0 CHECK (region_is_set IN (0, 1)),  -- 0: the country's own
    website        TEXT    NOT NULL CHECK (length(website) <= 512
                                           AND (website LIKE 'https://_%' OR website LIKE 'http://_%')),
    linkedin       TEXT    CHECK (linkedin IS NULL OR (length(linkedin) <= 512
                                           AND (linkedin LIKE 'https://_%' OR linkedin LIKE 'http://_%'))),
    description_en TEXT    CHECK (description_en IS NULL OR length(description_en) BETWEEN 1 AND 500),
    description_fr TEXT    CHECK (description_fr IS NULL OR length(description_fr) BETWEEN 1 AND 500),
    description_es TEXT    CHECK (description_es IS NULL OR length(description_es) BETWEEN 1 AND 500),
    joined_on      TEXT    NOT NULL CHECK (joined_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    status         TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    source_key     TEXT    CHECK (source_key IS NULL OR length(source_key) BETWEEN 1 AND 40),
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    archived_at    TEXT,
    CHECK ((status = 'archived') = (archived_at IS NOT NULL)),
    UNIQUE (guild_id, source_key)            -- an organisation seeded from config.yml exists once
);
-- Two active organisations never share a name, whatever its case or accents. An archived one keeps
-- its name in the history; the name may be used again.
CREATE UNIQUE INDEX organisations_active_name ON organisations (guild_id, name_key) WHERE status = 'active';
CREATE INDEX organisations_guild_region ON organisations (guild_id, status, region, country, name_key);

-- A member of the Discord server speaks for at most one organisation (the primary key).
CREATE TABLE organisation_members (
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    standing        TEXT    NOT NULL CHECK (standing IN ('member', 'leader', 'representative')),
    verified_by     INTEGER NOT NULL,
    verified_at     TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
CREATE INDEX organisation_members_org ON organisation_members (organisation_id, standing);

-- A member's request to be linked to an organisation, decided by a moderator with the buttons of
-- the mod-log post. Only one pending claim per member (the partial unique index).
CREATE TABLE organisation_claims (
    id                 INTEGER PRIMARY KEY,
    guild_id           INTEGER NOT NULL,
    user_id            INTEGER NOT NULL,
    organisation_id    INTEGER NOT NULL REFERENCES organisations (id),
    standing           TEXT    NOT NULL CHECK (standing IN ('member', 'leader', 'representative')),
    -- The claimant's language when they claimed: the outcome DM speaks it.
    language           TEXT    NOT NULL CHECK (language IN ('en', 'fr', 'es')),
    status             TEXT    NOT NULL DEFAULT 'pending'
                               CHECK (status IN ('pending', 'approved', 'declined', 'withdrawn', 'cancelled')),
    created_at         TEXT    NOT NULL,
    decided_by         INTEGER,            -- the moderator (approved, declined); the member (withdrawn)
    decided_at         TEXT,
    modlog_channel_id  INTEGER,            -- the post with the buttons, once posted
    modlog_message_id  INTEGER,
    -- How the member was told the outcome: DM sent, DMs closed, or nothing to tell (they withdrew it).
    outcome_dm         TEXT    CHECK (outcome_dm IS NULL OR outcome_dm IN ('sent', 'skipped_closed', 'not_needed')),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE UNIQUE INDEX organisation_claims_one_pending ON organisation_claims (guild_id, user_id)
    WHERE status = 'pending';
CREATE INDEX organisation_claims_org ON organisation_claims (organisation_id, status);

-- Who changed what, when. actor_id 0 = the configuration (seeding). subject_id: the member concerned.
CREATE TABLE organisation_history (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    actor_id        INTEGER NOT NULL,
    at              TEXT    NOT NULL,
    action          TEXT    NOT NULL CHECK (action IN (
                        'created', 'seeded', 'edited', 'archived',
                        'claimed', 'claim_approved', 'claim_declined', 'claim_withdrawn', 'claim_cancelled',
                        'verified', 'unverified', 'left', 'unlinked')),
    subject_id      INTEGER,
    details         TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE INDEX organisation_history_org ON organisation_history (organisation_id, id);
