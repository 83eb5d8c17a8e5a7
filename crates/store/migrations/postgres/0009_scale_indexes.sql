-- What the dashboard reads for a bot with many conversations and attempts, each from an
-- index, in work that does not grow with the table.

-- A message's conversation in the collation of conversations' ids ("C", as every id): a
-- comparison of the two is in "C", which an index in the default collation cannot serve,
-- so a join from conversations to their messages read each conversation's messages from
-- the newest message of all, backwards. The index is rebuilt; the rows stay as they are.
ALTER TABLE messages ALTER COLUMN conversation_id TYPE TEXT COLLATE "C";

-- The seq of a conversation's newest message (NULL: none yet), kept by the trigger below
-- for every writer of messages: the inbox reads a conversation's latest message by its key
-- instead of searching for it, and a message's predecessor is read from here.
ALTER TABLE conversations ADD COLUMN last_seq BIGINT;
UPDATE conversations
SET last_seq = (SELECT MAX(seq) FROM messages WHERE messages.conversation_id = conversations.id);

-- Where the inbox lists a conversation: waiting for a person at high priority (0), waiting
-- (1), the others (2). A column of its own, so that an index can hold the inbox's order.
ALTER TABLE conversations ADD COLUMN inbox_rank SMALLINT NOT NULL
    GENERATED ALWAYS AS (CASE WHEN handled_by <> 'waiting' THEN 2 WHEN priority = 'high' THEN 0 ELSE 1 END) STORED;

-- The inbox in its order: the first page is the first entries of the bot's range. Only
-- conversations with messages: a page load of a visitor who never writes leaves an empty
-- one, and those are never listed.
CREATE INDEX conversations_inbox ON conversations (bot_id, inbox_rank, updated_at DESC, id DESC)
    WHERE last_seq IS NOT NULL;

-- A message written makes its conversation active at its time, and is its newest (its
-- writer holds the conversation's row lock from before the message got its seq; GREATEST
-- keeps a higher one all the same). A message moved to another conversation (a visitor's
-- messages joining a contact's at sign-in): the new one's newest is the higher of the two,
-- the old one's is what is left; the activity time is the mover's to set.
CREATE FUNCTION messages_keep_last_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE conversations SET last_seq = GREATEST(last_seq, NEW.seq), updated_at = NEW.created_at
        WHERE id = NEW.conversation_id;
    ELSIF NEW.conversation_id <> OLD.conversation_id THEN
        UPDATE conversations SET last_seq = GREATEST(last_seq, NEW.seq) WHERE id = NEW.conversation_id;
        UPDATE conversations
        SET last_seq = (SELECT MAX(seq) FROM messages WHERE conversation_id = OLD.conversation_id)
        WHERE id = OLD.conversation_id AND last_seq = OLD.seq;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER messages_last_seq AFTER INSERT OR UPDATE OF conversation_id ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_keep_last_seq();

-- The authentication log, newest first from a moment on, and its chart's counts per
-- outcome since that moment: both a range of this index (the outcome in it, so that
-- counting can read the index alone). It replaces the (bot_id, id) index: the log pages by
-- time.
CREATE INDEX auth_attempts_bot_time ON auth_attempts (bot_id, created_at, id, outcome);
DROP INDEX auth_attempts_bot;
