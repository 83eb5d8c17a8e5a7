-- Who answers a conversation, by account: the user's id, or "admin" for the admin token.
-- Names may repeat (two agents called Sam, or one who renamed herself), and a take-over
-- must tell a colleague from oneself. NULL for conversations taken before: their name
-- stands in.
ALTER TABLE conversations ADD COLUMN agent_id TEXT;
