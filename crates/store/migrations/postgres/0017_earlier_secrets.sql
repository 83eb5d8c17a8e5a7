-- A second rotation within the grace period of the first (a second click, or a rotation
-- before the first new secret was deployed) must not drop the secret the customer's
-- servers still use. previous_secret_sealed and identity_hash_previous_sealed stay the
-- newest retired secret, as instances from before this migration read them; the older
-- ones still in their grace period are kept here, newest first, each sealed, as an array
-- of {sealed, until}.
ALTER TABLE custom_auth ADD COLUMN earlier_secrets JSONB NOT NULL DEFAULT '[]';
ALTER TABLE custom_auth ADD COLUMN identity_hash_earlier JSONB NOT NULL DEFAULT '[]';
