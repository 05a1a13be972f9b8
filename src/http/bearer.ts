/** The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive. */
export function bearerToken (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header)
  return match?.[1]
}
