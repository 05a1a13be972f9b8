import argon2 from 'argon2'
import t from 'tap'
import { createPasswords } from '../../src/accounts/passwords.js'

const passwords = createPasswords({ memoryCost: 8192, timeCost: 1, parallelism: 1, concurrency: 2 })

t.test('hashes with argon2id and the configured cost', async (t) => {
  const hash = await passwords.hash('correct horse battery staple')
  t.match(hash, /^\$argon2id\$v=19\$m=8192,p=1,t=1\$/)
  t.not(await passwords.hash('correct horse battery staple'), hash, 'salted')
  t.ok(await passwords.verify(hash, 'correct horse battery staple'))
  t.notOk(await passwords.verify(hash, 'correct horse battery stapl'))
})

t.test('long passwords are not truncated', async (t) => {
  const long = 'x'.repeat(1000)
  const hash = await passwords.hash(long)
  t.notOk(await passwords.verify(hash, long.slice(0, 999) + 'y'))
  t.ok(await passwords.verify(hash, long))
})

t.test('no user: the dummy hash is verified and the answer is false, even for the dummy password', async (t) => {
  t.notOk(await passwords.verify(null, 'authgate-dummy-password'))
  t.notOk(await passwords.verify(null, 'anything'))
})

t.test('a corrupt stored hash is a failed verification, not a crash', async (t) => {
  t.notOk(await passwords.verify('not-a-hash', 'x'))
})

t.test('concurrent hashes are capped', async (t) => {
  const capped = createPasswords({ memoryCost: 8192, timeCost: 1, parallelism: 1, concurrency: 1 })
  const all = Array.from({ length: 4 }, (_, i) => capped.hash('p' + i))
  await new Promise(resolve => setImmediate(resolve))
  t.ok(capped.pending >= 2, `waiting hashes: ${capped.pending}`)
  const hashes = await Promise.all(all)
  t.equal(capped.pending, 0)
  for (const [i, h] of hashes.entries()) t.ok(await argon2.verify(h, 'p' + i))
})
