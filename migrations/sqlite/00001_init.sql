-- Agora schema for SQLite (modernc.org/sqlite). Foreign keys need
-- PRAGMA foreign_keys=ON, which the store sets on every connection.
--
-- Times are TEXT in UTC, fixed width: 2006-01-02T15:04:05.000000Z. The
-- store formats them itself (the driver's default, time.Time.String, is
-- neither fixed width nor sortable), so text order is time order and
-- comparisons with a bound time work. Booleans are INTEGER 0/1.
-- INTEGER PRIMARY KEY AUTOINCREMENT, like Postgres identities, never
-- reuses the id of a deleted row (clients may still hold it).

-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL UNIQUE, -- lower-cased by the store
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('admin', 'moderator', 'facilitator', 'citizen')),
    created_at    TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE INDEX users_role ON users (role, id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE one_time_tokens (
    hash       TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);

CREATE TABLE consultations (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    slug              TEXT NOT NULL UNIQUE,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    opens_at          TEXT,
    closes_at         TEXT,
    support_threshold INTEGER NOT NULL DEFAULT 0,
    report_published  INTEGER NOT NULL DEFAULT 0,
    created_by        INTEGER REFERENCES users (id),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX consultations_status ON consultations (status, created_at);
CREATE INDEX consultations_created ON consultations (created_at);

CREATE TABLE workshops (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    consultation_id     INTEGER NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    title               TEXT NOT NULL,
    place               TEXT NOT NULL DEFAULT '',
    join_code           TEXT NOT NULL UNIQUE,
    screen_token        TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('draft', 'live', 'ended')),
    current_activity_id INTEGER REFERENCES activities (id) ON DELETE SET NULL,
    starts_at           TEXT,
    created_by          INTEGER REFERENCES users (id),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX workshops_consultation ON workshops (consultation_id, created_at);

CREATE TABLE activities (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workshop_id  INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    -- Not unique: MoveActivity shifts ranks one row at a time.
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('poll', 'ideas', 'wordcloud', 'scale')),
    prompt       TEXT NOT NULL,
    options      TEXT NOT NULL DEFAULT '[]',
    settings     TEXT NOT NULL DEFAULT '{}',
    state        TEXT NOT NULL CHECK (state IN ('pending', 'open', 'closed')),
    revealed     INTEGER NOT NULL DEFAULT 0,
    round        INTEGER NOT NULL DEFAULT 0,
    opened_at    TEXT,
    closes_at    TEXT,
    closed_at    TEXT,
    online_until TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX activities_workshop ON activities (workshop_id, position);
CREATE INDEX activities_timer ON activities (closes_at) WHERE state = 'open';

CREATE TABLE participants (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    public_id   TEXT NOT NULL UNIQUE,
    nickname    TEXT NOT NULL DEFAULT '',
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (workshop_id, token_hash)
);
CREATE INDEX participants_user ON participants (user_id);

CREATE TABLE votes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id    INTEGER NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    participant_id INTEGER REFERENCES participants (id) ON DELETE CASCADE,
    user_id        INTEGER REFERENCES users (id) ON DELETE CASCADE,
    channel        TEXT NOT NULL CHECK (channel IN ('room', 'online')),
    choices        TEXT NOT NULL DEFAULT '[]',
    words          TEXT NOT NULL DEFAULT '[]',
    value          INTEGER,
    -- How many times the vote was replaced; lets an upsert tell insert from update.
    revision       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CHECK (participant_id IS NOT NULL OR user_id IS NOT NULL),
    -- One vote per person per activity; NULLs do not collide.
    UNIQUE (activity_id, participant_id),
    UNIQUE (activity_id, user_id)
);
CREATE INDEX votes_participant ON votes (participant_id);
CREATE INDEX votes_user ON votes (user_id);

CREATE TABLE proposals (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    workshop_id     INTEGER REFERENCES workshops (id) ON DELETE SET NULL,
    -- Ideas outlive a deleted activity: they are the consultation's proposals too.
    activity_id     INTEGER REFERENCES activities (id) ON DELETE SET NULL,
    participant_id  INTEGER REFERENCES participants (id) ON DELETE SET NULL,
    author_id       INTEGER REFERENCES users (id),
    client_key      TEXT NOT NULL DEFAULT '',
    title           TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL,
    category        TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'hidden')),
    hidden_reason   TEXT NOT NULL DEFAULT '',
    highlighted     INTEGER NOT NULL DEFAULT 0,
    answer          TEXT NOT NULL DEFAULT '' CHECK (answer IN ('', 'accepted', 'rejected', 'under_study')),
    answer_text     TEXT NOT NULL DEFAULT '',
    answered_at     TEXT,
    answered_by     INTEGER REFERENCES users (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT
);
CREATE INDEX proposals_consultation ON proposals (consultation_id, created_at);
CREATE INDEX proposals_activity ON proposals (activity_id, created_at);
CREATE INDEX proposals_author ON proposals (author_id);
CREATE UNIQUE INDEX proposals_participant_key ON proposals (participant_id, client_key) WHERE client_key <> '';
CREATE UNIQUE INDEX proposals_author_key ON proposals (author_id, client_key) WHERE client_key <> '';

