-- No statement finds refresh tokens by their expiry (the purge goes through their
-- sessions), and every login and rotation paid for the index.
DROP INDEX "refresh_tokens_expires_at_idx";
