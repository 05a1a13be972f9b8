// What a GraphQL error may give away or cost: no "Did you mean" hints while
// introspection is off (production), and one error for a repeated directive.
import { buildTestApp, eachProvider } from '../helper.js'
import { graphql, serviceAuth } from './support/requests.js'

const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: 'q8N2vX4mB7kL1pR9sT3wY6zA5cD0fG2hJ4nM8bV', METRICS: 'false' }

eachProvider('in production validation errors suggest no field names; in development they do', async (t, provider) => {
  const { app: production } = await buildTestApp(t, provider, { env: PRODUCTION })
  const ns = await graphql(production, '{ mee { id } }')
  t.equal(ns.statusCode, 400)
  t.match(ns.json().errors, [{ message: 'Cannot query field "mee" on type "Query".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }])
  const ca = await serviceAuth(production, '{ logn(username: "a", password: "b") { jwt } }')
  t.equal(ca.statusCode, 400)
  t.match(ca.json().errors, [{ message: 'Cannot query field "logn" on type "Auth".' }])
  const argument = await serviceAuth(production, '{ login(usernme: "a", password: "b") { jwt } }')
  t.match(argument.json().errors, [{ message: 'Unknown argument "usernme" on field "Auth.login".' }])
  for (const res of [ns, ca, argument]) t.notMatch(res.body, /Did you mean/, 'no suggestion anywhere in the answer')

  const { app: development } = await buildTestApp(t, provider)
  t.match((await graphql(development, '{ mee { id } }')).json().errors, [{ message: /Did you mean "me"\?/ }], 'development keeps the hints')
})

eachProvider('a repeated directive costs one error, on both endpoints', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const tenTimes = `{ __typename ${'@aa '.repeat(10)}}`
  for (const [name, send] of [['/graphql', graphql], ['/service/Auth', serviceAuth]] as const) {
    const unknown = await send(app, tenTimes)
    t.equal(unknown.statusCode, 400, `${name}: ten copies of an unknown directive`)
    t.equal(unknown.json().errors.length, 1, `${name}: answered with one error`)
    t.match(unknown.json().errors, [{ message: 'The directive "@aa" is used more than once here', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }])
    const known = await send(app, '{ __typename @include(if: true) @include(if: true) @include(if: true) }')
    t.equal(known.json().errors.length, 1, `${name}: a known directive repeated, one error too`)
    t.equal((await send(app, '{ __typename @include(if: true) @skip(if: false) }')).statusCode, 200, `${name}: different directives are fine`)
  }
})
