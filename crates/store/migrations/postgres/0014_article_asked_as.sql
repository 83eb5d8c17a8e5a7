-- The ways visitors ask for an article, in their own words, as the operator wrote them or
-- taught them from an unanswered question: the search reads each as a passage of the
-- article, so that a question asked so again finds it although the article's own words
-- differ ("my site says not secure" for an article on SSL certificates). A JSON array of
-- strings, [] for every article written before.
ALTER TABLE articles ADD COLUMN asked_as JSONB NOT NULL DEFAULT '[]';
