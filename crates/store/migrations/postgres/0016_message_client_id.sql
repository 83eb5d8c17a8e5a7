-- The widget's own id for a message it sends, so that a retry whose first answer was lost
-- (the message stored, the response not) is the same message again, not a second one the
-- bot answers twice. Unique per conversation; NULL for every message without one.
ALTER TABLE messages ADD COLUMN client_id TEXT;
CREATE UNIQUE INDEX messages_client_id ON messages (conversation_id, client_id) WHERE client_id IS NOT NULL;
