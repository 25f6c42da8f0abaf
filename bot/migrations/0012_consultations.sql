-- Consultations: polls of the members or of the WIM organisations (one ballot per organisation, cast
-- by its representatives), and elections of Steering Committee officers (nominations by the
-- organisations, then a ranked ballot among the accepted candidates). Times are ISO 8601 UTC strings
-- (bot.timeutil.utc_iso). The CHECKs say what bot/services/consultations/validation.py says.

CREATE TABLE elections (
    id                    INTEGER PRIMARY KEY,
    guild_id              INTEGER NOT NULL,
    channel_id            INTEGER NOT NULL,
    creator_id            INTEGER NOT NULL,
    title                 TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    seats                 INTEGER NOT NULL CHECK (seats BETWEEN 1 AND 20),
    -- How many leaders one organisation may nominate.
    max_nominations       INTEGER NOT NULL CHECK (max_nominations BETWEEN 1 AND 20),
    language              TEXT    CHECK (language IS NULL OR language IN ('en', 'fr', 'es')),
    nominations_close_at  TEXT    NOT NULL,
    voting_closes_at      TEXT    NOT NULL CHECK (voting_closes_at > nominations_close_at),
    status                TEXT    NOT NULL DEFAULT 'nominating'
                                  CHECK (status IN ('nominating', 'short', 'voting', 'closed')),
    created_at            TEXT    NOT NULL CHECK (nominations_close_at > created_at)
);
CREATE INDEX elections_guild ON elections (guild_id, status);

CREATE TABLE polls (
    id                  INTEGER PRIMARY KEY,
    guild_id            INTEGER NOT NULL,
    channel_id          INTEGER NOT NULL,
    message_id          INTEGER,             -- the poll message, once posted (poll.post)
    creator_id          INTEGER NOT NULL,
    question            TEXT    NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
    kind                TEXT    NOT NULL CHECK (kind IN ('single', 'multiple', 'ranked')),
    -- multiple: the most options a ballot may tick (NULL: any number); single and ranked: NULL.
    max_choices         INTEGER CHECK (max_choices IS NULL OR (kind = 'multiple' AND max_choices BETWEEN 1 AND 20)),
    voters              TEXT    NOT NULL CHECK (voters IN ('members', 'organisations')),
    audience_role_id    INTEGER,
    anonymous           INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1)),
    results             TEXT    NOT NULL DEFAULT 'live' CHECK (results IN ('live', 'hidden')),
    comments            INTEGER NOT NULL DEFAULT 0 CHECK (comments IN (0, 1)),
    -- Minimum turnout: a number of ballots, or a percent of the registered organisations.
    quorum_kind         TEXT    CHECK (quorum_kind IS NULL OR quorum_kind IN ('ballots', 'percent')),
    quorum              INTEGER,
    language            TEXT    CHECK (language IS NULL OR language IN ('en', 'fr', 'es')),
    election_id         INTEGER REFERENCES elections (id),
    seats               INTEGER NOT NULL DEFAULT 1 CHECK (seats BETWEEN 1 AND 20),
    opens_at            TEXT    NOT NULL,
    closes_at           TEXT    NOT NULL CHECK (closes_at > opens_at),
    status              TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at           TEXT,
    closed_by           INTEGER,             -- NULL: closed by its deadline
    -- Registered organisations when it closed ({"total": n, "regions": {"419": n, ...}}): the
    -- turnout of a closed consultation does not change when the directory does.
    eligible            TEXT    CHECK (eligible IS NULL OR json_valid(eligible)),
    ballot_count        INTEGER NOT NULL DEFAULT 0 CHECK (ballot_count >= 0),  -- kept by triggers
    results_channel_id  INTEGER,             -- the results post, once posted (poll.results)
    results_message_id  INTEGER,
    reminder_message_id INTEGER,             -- the 24-hour reminder, once posted (poll.remind)
    created_at          TEXT    NOT NULL,
    CHECK ((quorum_kind IS NULL) = (quorum IS NULL)),
    CHECK (quorum_kind IS NOT 'percent' OR (voters = 'organisations' AND quorum BETWEEN 1 AND 100)),
    CHECK (quorum_kind IS NOT 'ballots' OR quorum BETWEEN 1 AND 100000),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
    CHECK (election_id IS NULL OR (kind = 'ranked' AND voters = 'organisations')),
    CHECK (seats = 1 OR election_id IS NOT NULL)
);
CREATE INDEX polls_guild_open ON polls (guild_id, status, closes_at);
CREATE UNIQUE INDEX polls_one_per_election ON polls (election_id) WHERE election_id IS NOT NULL;

