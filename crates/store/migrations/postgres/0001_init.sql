-- Concierge on PostgreSQL. Ids are UUIDv7 strings (newest sorts last) with the "C"
-- collation, so that they compare byte by byte whatever the database's locale; times are
-- Unix milliseconds set by the application; JSON is JSONB.

CREATE TABLE workspaces (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT    NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT  NOT NULL,
    CONSTRAINT workspace_name UNIQUE (name)
);
-- At most one default workspace.
CREATE UNIQUE INDEX workspaces_default ON workspaces (is_default) WHERE is_default;

CREATE TABLE users (
    id            TEXT COLLATE "C" PRIMARY KEY,
    workspace_id  TEXT   NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email         TEXT   NOT NULL,
    password_hash TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    CONSTRAINT user_email UNIQUE (email)
);
CREATE INDEX users_workspace ON users (workspace_id);

CREATE TABLE api_tokens (
    id         TEXT COLLATE "C" PRIMARY KEY,
    user_id    TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT   NOT NULL,
    token_hash TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT api_token UNIQUE (token_hash)
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE bots (
    id           TEXT COLLATE "C" PRIMARY KEY,
    workspace_id TEXT   NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX bots_workspace ON bots (workspace_id, id);

-- One row per bot; secret values arrive sealed.
CREATE TABLE custom_auth (
    bot_id                     TEXT    PRIMARY KEY REFERENCES bots (id) ON DELETE CASCADE,
    enabled                    BOOLEAN NOT NULL,
    url                        TEXT,
    additional_fields          JSONB   NOT NULL, -- array of wire names
    identify_method            TEXT    NOT NULL,
    timeout_ms                 BIGINT  NOT NULL,
    on_failure                 TEXT    NOT NULL,
    headers                    JSONB   NOT NULL, -- array of [name, sealed value]
    allowed_origins            JSONB   NOT NULL,
    signing_secret_sealed      TEXT    NOT NULL,
    previous_secret_sealed     TEXT,
    previous_secret_expires_at BIGINT,
    updated_at                 BIGINT  NOT NULL
);

CREATE TABLE contacts (
    id                    TEXT COLLATE "C" PRIMARY KEY,
    bot_id                TEXT   NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    identify_method       TEXT   NOT NULL,
    identifier            TEXT   NOT NULL, -- normalised by the caller
    external_id           TEXT,
    email                 TEXT,
    name                  TEXT,
    phone_number          TEXT,
    metadata              JSONB  NOT NULL, -- object
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    last_authenticated_at BIGINT NOT NULL,
    -- The key upsert_contact relies on: one contact per person and bot.
    CONSTRAINT contact_identity UNIQUE (bot_id, identify_method, identifier)
);
CREATE INDEX contacts_bot ON contacts (bot_id, id);

CREATE TABLE conversations (
    id         TEXT COLLATE "C" PRIMARY KEY,
    bot_id     TEXT   NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    contact_id TEXT   REFERENCES contacts (id) ON DELETE SET NULL, -- NULL: anonymous visitor
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX conversations_contact ON conversations (contact_id, updated_at);
CREATE INDEX conversations_bot ON conversations (bot_id);

CREATE TABLE sessions (
    id              TEXT COLLATE "C" PRIMARY KEY,
    token_hash      TEXT   NOT NULL,
    bot_id          TEXT   NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    contact_id      TEXT   REFERENCES contacts (id) ON DELETE CASCADE,
    conversation_id TEXT   NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    CONSTRAINT session_token UNIQUE (token_hash)
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_bot ON sessions (bot_id);
CREATE INDEX sessions_contact ON sessions (contact_id);
CREATE INDEX sessions_conversation ON sessions (conversation_id);

CREATE TABLE messages (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id TEXT   NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author          TEXT   NOT NULL,
    text            TEXT   NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, seq);

CREATE TABLE auth_attempts (
    id              TEXT COLLATE "C" PRIMARY KEY,
    bot_id          TEXT    NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    outcome         TEXT    NOT NULL,
    reason          TEXT,
    latency_ms      BIGINT  NOT NULL,
    identifier      TEXT,
    upstream_status BIGINT,
    client_ip       TEXT,
    is_test         BOOLEAN NOT NULL,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX auth_attempts_bot ON auth_attempts (bot_id, id);
CREATE INDEX auth_attempts_created ON auth_attempts (created_at);
