// Refresh tokens (tokens/refresh-tokens.ts): random, URL-safe, never
// repeated, and every character of the alphabet equally likely, across the
// many refills of the pool they are drawn from; and their successors.
import { createHash, createHmac } from 'node:crypto'
import t from 'tap'
import { hashRefreshToken, looksLikeRefreshToken, newRefreshToken, newSuccessorKey, successorOf } from '../../src/tokens/refresh-tokens.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

t.test('tokens are 43 URL-safe characters, never the same twice, drawn uniformly', async (t) => {
  // 128 draws fill the pool once: 40,000 tokens refill it over 300 times.
  const draws = 20_000
  const seen = new Set<string>()
  const counts = new Map<string, number>()
  for (let i = 0; i < draws; i++) {
    for (const value of [newRefreshToken(), newRefreshToken()]) {
      seen.add(value)
      for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1)
    }
  }
  t.equal(seen.size, 2 * draws, 'no token repeats another')
  t.ok([...seen].every(looksLikeRefreshToken), 'each is 43 characters of the URL-safe alphabet')
  t.same([...counts.keys()].sort(), [...ALPHABET].sort(), 'every character of the alphabet occurs')
  // 1,720,000 characters: 26,875 of each expected, a standard deviation of about 162.
  const expected = (2 * draws * 43) / ALPHABET.length
  const furthest = Math.max(...[...counts.values()].map(n => Math.abs(n - expected) / expected))
  t.ok(furthest < 0.05, `each character within 5 % of its expected count (furthest: ${(furthest * 100).toFixed(2)} %)`)
})

t.test("a token's successor is the HMAC of the token under the fleet's key: the same for every rotation of it", async (t) => {
  const token = newRefreshToken()
  const key = newSuccessorKey()
  const successor = successorOf(token, key)
  t.equal(successor, createHmac('sha256', key).update(token).digest('base64url'))
  t.equal(successorOf(token, key), successor, 'derived again, the same')
  t.ok(looksLikeRefreshToken(successor), 'a successor has the shape of a token')
  t.not(successorOf(token, newSuccessorKey()), successor, 'another key, another successor')
  t.not(successorOf(newRefreshToken(), key), successor, 'another token, another successor')
  t.equal(hashRefreshToken(token), createHash('sha256').update(token).digest('hex'), 'only the SHA-256 is stored')
})

t.test('successor keys are 256 random bits, never the same twice', async (t) => {
  const keys = new Set(Array.from({ length: 1000 }, newSuccessorKey))
  t.equal(keys.size, 1000)
  t.ok([...keys].every(k => Buffer.from(k, 'base64url').length === 32), '32 bytes each')
})
