-- What the secret key sealed when the database was first opened with this check: an
-- instance whose key cannot open it has another key, would fail on every bot's sealed
-- settings, and refuses to start instead.
CREATE TABLE key_check (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed TEXT NOT NULL
);
