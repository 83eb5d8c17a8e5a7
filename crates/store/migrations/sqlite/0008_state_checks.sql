-- The states a conversation, a message and an authentication attempt can be in, held by
-- the database (their Rust types: concierge-domain's states.rs). PostgreSQL gets CHECK
-- constraints. SQLite adds a CHECK only by rebuilding the table, and sqlx runs every
-- SQLite migration in a transaction, where foreign keys cannot be switched off: dropping
-- the old conversations table would cascade to every session and message. So here the
-- same rule is a pair of triggers per table, on insert and on update, that refuse a value
-- outside the set with the same words a CHECK constraint uses.

CREATE TRIGGER conversations_state_on_insert BEFORE INSERT ON conversations
WHEN NEW.handled_by NOT IN ('bot', 'waiting', 'agent') OR NEW.priority NOT IN ('normal', 'high')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: conversations handled_by/priority');
END;
CREATE TRIGGER conversations_state_on_update BEFORE UPDATE OF handled_by, priority ON conversations
WHEN NEW.handled_by NOT IN ('bot', 'waiting', 'agent') OR NEW.priority NOT IN ('normal', 'high')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: conversations handled_by/priority');
END;

CREATE TRIGGER messages_author_on_insert BEFORE INSERT ON messages
WHEN NEW.author NOT IN ('visitor', 'bot', 'agent')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: messages author');
END;
CREATE TRIGGER messages_author_on_update BEFORE UPDATE OF author ON messages
WHEN NEW.author NOT IN ('visitor', 'bot', 'agent')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: messages author');
END;

CREATE TRIGGER auth_attempts_outcome_on_insert BEFORE INSERT ON auth_attempts
WHEN NEW.outcome NOT IN ('ok', 'token_required', 'invalid_token', 'auth_upstream_error', 'auth_timeout',
    'auth_unreachable', 'auth_invalid_response', 'auth_missing_identifier', 'auth_response_too_large',
    'auth_url_blocked')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: auth_attempts outcome');
END;
CREATE TRIGGER auth_attempts_outcome_on_update BEFORE UPDATE OF outcome ON auth_attempts
WHEN NEW.outcome NOT IN ('ok', 'token_required', 'invalid_token', 'auth_upstream_error', 'auth_timeout',
    'auth_unreachable', 'auth_invalid_response', 'auth_missing_identifier', 'auth_response_too_large',
    'auth_url_blocked')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: auth_attempts outcome');
END;
