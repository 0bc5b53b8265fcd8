-- Nonces are claimed in time order and purged by age: a primary key led by the time serves
-- both, and the separate timestamp index (one more index written per claim) goes. The key's
-- columns, and so what counts as a repeated nonce, are unchanged.
ALTER TABLE social_nonces DROP CONSTRAINT social_nonces_pkey;
ALTER TABLE social_nonces ADD PRIMARY KEY (timestamp, server_url, salt);
DROP INDEX social_nonces_timestamp;
