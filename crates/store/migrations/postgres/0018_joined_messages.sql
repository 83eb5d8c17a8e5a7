-- Messages a sign-in moved into a contact's conversation keep their seq, which may be
-- older than what another device of the person has read already: that device, catching up
-- "after" its last seq, would never see them. Each moved message remembers the last seq of
-- the conversation it joined; a catch-up from at most that seq includes it.
ALTER TABLE messages ADD COLUMN joined_after_seq BIGINT;
-- Few rows (moved ones only), read by conversation.
CREATE INDEX messages_joined ON messages (conversation_id, joined_after_seq) WHERE joined_after_seq IS NOT NULL;
