-- The purge finds sessions that ended long enough ago by their end.
CREATE INDEX "sessions_ended_at_idx" ON "sessions"("ended_at");
