-- A console session is an API token that a browser keeps in an HttpOnly
-- cookie. `session_of` names the staff token it was signed in with, so that
-- revoking or outliving that token ends the session too; a session begun
-- with a one-time sign-in code has none.
ALTER TABLE api_tokens ADD COLUMN session_of INTEGER REFERENCES api_tokens (id);
CREATE INDEX api_tokens_by_session_of ON api_tokens (session_of);

-- One-time codes an administrator hands a staff member to sign in to the
-- console with, as students enroll with theirs. Only the hash is kept.
CREATE TABLE staff_sign_in_codes (
    id         INTEGER PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff (id),
    code_hash  BLOB    NOT NULL UNIQUE,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT
);