-- The options of a poll (the candidates of an election). label_key is the label folded for the
-- duplicate check (case, accents and spacing ignored: bot.countries.fold).
CREATE TABLE poll_options (
    poll_id      INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL CHECK (position BETWEEN 1 AND 20),
    label        TEXT    NOT NULL CHECK (length(label) BETWEEN 1 AND 80),
    label_key    TEXT    NOT NULL CHECK (length(label_key) BETWEEN 1 AND 80),
    candidate_id INTEGER,                    -- an election's candidate (the nominee's user id)
    PRIMARY KEY (poll_id, position),
    UNIQUE (poll_id, label_key)
) WITHOUT ROWID;

-- One ballot per voter: a member (members mode) or an organisation (organisation mode), never both.
-- cast_by is who clicked: the member, or the representative who cast the organisation's ballot. It is
-- kept in an anonymous poll too (a ballot is replaced by its owner, and the organisation is told who
-- cast it), but never shown to anyone else nor exported.
CREATE TABLE poll_ballots (
    id              INTEGER PRIMARY KEY,
    poll_id         INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    user_id         INTEGER,
    organisation_id INTEGER REFERENCES organisations (id),
    cast_by         INTEGER NOT NULL,
    cast_at         TEXT    NOT NULL,
    first_cast_at   TEXT    NOT NULL,
    comment         TEXT    CHECK (comment IS NULL OR length(comment) BETWEEN 1 AND 1000),
    CHECK ((user_id IS NULL) <> (organisation_id IS NULL)),
    CHECK (user_id IS NULL OR cast_by = user_id),
    UNIQUE (poll_id, user_id),
    UNIQUE (poll_id, organisation_id)
);
CREATE INDEX poll_ballots_org ON poll_ballots (organisation_id);

-- What a ballot chose: for single and multiple choice the options ticked (rank 1, 2... in the order
-- given), for a ranked poll the ranking (rank 1 = first preference).
CREATE TABLE poll_choices (
    ballot_id INTEGER NOT NULL REFERENCES poll_ballots (id) ON DELETE CASCADE,
    poll_id   INTEGER NOT NULL,
    position  INTEGER NOT NULL,
    rank      INTEGER NOT NULL CHECK (rank BETWEEN 1 AND 20),
    PRIMARY KEY (ballot_id, position),
    UNIQUE (ballot_id, rank),
    FOREIGN KEY (poll_id, position) REFERENCES poll_options (poll_id, position)
) WITHOUT ROWID;

CREATE TRIGGER poll_ballots_counted AFTER INSERT ON poll_ballots BEGIN
    UPDATE polls SET ballot_count = ballot_count + 1 WHERE id = NEW.poll_id;
END;
CREATE TRIGGER poll_ballots_uncounted AFTER DELETE ON poll_ballots BEGIN
    UPDATE polls SET ballot_count = ballot_count - 1 WHERE id = OLD.poll_id;
END;

-- A moderator's nudge of an organisation that has not answered: at most once a (UTC) day.
CREATE TABLE poll_nudges (
    poll_id         INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    day             TEXT    NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    nudged_by       INTEGER NOT NULL,
    nudged_at       TEXT    NOT NULL,
    PRIMARY KEY (poll_id, organisation_id, day)
) WITHOUT ROWID;

-- A leader nominated by their organisation's representative; the nominee accepts or declines.
CREATE TABLE election_nominations (
    id              INTEGER PRIMARY KEY,
    election_id     INTEGER NOT NULL REFERENCES elections (id) ON DELETE CASCADE,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    nominee_id      INTEGER NOT NULL,
    nominated_by    INTEGER NOT NULL,
    nominated_at    TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
    answered_at     TEXT,
    CHECK ((status = 'pending') = (answered_at IS NULL)),
    UNIQUE (election_id, nominee_id)         -- a person stands once per election
);
CREATE INDEX election_nominations_org ON election_nominations (election_id, organisation_id);
