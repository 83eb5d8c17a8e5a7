-- Issue 14, identity modes beyond the call to the customer's API.
--
-- custom_auth.identity: the bot's identity mode and every mode's settings (concierge-domain's
-- IdentitySettings), kept when another mode is chosen.
--
-- custom_auth.jwt_keys: the bot's HS256/384/512 keys for signed user tokens, an array of
-- {kid, secret_sealed, created_at}; several are valid at once, for rotation.
--
-- custom_auth.identity_hash_secret_sealed: the key of the bot's identity hashes; after a
-- rotation the previous key (identity_hash_previous_sealed) keeps verifying until
-- identity_hash_previous_expires_at, as the signing secret does.
--
-- Both secrets are sealed like the signing secret, and written only by their own
-- statement, so that a settings save cannot undo a rotation.
--
-- custom_auth.introspection_secret_sealed: the client secret the customer gave for its
-- introspection endpoint, sealed; a settings save that gives none keeps it.
--
-- conversations.page_fields: what the page said about a visitor it did not fully verify
-- (its data-user-id, data-email, data-name, data-phone-number) at the newest session start
-- that said anything: for an anonymous visitor, or one identified by an identity hash, whose
-- other fields stay unverified. Shown to agents as unverified; NULL when nothing was said.
--
-- auth_attempts.mode: the mode that made the attempt; the outcomes gain the modes' codes.
ALTER TABLE custom_auth ADD COLUMN identity JSONB NOT NULL DEFAULT '{}';
ALTER TABLE custom_auth ADD COLUMN jwt_keys JSONB NOT NULL DEFAULT '[]';
ALTER TABLE custom_auth ADD COLUMN identity_hash_secret_sealed TEXT;
ALTER TABLE custom_auth ADD COLUMN identity_hash_previous_sealed TEXT;
ALTER TABLE custom_auth ADD COLUMN identity_hash_previous_expires_at BIGINT;
ALTER TABLE custom_auth ADD COLUMN introspection_secret_sealed TEXT;
ALTER TABLE conversations ADD COLUMN page_fields JSONB;
ALTER TABLE auth_attempts ADD COLUMN mode TEXT NOT NULL DEFAULT 'custom_auth'
    CONSTRAINT auth_attempts_mode CHECK (mode IN ('custom_auth', 'jwt', 'identity_hash', 'oidc_userinfo', 'introspection'));

ALTER TABLE auth_attempts DROP CONSTRAINT auth_attempts_outcome;
ALTER TABLE auth_attempts
    ADD CONSTRAINT auth_attempts_outcome CHECK (outcome IN ('ok', 'token_required', 'invalid_token',
        'auth_upstream_error', 'auth_timeout', 'auth_unreachable', 'auth_invalid_response',
        'auth_missing_identifier', 'auth_response_too_large', 'auth_url_blocked', 'token_expired',
        'token_signature_invalid', 'token_claims_invalid', 'hash_mismatch', 'token_inactive'));
