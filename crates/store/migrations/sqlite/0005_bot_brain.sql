-- The bot's brain: the knowledge base it answers from, how it answers, the language model
-- it may ask, and the handoff of a conversation to a person.

-- Articles of a bot's knowledge base. Every write of an article bumps its bot's
-- knowledge_revision in the same transaction, so that instances can tell that the search
-- index they cached is stale.
CREATE TABLE articles (
    id         TEXT    NOT NULL PRIMARY KEY,
    bot_id     TEXT    NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX articles_bot ON articles (bot_id, id);

ALTER TABLE bots ADD COLUMN knowledge_revision INTEGER NOT NULL DEFAULT 0;
-- How the bot answers: its rules (a JSON array the bot interprets), the confidence in
-- percent (0 to 100) below which it does not answer from the knowledge base, and what it
-- says when it is not sure and when it hands the conversation to a person.
ALTER TABLE bots ADD COLUMN rules TEXT NOT NULL DEFAULT '[]';
ALTER TABLE bots ADD COLUMN confidence_threshold INTEGER NOT NULL DEFAULT 35;
ALTER TABLE bots ADD COLUMN not_sure_text TEXT NOT NULL
    DEFAULT 'I''m not sure I can answer that one. I''ve asked a person on our team to join; they''ll reply right here.';
ALTER TABLE bots ADD COLUMN handoff_text TEXT NOT NULL
    DEFAULT 'I''m bringing in a person from our team. They''ll reply right here.';

-- Greetings become Jinja templates. SQLite cannot change a column's default, so the
-- column keeps the old one and create_bot sets the new default
-- 'Hi {{ contact.name | default("there") }}! How can we help?' explicitly.
-- {name} was the only placeholder and everything else was literal, so a greeting that
-- contains Jinja's own markers ({{, {%, {#) keeps its text in raw blocks.
UPDATE bots SET greeting = CASE
    WHEN instr(greeting, '{{') > 0 OR instr(greeting, '{%') > 0 OR instr(greeting, '{#') > 0
        THEN '{% raw %}'
            || replace(greeting, '{name}', '{% endraw %}{{ contact.name | default("there") }}{% raw %}')
            || '{% endraw %}'
    ELSE replace(greeting, '{name}', '{{ contact.name | default("there") }}')
END;

-- One row per bot: the language model the bot may ask, at base_url. The API key
-- arrives sealed.
CREATE TABLE bot_llm (
    bot_id         TEXT    NOT NULL PRIMARY KEY REFERENCES bots (id) ON DELETE CASCADE,
    enabled        INTEGER NOT NULL,
    base_url       TEXT    NOT NULL,
    model          TEXT    NOT NULL,
    api_key_sealed TEXT,
    timeout_ms     INTEGER NOT NULL,
    instructions   TEXT    NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- handled_by is now 'bot', 'waiting' (handed off, waiting for an agent; the bot stays
-- silent) or 'agent'. The inbox lists waiting conversations first, high priority first.
ALTER TABLE conversations ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal'; -- 'normal' or 'high'
ALTER TABLE conversations ADD COLUMN agent_name TEXT; -- the person answering, shown in the widget

-- Who wrote a message, as the widget shows it: the bot's name or the agent's display name;
-- NULL for the visitor.
ALTER TABLE messages ADD COLUMN author_name TEXT;

-- The display name agents answer under.
ALTER TABLE users ADD COLUMN name TEXT;
