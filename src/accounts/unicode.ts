const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * False for strings that cannot be encoded as UTF-8. Databases refuse them,
 * and argon2 would hash every lone surrogate as U+FFFD, making different
 * passwords equal.
 */
export function isWellFormed (text: string): boolean {
  return !LONE_SURROGATE.test(text)
}

/** Text every provider can store: well-formed and without NUL, which PostgreSQL refuses. */
export function isStorable (text: string): boolean {
  return isWellFormed(text) && !text.includes('\u0000')
}
