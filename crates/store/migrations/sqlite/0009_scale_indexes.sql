-- What the dashboard reads for a bot with many conversations and attempts, each from an
-- index, in work that does not grow with the table.

-- The seq of a conversation's newest message (NULL: none yet), kept by the triggers below
-- for every writer of messages: the inbox reads a conversation's latest message by its key
-- instead of searching for it, and a message's predecessor is read from here.
ALTER TABLE conversations ADD COLUMN last_seq INTEGER;
UPDATE conversations
SET last_seq = (SELECT MAX(seq) FROM messages WHERE messages.conversation_id = conversations.id);

-- Where the inbox lists a conversation: waiting for a person at high priority (0), waiting
-- (1), the others (2). A column of its own, so that an index can hold the inbox's order.
ALTER TABLE conversations ADD COLUMN inbox_rank INTEGER NOT NULL
    GENERATED ALWAYS AS (CASE WHEN handled_by <> 'waiting' THEN 2 WHEN priority = 'high' THEN 0 ELSE 1 END) VIRTUAL;

-- The inbox in its order: the first page is the first entries of the bot's range. Only
-- conversations with messages: a page load of a visitor who never writes leaves an empty
-- one, and those are never listed.
CREATE INDEX conversations_inbox ON conversations (bot_id, inbox_rank, updated_at DESC, id DESC)
    WHERE last_seq IS NOT NULL;

-- A message written makes its conversation active at its time, and is its newest (its
-- writer holds the conversation from before the message got its seq; the CASE keeps a
-- higher one all the same).
CREATE TRIGGER messages_last_on_insert AFTER INSERT ON messages
BEGIN
    UPDATE conversations
    SET last_seq = CASE WHEN last_seq > NEW.seq THEN last_seq ELSE NEW.seq END, updated_at = NEW.created_at
    WHERE id = NEW.conversation_id;
END;

-- A message moved to another conversation (a visitor's messages joining a contact's at
-- sign-in): the new one's newest is the higher of the two, the old one's is what is left.
-- Its activity time is the mover's to set.
CREATE TRIGGER messages_last_on_move AFTER UPDATE OF conversation_id ON messages
WHEN NEW.conversation_id <> OLD.conversation_id
BEGIN
    UPDATE conversations SET last_seq = NEW.seq
    WHERE id = NEW.conversation_id AND (last_seq IS NULL OR last_seq < NEW.seq);
    UPDATE conversations
    SET last_seq = (SELECT MAX(seq) FROM messages WHERE conversation_id = OLD.conversation_id)
    WHERE id = OLD.conversation_id AND last_seq = OLD.seq;
END;

-- The authentication log, newest first from a moment on, and its chart's counts per
-- outcome since that moment: both a range of this index (the outcome in it, so that
-- counting reads no row). It replaces the (bot_id, id) index: the log pages by time.
CREATE INDEX auth_attempts_bot_time ON auth_attempts (bot_id, created_at, id, outcome);
DROP INDEX auth_attempts_bot;
