-- A session becomes one row per login (with its refresh policy, its last use
-- and its absolute end), and the rows of single refresh tokens move to
-- refresh_tokens. Every session and token that exists is kept:
--   * a family that was ever rotated is a rotating (REST) session, one that
--     never was is taken for a reusable (GraphQL) one: a REST client whose
--     session started before this migration and never refreshed logs in again,
--   * the absolute end is 30 days (SESSION_MAX_AGE's default) after the login,
--   * a family without a live token has ended.
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;

CREATE TABLE "new_sessions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "user_id" INTEGER NOT NULL,
    "refresh_policy" TEXT NOT NULL,
    "user_agent" TEXT,
    "ip" TEXT,
    "created_at" DATETIME NOT NULL,
    "last_used_at" DATETIME NOT NULL,
    "expires_at" DATETIME NOT NULL,
    "ended_at" DATETIME,
    CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_sessions" ("id", "user_id", "refresh_policy", "user_agent", "ip", "created_at", "last_used_at", "expires_at", "ended_at")
SELECT
    "family_id",
    "user_id",
    CASE WHEN count(*) > 1 THEN 'rotating' ELSE 'reusable' END,
    (SELECT "first"."user_agent" FROM "sessions" AS "first" WHERE "first"."family_id" = "s"."family_id" ORDER BY "first"."created_at" LIMIT 1),
    (SELECT "first"."ip" FROM "sessions" AS "first" WHERE "first"."family_id" = "s"."family_id" ORDER BY "first"."created_at" LIMIT 1),
    min("created_at"),
    max("last_used_at"),
    strftime('%Y-%m-%dT%H:%M:%f+00:00', min("created_at"), '+30 days'),
    CASE WHEN count("revoked_at") = count(*) THEN max("revoked_at") END
FROM "sessions" AS "s"
GROUP BY "family_id", "user_id";

CREATE TABLE "refresh_tokens" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "session_id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "successor_seed" TEXT NOT NULL,
    "parent_id" TEXT,
    "created_at" DATETIME NOT NULL,
    "expires_at" DATETIME NOT NULL,
    "retired_at" DATETIME,
    CONSTRAINT "refresh_tokens_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "refresh_tokens" ("id", "session_id", "token_hash", "successor_seed", "parent_id", "created_at", "expires_at", "retired_at")
SELECT "id", "family_id", "token_hash", "successor_seed", "parent_id", "created_at", "expires_at", "revoked_at" FROM "sessions";

DROP TABLE "sessions";
ALTER TABLE "new_sessions" RENAME TO "sessions";
CREATE INDEX "sessions_user_id_idx" ON "sessions"("user_id");
CREATE INDEX "sessions_expires_at_idx" ON "sessions"("expires_at");
CREATE UNIQUE INDEX "refresh_tokens_token_hash_key" ON "refresh_tokens"("token_hash");
CREATE INDEX "refresh_tokens_session_id_idx" ON "refresh_tokens"("session_id");
CREATE INDEX "refresh_tokens_expires_at_idx" ON "refresh_tokens"("expires_at");

PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- Who acted, for events caused by an authenticated user or an administrator.
ALTER TABLE "audit_events" ADD COLUMN "actor_id" INTEGER;
