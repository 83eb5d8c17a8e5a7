-- A refused session proves its conversation to a later start that presents the same access
-- token: whoever holds that token is the person it names once the customer's API confirms
-- it (it was down, or Custom Authentication was off, when it was refused), and nobody
-- else is. The SHA-256 of that token, never the token; NULL for every other session.
ALTER TABLE sessions ADD COLUMN refused_proof TEXT;
