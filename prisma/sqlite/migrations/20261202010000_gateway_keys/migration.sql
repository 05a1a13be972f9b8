-- A refresh token's successor is derived under one key the fleet shares,
-- kept here, instead of a seed stored with each token: it is then known
-- before the token is looked up, so PostgreSQL rotates in one statement.
-- The key is made by the first instance that needs it. A token rotated
-- before this migration and presented again within REFRESH_REUSE_INTERVAL
-- cannot be answered with its successor any more: that presentation is reuse.
CREATE TABLE "gateway_keys" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL
);

ALTER TABLE "refresh_tokens" DROP COLUMN "successor_seed";
