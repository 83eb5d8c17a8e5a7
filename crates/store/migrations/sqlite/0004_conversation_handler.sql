-- Who answers a conversation: the bot, or an agent who took it over (the bot stays silent).
ALTER TABLE conversations ADD COLUMN handled_by TEXT NOT NULL DEFAULT 'bot';
