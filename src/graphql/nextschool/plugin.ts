// /graphql, the NextSchool-style endpoint with header-token login, as a
// child context of its own (never wrapped in fastify-plugin).
import type { FastifyInstance } from 'fastify'
import mercurius, { type IResolvers } from 'mercurius'
import { allowListPolicy, registerCors } from '../cors.js'
import { graphiqlEnabled, introspectionEnabled, sharedMercuriusOptions } from '../exposure.js'
import { serveGraphiQL } from '../graphiql/page.js'
import { postOnly } from '../methods.js'
import { protectEndpoint, refuseRepeatedDirectives } from '../protection.js'
import type { GraphQLSurfaceOptions } from '../surface.js'
import { isDatabaseUnavailable } from '../../storage/unavailable.js'
import type { NextSchoolContext } from './context.js'
import { nextSchoolErrorFormatter } from './errors.js'
import { nextSchoolGraphiQL } from './graphiql.js'
import { renewingPastHalfLife } from './header-tokens.js'
import { nextSchoolResolvers } from './resolvers.js'
import { nextSchoolSchema } from './schema.js'

const PATH = '/graphql'

export async function nextSchoolGraphQL (app: FastifyInstance, { config, services, edge, limits, clock, onDatabaseUnavailable }: GraphQLSurfaceOptions): Promise<void> {
  const endpoint = app.prefix + PATH
  const cors = allowListPolicy(config.GRAPHQL_CORS_ORIGINS ?? config.CORS_ORIGINS, {
    methods: 'POST, OPTIONS',
    headers: 'content-type, authorization',
    expose: 'X-Authorization, Authorization'
  })
  if (cors !== null) registerCors(app, PATH, cors)
  protectEndpoint(app, limits)
  app.addHook('onRequest', postOnly(endpoint, (message) => ({ data: null, errors: [{ message, extensions: { code: 'METHOD_NOT_ALLOWED' } }] })))
  if (config.HEADER_TOKEN_RENEWAL) {
    app.addHook('onSend', renewingPastHalfLife(services.sessions, () => clock.now(), (err, request) => {
      if (isDatabaseUnavailable(err)) onDatabaseUnavailable?.(err)
      else request.log.error({ err }, 'header-token renewal failed')
    }))
  }

  await app.register(mercurius, {
    schema: nextSchoolSchema,
    // Resolvers take this surface's own context type, which Mercurius's typings cannot express.
    resolvers: nextSchoolResolvers as unknown as IResolvers,
    path: PATH,
    context: (request, reply): NextSchoolContext => ({ services, edge, limits, request, reply, requireSchool: config.GRAPHQL_REQUIRE_SCHOOL }),
    errorFormatter: nextSchoolErrorFormatter({ hideSuggestions: !introspectionEnabled(config), onDatabaseUnavailable }),
    ...sharedMercuriusOptions(config)
  })
  refuseRepeatedDirectives(app)
  if (graphiqlEnabled(config)) serveGraphiQL(app, nextSchoolGraphiQL)
}
