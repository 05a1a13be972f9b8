// A full disk for the tests of what the gateway does on one: a file written
// until the file system has no room, and writes tried until one is refused.
import { closeSync, openSync, writeSync } from 'node:fs'

/** Writes zeros into `path` until the file system has no room left. */
export function fill (path: string): void {
  const fd = openSync(path, 'w')
  const chunk = Buffer.alloc(64 * 1024)
  try {
    for (;;) writeSync(fd, chunk)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
  } finally {
    closeSync(fd)
  }
}

/**
 * Until the database needs room it has not got, a write may still fit (in
 * space its files already hold): `attempt` is tried, up to `most` times,
 * until it answers other than 200 or 201. The statuses answered, and that
 * answer.
 */
export async function untilRefused<A> (attempt: () => Promise<A>, statusOf: (answer: A) => number, most: number): Promise<{ answered: number[], refused: A | undefined }> {
  const answered: number[] = []
  let refused: A | undefined
  while (refused === undefined && answered.length < most) {
    const answer = await attempt()
    const status = statusOf(answer)
    answered.push(status)
    if (status !== 201 && status !== 200) refused = answer
  }
  return { answered, refused }
}
