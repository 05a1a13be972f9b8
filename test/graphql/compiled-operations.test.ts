// A cached operation is compiled (graphql-jit) from its second run on. Each
// operation here, good and bad, must answer exactly as graphql-js answered
// its first run: same status, same data, same errors and codes, variables
// refused with the same messages.
import { ADMIN, buildTestApp, eachProvider, login as restLogin } from '../helper.js'
import { bearer, graphql, serviceAuth } from './support/requests.js'
import type { GraphQLRequest } from './support/requests.js'

type Send = typeof graphql

/** The answer with every token replaced by its kind: they differ from run to run by design. */
function comparable (status: number, body: string): unknown {
  const masked = body.replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, '<jwt>').replace(/"(refreshToken|refresh)":"[^"]+"/g, '"$1":"<refresh>"')
  return { status, body: JSON.parse(masked) as unknown }
}

eachProvider('operations answer the same once compiled as on their first run', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const { accessToken } = await restLogin(app)
  const withToken = { headers: bearer(accessToken) }
  const LOGIN = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken expiresIn user { id email role } } }'
  const CA_LOGIN = 'query($u: String, $p: String) { login(username: $u, password: $p) { id jwt refresh user { id username } } }'
  const cases: Array<[string, Send, string, GraphQLRequest]> = [
    ['me', graphql, '{ me { id email role schoolId } }', withToken],
    ['me without a token', graphql, '{ me { id } }', {}],
    ['me with an aliased field and a fragment', graphql, '{ who: me { ...F } } fragment F on User { id email }', withToken],
    ['sessions', graphql, '{ sessions { current } }', withToken],
    ['login', graphql, LOGIN, { variables: { u: ADMIN.email, p: ADMIN.password } }],
    ['login with a wrong password', graphql, LOGIN, { variables: { u: ADMIN.email, p: 'wrong-password-1' } }],
    ['login with a missing variable', graphql, LOGIN, { variables: { u: ADMIN.email } }],
    ['login with a variable of the wrong type', graphql, LOGIN, { variables: { u: ADMIN.email, p: 12 } }],
    ['login with a null variable', graphql, LOGIN, { variables: { u: null, p: ADMIN.password } }],
    ['refresh with an unknown token', graphql, 'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }', { variables: { r: 'not-a-token' } }],
    ['revokeSession of no session', graphql, 'mutation($id: ID!) { revokeSession(id: $id) }', { ...withToken, variables: { id: '00000000-0000-4000-8000-000000000000' } }],
    ['revokeSession with an id of the wrong type', graphql, 'mutation($id: ID!) { revokeSession(id: $id) }', { ...withToken, variables: { id: { a: 1 } } }],
    ['CollectiveAccess login', serviceAuth, CA_LOGIN, { variables: { u: ADMIN.email, p: ADMIN.password } }],
    ['CollectiveAccess refused login', serviceAuth, CA_LOGIN, { variables: { u: ADMIN.email, p: 'wrong-password-1' } }],
    ['CollectiveAccess login with a list for a string', serviceAuth, CA_LOGIN, { variables: { u: [ADMIN.email], p: ADMIN.password } }],
    ['CollectiveAccess validate', serviceAuth, 'query($j: String) { validate(jwt: $j) { id username } }', { variables: { j: accessToken } }],
    ['CollectiveAccess validate with a bad token', serviceAuth, 'query($j: String) { validate(jwt: $j) { id username } }', { variables: { j: 'x.y.z' } }]
  ]
  for (const [name, send, query, request] of cases) {
    const answers = []
    // The first run is graphql-js's; the second compiles; the third runs the compiled query.
    for (let run = 0; run < 3; run++) {
      const res = await send(app, query, request)
      answers.push(comparable(res.statusCode, res.body))
    }
    t.same(answers[1], answers[0], `${name}: the compiling run answers as the first`)
    t.same(answers[2], answers[0], `${name}: the compiled run answers as the first`)
  }
})
