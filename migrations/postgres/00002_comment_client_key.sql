-- Comments get the idempotency key proposals have: the comment forms carry
-- a random key, so a double-submitted or retried comment returns the first
-- one instead of counting twice. Unique per author when set; '' (a form of
-- an older page) is never deduplicated.

-- +goose Up
ALTER TABLE comments ADD COLUMN client_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX comments_author_key ON comments (author_id, client_key) WHERE client_key <> '';

-- +goose Down
DROP INDEX comments_author_key;
ALTER TABLE comments DROP COLUMN client_key;
