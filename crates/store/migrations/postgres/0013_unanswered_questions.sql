-- The visitors' questions the bot handed to the team because no article was a confident
-- enough match: what the operator reads to see which articles are missing.
--
-- One per visitor message, and only its reference: the text is the message's, so a question
-- goes when its conversation does (ON DELETE CASCADE through messages), and nothing a
-- visitor wrote is kept twice. closest_article_id and closest_confidence are the best
-- article the bot had then and its confidence in percent; the article's deletion leaves
-- the question, without it. The operator dismisses a question
-- by deleting its row.
CREATE TABLE unanswered_questions (
    message_seq        BIGINT  PRIMARY KEY REFERENCES messages (seq) ON DELETE CASCADE,
    bot_id             TEXT    NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    closest_article_id TEXT    COLLATE "C" REFERENCES articles (id) ON DELETE SET NULL,
    closest_confidence BIGINT,
    created_at         BIGINT  NOT NULL
);
CREATE INDEX unanswered_questions_bot ON unanswered_questions (bot_id, message_seq);
CREATE INDEX unanswered_questions_article ON unanswered_questions (closest_article_id);
