-- A session asked for with an access token that was refused stays anonymous, but it can
-- never prove its conversation at a later sign-in: the refused token may have been someone
-- else's.
ALTER TABLE sessions ADD COLUMN refused BOOLEAN NOT NULL DEFAULT FALSE;
