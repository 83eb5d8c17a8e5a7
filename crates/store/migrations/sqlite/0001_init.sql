-- Concierge on SQLite. Ids are UUIDv7 strings (newest sorts last), times are Unix
-- milliseconds set by the application, JSON is TEXT and booleans are 0/1.

CREATE TABLE workspaces (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    CONSTRAINT workspace_name UNIQUE (name)
);
-- At most one default workspace.
CREATE UNIQUE INDEX workspaces_default ON workspaces (is_default) WHERE is_default = 1;

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    workspace_id  TEXT    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email         TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    CONSTRAINT user_email UNIQUE (email)
);
CREATE INDEX users_workspace ON users (workspace_id);

CREATE TABLE api_tokens (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    token_hash TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT api_token UNIQUE (token_hash)
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE bots (
    id           TEXT    NOT NULL PRIMARY KEY,
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX bots_workspace ON bots (workspace_id, id);

-- One row per bot; secret values arrive sealed.
CREATE TABLE custom_auth (
    bot_id                     TEXT    NOT NULL PRIMARY KEY REFERENCES bots (id) ON DELETE CASCADE,
    enabled                    INTEGER NOT NULL,
    url                        TEXT,
    additional_fields          TEXT    NOT NULL, -- JSON array of wire names
    identify_method            TEXT    NOT NULL,
    timeout_ms                 INTEGER NOT NULL,
    on_failure                 TEXT    NOT NULL,
    headers                    TEXT    NOT NULL, -- JSON array of [name, sealed value]
    allowed_origins            TEXT    NOT NULL, -- JSON array
    signing_secret_sealed      TEXT    NOT NULL,
    previous_secret_sealed     TEXT,
    previous_secret_expires_at INTEGER,
    updated_at                 INTEGER NOT NULL
);

CREATE TABLE contacts (
    id                    TEXT    NOT NULL PRIMARY KEY,
    bot_id                TEXT    NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    identify_method       TEXT    NOT NULL,
    identifier            TEXT    NOT NULL, -- normalised by the caller
    external_id           TEXT,
    email                 TEXT,
    name                  TEXT,
    phone_number          TEXT,
    metadata              TEXT    NOT NULL, -- JSON object
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    last_authenticated_at INTEGER NOT NULL,
    -- The key upsert_contact relies on: one contact per person and bot.
    CONSTRAINT contact_identity UNIQUE (bot_id, identify_method, identifier)
);
CREATE INDEX contacts_bot ON contacts (bot_id, id);

CREATE TABLE conversations (
    id         TEXT    NOT NULL PRIMARY KEY,
    bot_id     TEXT    NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    contact_id TEXT    REFERENCES contacts (id) ON DELETE SET NULL, -- NULL: anonymous visitor
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX conversations_contact ON conversations (contact_id, updated_at);
CREATE INDEX conversations_bot ON conversations (bot_id);

CREATE TABLE sessions (
    id              TEXT    NOT NULL PRIMARY KEY,
    token_hash      TEXT    NOT NULL,
    bot_id          TEXT    NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    contact_id      TEXT    REFERENCES contacts (id) ON DELETE CASCADE,
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    CONSTRAINT session_token UNIQUE (token_hash)
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_bot ON sessions (bot_id);
CREATE INDEX sessions_contact ON sessions (contact_id);
CREATE INDEX sessions_conversation ON sessions (conversation_id);

CREATE TABLE messages (
    -- AUTOINCREMENT: a seq is never reused, even after the newest message is deleted.
    seq             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author          TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, seq);

CREATE TABLE auth_attempts (
    id              TEXT    NOT NULL PRIMARY KEY,
    bot_id          TEXT    NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    outcome         TEXT    NOT NULL,
    reason          TEXT,
    latency_ms      INTEGER NOT NULL,
    identifier      TEXT,
    upstream_status INTEGER,
    client_ip       TEXT,
    is_test         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX auth_attempts_bot ON auth_attempts (bot_id, id);
CREATE INDEX auth_attempts_created ON auth_attempts (created_at);
