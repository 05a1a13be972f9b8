-- A session becomes one row per login (with its refresh policy, its last use
-- and its absolute end), and the rows of single refresh tokens move to
-- refresh_tokens. Every session and token that exists is kept:
--   * a family that was ever rotated is a rotating (REST) session, one that
--     never was is taken for a reusable (GraphQL) one: a REST client whose
--     session started before this migration and never refreshed logs in again,
--   * the absolute end is 30 days (SESSION_MAX_AGE's default) after the login,
--   * a family without a live token has ended.

-- The table of single tokens keeps its rows under its new name.
ALTER TABLE "sessions" RENAME TO "refresh_tokens";
ALTER TABLE "refresh_tokens" RENAME CONSTRAINT "sessions_pkey" TO "refresh_tokens_pkey";
ALTER TABLE "refresh_tokens" DROP CONSTRAINT "sessions_user_id_fkey";
ALTER INDEX "sessions_token_hash_key" RENAME TO "refresh_tokens_token_hash_key";
ALTER INDEX "sessions_family_id_idx" RENAME TO "refresh_tokens_session_id_idx";
DROP INDEX "sessions_user_id_idx";
ALTER TABLE "refresh_tokens" RENAME COLUMN "family_id" TO "session_id";
ALTER TABLE "refresh_tokens" RENAME COLUMN "revoked_at" TO "retired_at";
ALTER TABLE "refresh_tokens" ALTER COLUMN "created_at" DROP DEFAULT;

CREATE TABLE "sessions" (
    "id" TEXT NOT NULL,
    "user_id" INTEGER NOT NULL,
    "refresh_policy" TEXT NOT NULL,
    "user_agent" TEXT,
    "ip" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL,
    "last_used_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "ended_at" TIMESTAMP(3),

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);
INSERT INTO "sessions" ("id", "user_id", "refresh_policy", "user_agent", "ip", "created_at", "last_used_at", "expires_at", "ended_at")
SELECT DISTINCT ON ("session_id")
    "session_id",
    "user_id",
    CASE WHEN count(*) OVER "family" > 1 THEN 'rotating' ELSE 'reusable' END,
    "user_agent",
    "ip",
    min("created_at") OVER "family",
    max("last_used_at") OVER "family",
    min("created_at") OVER "family" + INTERVAL '30 days',
    CASE WHEN count("retired_at") OVER "family" = count(*) OVER "family" THEN max("retired_at") OVER "family" END
FROM "refresh_tokens"
WINDOW "family" AS (PARTITION BY "session_id")
ORDER BY "session_id", "created_at";

ALTER TABLE "refresh_tokens" DROP COLUMN "user_id",
DROP COLUMN "user_agent",
DROP COLUMN "ip",
DROP COLUMN "last_used_at";

CREATE INDEX "sessions_user_id_idx" ON "sessions"("user_id");
CREATE INDEX "sessions_expires_at_idx" ON "sessions"("expires_at");
CREATE INDEX "refresh_tokens_expires_at_idx" ON "refresh_tokens"("expires_at");
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Who acted, for events caused by an authenticated user or an administrator.
ALTER TABLE "audit_events" ADD COLUMN "actor_id" INTEGER;
