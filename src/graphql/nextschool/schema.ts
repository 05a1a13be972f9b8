// The NextSchool-style schema on /graphql, plus the header-token loginUser
// query of seed 004. Payload fields are non-null, so a failed root field
// leaves `data` null and the response status is the error's.
export const nextSchoolSchema = /* GraphQL */ `
  type Query {
    "The user the bearer access token belongs to."
    me: AuthUser!
    "Log in by email or username. The access token comes back in the X-Authorization response header (and Authorization, deprecated, same value)."
    loginUser(email: String, username: String, password: String!): AuthUser!
    "The live sessions (devices) of the bearer's user; current marks the bearer's own."
    sessions: [Session!]!
  }

  type Mutation {
    "Log in by username or email address."
    login(username: String!, password: String!): AuthPayload!
    "A new access token. The refresh token is not rotated: it stays valid until it expires or is logged out."
    refreshToken(refreshToken: String!): RefreshPayload!
    "Ends the session of a refresh token. True for unknown tokens too, so it reveals nothing (RFC 7009)."
    logout(refreshToken: String!): Boolean!
    "Ends every session of the user of the bearer access token."
    logoutAll: Boolean!
    "Ends one session of the bearer's user (an id from sessions). False when there is no such live session."
    revokeSession(id: ID!): Boolean!
    "Ends every session of the bearer's user but the bearer's own; answers how many ended."
    revokeOtherSessions: Int!
  }

  type Session {
    id: ID!
    userAgent: String
    ip: String
    createdAt: String!
    lastUsedAt: String!
    expiresAt: String!
    current: Boolean!
  }

  type AuthPayload {
    "JWT for authenticating requests"
    accessToken: String!
    "Opaque token for obtaining new access tokens"
    refreshToken: String!
    "Access token lifetime in seconds"
    expiresIn: Int!
    user: AuthUser!
  }

  type RefreshPayload {
    accessToken: String!
    expiresIn: Int!
  }

  type AuthUser {
    id: Int!
    username: String!
    name: String!
    email: String!
    "The school (tenant) the user belongs to, if any"
    schoolId: String
    role: String!
  }
`
