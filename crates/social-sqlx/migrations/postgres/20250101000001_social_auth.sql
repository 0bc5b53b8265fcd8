-- social-sqlx: the default user table and the social tables (PostgreSQL).
-- Times are Unix seconds. Identity columns never hand a deleted user's id to a new user, whose
-- session would otherwise log in as someone else.

CREATE TABLE users (
    id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider    TEXT   NOT NULL,
    uid         TEXT   NOT NULL,
    extra_data  JSONB  NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL,
    modified_at BIGINT NOT NULL,
    UNIQUE (provider, uid)
);
CREATE INDEX social_accounts_user_id ON social_accounts (user_id);

CREATE TABLE social_nonces (
    server_url TEXT   NOT NULL,
    timestamp  BIGINT NOT NULL,
    salt       TEXT   NOT NULL,
    PRIMARY KEY (server_url, timestamp, salt)
);
CREATE INDEX social_nonces_timestamp ON social_nonces (timestamp);

CREATE TABLE social_associations (
    server_url TEXT   NOT NULL,
    handle     TEXT   NOT NULL,
    secret     TEXT   NOT NULL,
    issued     BIGINT NOT NULL,
    lifetime   BIGINT NOT NULL,
    assoc_type TEXT   NOT NULL,
    PRIMARY KEY (server_url, handle)
);

CREATE TABLE social_codes (
    code       TEXT    PRIMARY KEY,
    email      TEXT    NOT NULL,
    verified   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT  NOT NULL
);

CREATE TABLE social_partials (
    token      TEXT   PRIMARY KEY,
    backend    TEXT   NOT NULL,
    next_step  BIGINT NOT NULL,
    data       JSONB  NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX social_partials_expires_at ON social_partials (expires_at);