CREATE TABLE supports (
    proposal_id    INTEGER NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    participant_id INTEGER REFERENCES participants (id) ON DELETE CASCADE,
    user_id        INTEGER REFERENCES users (id) ON DELETE CASCADE,
    channel        TEXT NOT NULL CHECK (channel IN ('room', 'online')),
    created_at     TEXT NOT NULL,
    CHECK (participant_id IS NOT NULL OR user_id IS NOT NULL),
    UNIQUE (proposal_id, participant_id),
    UNIQUE (proposal_id, user_id)
);

CREATE TABLE comments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    proposal_id     INTEGER REFERENCES proposals (id) ON DELETE CASCADE,
    activity_id     INTEGER REFERENCES activities (id) ON DELETE CASCADE,
    parent_id       INTEGER REFERENCES comments (id) ON DELETE CASCADE,
    author_id       INTEGER NOT NULL REFERENCES users (id),
    stance          TEXT NOT NULL CHECK (stance IN ('for', 'against', 'neutral')),
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('visible', 'hidden')),
    hidden_reason   TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    edited_at       TEXT,
    deleted_at      TEXT
);
CREATE INDEX comments_proposal ON comments (proposal_id, created_at);
CREATE INDEX comments_activity ON comments (activity_id, created_at);
CREATE INDEX comments_author ON comments (author_id, created_at);
CREATE INDEX comments_parent ON comments (parent_id);

CREATE TABLE comment_votes (
    comment_id INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    value      INTEGER NOT NULL CHECK (value IN (-1, 1)),
    PRIMARY KEY (comment_id, user_id)
);

CREATE TABLE flags (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    target_kind     TEXT NOT NULL,
    target_id       INTEGER NOT NULL,
    reporter_id     INTEGER NOT NULL REFERENCES users (id),
    reason          TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    resolved_at     TEXT,
    resolved_by     INTEGER REFERENCES users (id),
    UNIQUE (target_kind, target_id, reporter_id)
);
CREATE INDEX flags_open ON flags (consultation_id, created_at) WHERE resolved_at IS NULL;

-- The audit log has no foreign keys: entries outlive what they describe.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT NOT NULL,
    actor_id        INTEGER,
    action          TEXT NOT NULL,
    target_kind     TEXT NOT NULL DEFAULT '',
    target_id       INTEGER NOT NULL DEFAULT 0,
    consultation_id INTEGER,
    workshop_id     INTEGER,
    detail          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_consultation ON audit_log (consultation_id, id);
CREATE INDEX audit_workshop ON audit_log (workshop_id, id);
CREATE INDEX audit_target ON audit_log (target_kind, target_id, id);

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd

CREATE TABLE counters (
    key          TEXT NOT NULL,
    window_start TEXT NOT NULL,
    count        INTEGER NOT NULL,
    -- window_start plus the window: when the row may be swept.
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX counters_expires ON counters (expires_at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE counters;
DROP TABLE audit_log;
DROP TABLE flags;
DROP TABLE comment_votes;
DROP TABLE comments;
DROP TABLE supports;
DROP TABLE proposals;
DROP TABLE votes;
DROP TABLE participants;
DROP TABLE activities;
DROP TABLE workshops;
DROP TABLE consultations;
DROP TABLE one_time_tokens;
DROP TABLE sessions;
DROP TABLE users;
