// How /graphiql opens: on /graphql, with a tab for each first step (log in,
// ask who the token belongs to, log in with a header token) and comments
// that say where the bearer token goes.
import type { GraphiQLPage } from '../graphiql/page.js'

const LOGIN = `# Log in by username or email address, then copy
# accessToken into the Headers of the "me" tab:
#   {"Authorization": "Bearer <accessToken>"}
# The refreshToken buys new access tokens.
mutation login($username: String!, $password: String!) {
  login(username: $username, password: $password) {
    accessToken
    refreshToken
    expiresIn
    user {
      id
      username
      name
      email
    }
  }
}
`

const ME = `# The user of the bearer access token. Put it in
# Headers below, in place of <accessToken>: the
# accessToken from "login", or the X-Authorization
# header of "loginUser" (shown above the console).
query me {
  me {
    id
    username
    name
    email
    schoolId
    role
  }
}
`

const LOGIN_USER = `# Header-token login, by email or username: the
# access token comes back in the X-Authorization
# response header, shown above the console. Send it
# as {"Authorization": "Bearer <token>"} ("me" tab).
query loginUser($email: String, $password: String!) {
  loginUser(email: $email, password: $password) {
    id
    username
    email
  }
}
`

const BEARER = '{\n  "Authorization": "Bearer <accessToken>"\n}'

export const nextSchoolGraphiQL: GraphiQLPage = {
  endpoint: 'graphql',
  description: 'Log in with "login" (or "loginUser"), then send the access token as Authorization: Bearer <token> under Headers.',
  tabs: [
    { query: LOGIN, variables: '{\n  "username": "",\n  "password": ""\n}', headers: '{}' },
    { query: ME, headers: BEARER },
    { query: LOGIN_USER, variables: '{\n  "email": "",\n  "password": ""\n}', headers: '{}' }
  ],
  defaultHeaders: BEARER
}
