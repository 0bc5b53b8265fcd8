-- Nonces are claimed in time order and purged by age: one B-tree keyed by time first holds
-- them, instead of a table, its primary-key index and a timestamp index (three B-trees written
-- per claim). The key's columns, and so what counts as a repeated nonce, are unchanged.
CREATE TABLE social_nonces_by_time (
    server_url TEXT    NOT NULL,
    timestamp  INTEGER NOT NULL,
    salt       TEXT    NOT NULL,
    PRIMARY KEY (timestamp, server_url, salt)
) WITHOUT ROWID;
INSERT INTO social_nonces_by_time (server_url, timestamp, salt)
    SELECT server_url, timestamp, salt FROM social_nonces;
DROP TABLE social_nonces;
ALTER TABLE social_nonces_by_time RENAME TO social_nonces;
