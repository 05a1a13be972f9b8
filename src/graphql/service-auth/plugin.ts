// /service/Auth, the CollectiveAccess-compatible endpoint, as a child
// context of its own (never wrapped in fastify-plugin): its error handler,
// hooks and Mercurius instance stay apart from /graphql's.
import type { FastifyInstance } from 'fastify'
import mercurius, { type IResolvers } from 'mercurius'
import { registerCors } from '../cors.js'
import { graphiqlEnabled, introspectionEnabled, sharedMercuriusOptions } from '../exposure.js'
import { serveGraphiQL } from '../graphiql/page.js'
import { postOnly } from '../methods.js'
import { protectEndpoint, refuseRepeatedDirectives } from '../protection.js'
import type { GraphQLSurfaceOptions } from '../surface.js'
import { okEnvelope } from './envelope.js'
import { serviceAuthErrorFormatter } from './errors.js'
import { serviceAuthGraphiQL } from './graphiql.js'
import { serviceAuthResolvers, type ServiceAuthContext } from './resolvers.js'
import { serviceAuthSchema } from './schema.js'

const PATH = '/Auth'

/** Register with `{ prefix: '/service' }`; GraphiQL, when enabled, is then at /service/graphiql. */
export async function serviceAuthGraphQL (app: FastifyInstance, { config, services, edge, limits, onDatabaseUnavailable }: GraphQLSurfaceOptions): Promise<void> {
  const endpoint = app.prefix + PATH
  // The headers CollectiveAccess sends; tokens travel in headers, so "*" exposes no cookies.
  registerCors(app, PATH, {
    allowOrigin: () => '*',
    methods: 'POST, GET, OPTIONS, DELETE, PUT',
    headers: 'x-requested-with, Content-Type, origin, authorization, accept, client-security-token'
  })
  protectEndpoint(app, limits)
  app.addHook('onRequest', postOnly(endpoint, (message) => ({ errors: [{ message, extensions: { code: 'METHOD_NOT_ALLOWED' } }], data: null })))
  app.addHook('onSend', okEnvelope(endpoint))

  await app.register(mercurius, {
    schema: serviceAuthSchema,
    // Resolvers take this surface's own context type, which Mercurius's typings cannot express.
    resolvers: serviceAuthResolvers as unknown as IResolvers,
    path: PATH,
    context: (request, reply): ServiceAuthContext => ({ services, edge, limits, request, reply }),
    errorFormatter: serviceAuthErrorFormatter({ hideSuggestions: !introspectionEnabled(config), onDatabaseUnavailable }),
    ...sharedMercuriusOptions(config)
  })
  refuseRepeatedDirectives(app)
  if (graphiqlEnabled(config)) serveGraphiQL(app, serviceAuthGraphiQL)
}
