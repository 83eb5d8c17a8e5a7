-- Issue 13, the session start's path.
--
-- bots.revision: bumped by every update of the bot, in the same statement.
--
-- custom_auth.revision: bumped by every write of the row (settings, rotation, emptying the
-- auth result cache), in the same statement. Cached authentication results are keyed by
-- it, so a change made through any instance retires them on every instance at its next
-- read of the settings, with no message that could arrive late.
--
-- custom_auth.cache_ttl_secs: how long a verified answer of the customer's API is reused
-- for the same access token and fields (0: never, the default).
--
-- Together they tell an instance whether the bot and settings it holds in memory are
-- current, in one cheap read instead of reading and opening both.
--
-- auth_attempts.cached: the attempt was answered from that cache, not by a call.
ALTER TABLE bots ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE custom_auth ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE custom_auth ADD COLUMN cache_ttl_secs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE auth_attempts ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;
