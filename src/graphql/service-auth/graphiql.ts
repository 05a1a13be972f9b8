// How /service/graphiql opens: on /service/Auth, with a tab for logging in,
// refreshing and validating, and comments that say where each token goes.
import type { GraphiQLPage } from '../graphiql/page.js'

const LOGIN = `# Log in by username or email address: jwt is the
# access token, refresh the refresh token. Wrong
# credentials: null fields, and an error says why.
query login($username: String, $password: String) {
  login(username: $username, password: $password) {
    id
    jwt
    refresh
    user {
      id
      username
      email
      fname
      lname
      userclass
    }
  }
}
`

const REFRESH = `# A new access token (jwt) for the refresh token of
# "login". Without the token argument, the bearer
# token of Headers is used instead.
query refresh($token: String) {
  refresh(token: $token) {
    jwt
  }
}
`

const VALIDATE = `# The user an access token belongs to: the jwt
# argument, else the bearer token of Headers below
# (put the jwt from "login" in place of <jwt>).
query validate {
  validate {
    id
    username
    email
    userclass
  }
}
`

const BEARER = '{\n  "Authorization": "Bearer <jwt>"\n}'

export const serviceAuthGraphiQL: GraphiQLPage = {
  endpoint: 'Auth',
  description: 'Every operation is a query. Tokens go in a jwt or token argument, or as Authorization: Bearer <jwt> under Headers.',
  tabs: [
    { query: LOGIN, variables: '{\n  "username": "",\n  "password": ""\n}', headers: '{}' },
    { query: REFRESH, variables: '{\n  "token": "<refresh>"\n}', headers: '{}' },
    { query: VALIDATE, headers: BEARER }
  ],
  defaultHeaders: BEARER
}
