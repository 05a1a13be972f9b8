// The CollectiveAccess Auth service schema: root query type `Auth`, no
// mutations, nullable arguments and fields as CollectiveAccess declares them
// so existing clients' queries and variable types validate unchanged.
export const serviceAuthSchema = /* GraphQL */ `
  schema { query: Auth }

  type Auth {
    "Log in with a username or email address. Wrong credentials give null fields plus an error saying why."
    login(username: String, password: String): User
    "A new access token for a refresh token, given as token or else as the bearer token. The refresh token is not rotated."
    refresh(token: String): Refresh
    "The user an access token belongs to: the jwt argument, else the bearer token."
    validate(jwt: String): UserInfo
  }

  type User {
    "Unique user identifier"
    id: Int
    "JSON Web Token (JWT) for access"
    jwt: String
    "Refresh token: an opaque string, accepted only by refresh"
    refresh: String
    "User information"
    user: UserInfo
  }

  type UserInfo {
    id: Int
    username: String
    email: String
    fname: String
    lname: String
    "CollectiveAccess user class: 0, full access, for every active account"
    userclass: String
  }

  type Refresh {
    "JSON Web Token (JWT) for access"
    jwt: String
  }
`
