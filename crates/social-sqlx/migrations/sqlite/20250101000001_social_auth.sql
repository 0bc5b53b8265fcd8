-- social-sqlx: the default user table and the social tables (SQLite).
-- Times are Unix seconds. AUTOINCREMENT keeps a deleted user's id from being handed to a new
-- user, whose session would otherwise log in as someone else.

CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT    NOT NULL UNIQUE,
    email          TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    first_name     TEXT,
    last_name      TEXT,
    fullname       TEXT,
    is_active      BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX users_email_lower ON users (lower(email));

CREATE TABLE social_accounts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider    TEXT    NOT NULL,
    uid         TEXT    NOT NULL,
    extra_data  TEXT    NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    modified_at INTEGER NOT NULL,
    UNIQUE (provider, uid)
);
CREATE INDEX social_accounts_user_id ON social_accounts (user_id);

CREATE TABLE social_nonces (
    server_url TEXT    NOT NULL,
    timestamp  INTEGER NOT NULL,
    salt       TEXT    NOT NULL,
    PRIMARY KEY (server_url, timestamp, salt)
);
CREATE INDEX social_nonces_timestamp ON social_nonces (timestamp);

CREATE TABLE social_associations (
    server_url TEXT    NOT NULL,
    handle     TEXT    NOT NULL,
    secret     TEXT    NOT NULL,
    issued     INTEGER NOT NULL,
    lifetime   INTEGER NOT NULL,
    assoc_type TEXT    NOT NULL,
    PRIMARY KEY (server_url, handle)
);

CREATE TABLE social_codes (
    code       TEXT    PRIMARY KEY,
    email      TEXT    NOT NULL,
    verified   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL
);

CREATE TABLE social_partials (
    token      TEXT    PRIMARY KEY,
    backend    TEXT    NOT NULL,
    next_step  INTEGER NOT NULL,
    data       TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX social_partials_expires_at ON social_partials (expires_at);
