-- How the widget presents a bot: its colour, its greeting ({name} = the contact's name)
-- and what it says when the chat requires signing in.
ALTER TABLE bots ADD COLUMN color TEXT NOT NULL DEFAULT '#2563eb';
ALTER TABLE bots ADD COLUMN greeting TEXT NOT NULL DEFAULT 'Hi {name}! How can we help?';
ALTER TABLE bots ADD COLUMN signin_text TEXT NOT NULL DEFAULT 'Please sign in on our website to chat with us.';
