-- Dashboard sign-ins (cookie sessions) and the one-time links that create the first user.
-- Only SHA-256 hashes of the tokens are stored.
CREATE TABLE logins (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX logins_user ON logins (user_id);

CREATE TABLE setup_tokens (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
