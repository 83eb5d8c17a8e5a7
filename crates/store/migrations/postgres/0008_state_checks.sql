-- The states a conversation, a message and an authentication attempt can be in, held by
-- CHECK constraints (their Rust types: concierge-domain's states.rs).
ALTER TABLE conversations
    ADD CONSTRAINT conversations_handled_by CHECK (handled_by IN ('bot', 'waiting', 'agent')),
    ADD CONSTRAINT conversations_priority CHECK (priority IN ('normal', 'high'));
ALTER TABLE messages
    ADD CONSTRAINT messages_author CHECK (author IN ('visitor', 'bot', 'agent'));
ALTER TABLE auth_attempts
    ADD CONSTRAINT auth_attempts_outcome CHECK (outcome IN ('ok', 'token_required', 'invalid_token',
        'auth_upstream_error', 'auth_timeout', 'auth_unreachable', 'auth_invalid_response',
        'auth_missing_identifier', 'auth_response_too_large', 'auth_url_blocked'));
