-- Each article's sentence embedding, so that an instance that starts, or finds the bot's
-- knowledge_revision changed, embeds only the articles whose text it has no vector for
-- instead of the whole knowledge base.
--
-- One per article, made by one model: a vector of another model cannot be compared with
-- the question's, so a new model's replaces the old one's. content_hash is the caller's
-- hash of the text it embedded, which tells a stale vector from a current one; vector is
-- little-endian f32s. Writing one does not bump the bot's knowledge_revision: the text
-- did not change. There is no bot_id: a bot's embeddings are read through its articles.
CREATE TABLE article_embeddings (
    article_id   TEXT NOT NULL PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    model        TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vector       BLOB NOT NULL
);
