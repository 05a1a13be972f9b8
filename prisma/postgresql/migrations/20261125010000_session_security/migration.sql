-- AlterTable
-- Sessions from before this migration get a random seed of their own.
ALTER TABLE "sessions" ADD COLUMN     "successor_seed" TEXT;
UPDATE "sessions" SET "successor_seed" = md5(random()::text || "id") || md5(random()::text || clock_timestamp()::text);
ALTER TABLE "sessions" ALTER COLUMN "successor_seed" SET NOT NULL;

-- CreateTable
CREATE TABLE "revocations" (
    "id" SERIAL NOT NULL,
    "session_id" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "revocations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" SERIAL NOT NULL,
    "type" TEXT NOT NULL,
    "user_id" INTEGER,
    "session_id" TEXT,
    "ip" TEXT,
    "user_agent" TEXT,
    "detail" TEXT NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "revocations_expires_at_idx" ON "revocations"("expires_at");

-- CreateIndex
CREATE INDEX "audit_events_created_at_idx" ON "audit_events"("created_at");

-- CreateIndex
CREATE INDEX "audit_events_user_id_idx" ON "audit_events"("user_id");

