-- Agora schema for PostgreSQL. Times are TIMESTAMPTZ written in UTC by the
-- store; JSON is kept as TEXT so both dialects read back the same bytes.

-- +goose Up
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE, -- lower-cased by the store
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('admin', 'moderator', 'facilitator', 'citizen')),
    created_at    TIMESTAMPTZ NOT NULL,
    deleted_at    TIMESTAMPTZ
);
CREATE INDEX users_role ON users (role, id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE one_time_tokens (
    hash       TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    BIGINT REFERENCES users (id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

CREATE TABLE consultations (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    opens_at          TIMESTAMPTZ,
    closes_at         TIMESTAMPTZ,
    support_threshold INTEGER NOT NULL DEFAULT 0,
    report_published  BOOLEAN NOT NULL DEFAULT FALSE,
    created_by        BIGINT REFERENCES users (id),
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX consultations_status ON consultations (status, created_at);
CREATE INDEX consultations_created ON consultations (created_at);

CREATE TABLE workshops (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultation_id     BIGINT NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    title               TEXT NOT NULL,
    place               TEXT NOT NULL DEFAULT '',
    join_code           TEXT NOT NULL UNIQUE,
    screen_token        TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('draft', 'live', 'ended')),
    current_activity_id BIGINT, -- references activities, added below
    starts_at           TIMESTAMPTZ,
    created_by          BIGINT REFERENCES users (id),
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX workshops_consultation ON workshops (consultation_id, created_at);

CREATE TABLE activities (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workshop_id  BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    -- Not unique: MoveActivity shifts ranks one row at a time.
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('poll', 'ideas', 'wordcloud', 'scale')),
    prompt       TEXT NOT NULL,
    options      TEXT NOT NULL DEFAULT '[]',
    settings     TEXT NOT NULL DEFAULT '{}',
    state        TEXT NOT NULL CHECK (state IN ('pending', 'open', 'closed')),
    revealed     BOOLEAN NOT NULL DEFAULT FALSE,
    round        INTEGER NOT NULL DEFAULT 0,
    opened_at    TIMESTAMPTZ,
    closes_at    TIMESTAMPTZ,
    closed_at    TIMESTAMPTZ,
    online_until TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX activities_workshop ON activities (workshop_id, position);
CREATE INDEX activities_timer ON activities (closes_at) WHERE state = 'open';

ALTER TABLE workshops ADD CONSTRAINT workshops_current_activity
    FOREIGN KEY (current_activity_id) REFERENCES activities (id) ON DELETE SET NULL;

CREATE TABLE participants (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    public_id   TEXT NOT NULL UNIQUE,
    nickname    TEXT NOT NULL DEFAULT '',
    user_id     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (workshop_id, token_hash)
);
CREATE INDEX participants_user ON participants (user_id);

CREATE TABLE votes (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_id    BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    participant_id BIGINT REFERENCES participants (id) ON DELETE CASCADE,
    user_id        BIGINT REFERENCES users (id) ON DELETE CASCADE,
    channel        TEXT NOT NULL CHECK (channel IN ('room', 'online')),
    choices        TEXT NOT NULL DEFAULT '[]',
    words          TEXT NOT NULL DEFAULT '[]',
    value          INTEGER,
    -- How many times the vote was replaced; lets an upsert tell insert from update.
    revision       INTEGER NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    CHECK (participant_id IS NOT NULL OR user_id IS NOT NULL),
    -- One vote per person per activity; NULLs do not collide.
    UNIQUE (activity_id, participant_id),
    UNIQUE (activity_id, user_id)
);
CREATE INDEX votes_participant ON votes (participant_id);
CREATE INDEX votes_user ON votes (user_id);

CREATE TABLE proposals (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultation_id BIGINT NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    workshop_id     BIGINT REFERENCES workshops (id) ON DELETE SET NULL,
    -- Ideas outlive a deleted activity: they are the consultation's proposals too.
    activity_id     BIGINT REFERENCES activities (id) ON DELETE SET NULL,
    participant_id  BIGINT REFERENCES participants (id) ON DELETE SET NULL,
    author_id       BIGINT REFERENCES users (id),
    client_key      TEXT NOT NULL DEFAULT '',
    title           TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL,
    category        TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'hidden')),
    hidden_reason   TEXT NOT NULL DEFAULT '',
    highlighted     BOOLEAN NOT NULL DEFAULT FALSE,
    answer          TEXT NOT NULL DEFAULT '' CHECK (answer IN ('', 'accepted', 'rejected', 'under_study')),
    answer_text     TEXT NOT NULL DEFAULT '',
    answered_at     TIMESTAMPTZ,
    answered_by     BIGINT REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    deleted_at      TIMESTAMPTZ
);
CREATE INDEX proposals_consultation ON proposals (consultation_id, created_at);
CREATE INDEX proposals_activity ON proposals (activity_id, created_at);
CREATE INDEX proposals_author ON proposals (author_id);
CREATE UNIQUE INDEX proposals_participant_key ON proposals (participant_id, client_key) WHERE client_key <> '';
CREATE UNIQUE INDEX proposals_author_key ON proposals (author_id, client_key) WHERE client_key <> '';

CREATE TABLE supports (
    proposal_id    BIGINT NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    participant_id BIGINT REFERENCES participants (id) ON DELETE CASCADE,
    user_id        BIGINT REFERENCES users (id) ON DELETE CASCADE,
    channel        TEXT NOT NULL CHECK (channel IN ('room', 'online')),
    created_at     TIMESTAMPTZ NOT NULL,
    CHECK (participant_id IS NOT NULL OR user_id IS NOT NULL),
    UNIQUE (proposal_id, participant_id),
    UNIQUE (proposal_id, user_id)
);

CREATE TABLE comments (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultation_id BIGINT NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    proposal_id     BIGINT REFERENCES proposals (id) ON DELETE CASCADE,
    activity_id     BIGINT REFERENCES activities (id) ON DELETE CASCADE,
    parent_id       BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    author_id       BIGINT NOT NULL REFERENCES users (id),
    stance          TEXT NOT NULL CHECK (stance IN ('for', 'against', 'neutral')),
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('visible', 'hidden')),
    hidden_reason   TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    edited_at       TIMESTAMPTZ,
    deleted_at      TIMESTAMPTZ
);
CREATE INDEX comments_proposal ON comments (proposal_id, created_at);
CREATE INDEX comments_activity ON comments (activity_id, created_at);
CREATE INDEX comments_author ON comments (author_id, created_at);
CREATE INDEX comments_parent ON comments (parent_id);

CREATE TABLE comment_votes (
    comment_id BIGINT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    value      SMALLINT NOT NULL CHECK (value IN (-1, 1)),
    PRIMARY KEY (comment_id, user_id)
);

CREATE TABLE flags (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultation_id BIGINT NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    target_kind     TEXT NOT NULL,
    target_id       BIGINT NOT NULL,
    reporter_id     BIGINT NOT NULL REFERENCES users (id),
    reason          TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    resolved_at     TIMESTAMPTZ,
    resolved_by     BIGINT REFERENCES users (id),
    UNIQUE (target_kind, target_id, reporter_id)
);
CREATE INDEX flags_open ON flags (consultation_id, created_at) WHERE resolved_at IS NULL;

-- The audit log has no foreign keys: entries outlive what they describe.
CREATE TABLE audit_log (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL,
    actor_id        BIGINT,
    action          TEXT NOT NULL,
    target_kind     TEXT NOT NULL DEFAULT '',
    target_id       BIGINT NOT NULL DEFAULT 0,
    consultation_id BIGINT,
    workshop_id     BIGINT,
    detail          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_consultation ON audit_log (consultation_id, id);
CREATE INDEX audit_workshop ON audit_log (workshop_id, id);
CREATE INDEX audit_target ON audit_log (target_kind, target_id, id);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE counters (
    key          TEXT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    count        INTEGER NOT NULL,
    -- window_start plus the window: when the row may be swept.
    expires_at   TIMESTAMPTZ NOT NULL,
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
DROP FUNCTION audit_log_append_only();
DROP TABLE flags;
DROP TABLE comment_votes;
DROP TABLE comments;
DROP TABLE supports;
DROP TABLE proposals;
DROP TABLE votes;
DROP TABLE participants;
ALTER TABLE workshops DROP CONSTRAINT workshops_current_activity;
DROP TABLE activities;
DROP TABLE workshops;
DROP TABLE consultations;
DROP TABLE one_time_tokens;
DROP TABLE sessions;
DROP TABLE users;
