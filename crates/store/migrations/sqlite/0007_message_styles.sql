-- The emphasis of a bot message's plain text: a JSON array of {"start", "end", "style"}
-- ranges (UTF-16 code units of `text`), NULL for messages without any.
ALTER TABLE messages ADD COLUMN styles TEXT;
