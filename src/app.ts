// Builds the gateway from a config object. Never listens: the server and the
// tests build it the same way.
import formbody from '@fastify/formbody'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyServerOptions } from 'fastify'
import { bootstrapAdmin } from './accounts/bootstrap-admin.js'
import { fallingBackThrottleStore, memoryThrottleStore, redisThrottleStore } from './accounts/throttle-stores.js'
import { systemClock, type Clock } from './clock.js'
import type { Config } from './config.js'
import { docsEnabled, registerOpenApi } from './docs/openapi.js'
import { nextSchoolGraphQL } from './graphql/nextschool/plugin.js'
import { serviceAuthGraphQL } from './graphql/service-auth/plugin.js'
import { healthRoutes, WITHOUT_REDIS } from './health/routes.js'
import { registerAccessTokens } from './http/access-tokens.js'
import { closeConnectionsWhileDraining } from './http/drain.js'
import { gatewayLogging } from './http/log-redaction.js'
import { registerRateLimits } from './http/rate-limits.js'
import { registerRestCors } from './http/rest-cors.js'
import { registerSecurityHeaders } from './http/security-headers.js'
import { sharedSerializers } from './http/serializers.js'
import { wellKnownRoutes } from './http/well-known.js'
import { createMetrics } from './metrics/metrics.js'
import { registerMetrics } from './metrics/routes.js'
import { auditRoutes } from './rest/audit-routes.js'
import { authRoutes } from './rest/auth-routes.js'
import { registerRestErrors } from './rest/errors.js'
import { sessionsRoutes } from './rest/sessions-routes.js'
import { usersRoutes } from './rest/users-routes.js'
import { verifyRoutes } from './rest/verify-routes.js'
import { accessTokenRules, createPurgeJob, createRevocations, createServices, keySettings, type Services } from './services.js'
import { openDatabase } from './storage/database.js'
import { pendingMigrationsCheck } from './storage/migrations.js'
import { createOutageLog } from './storage/outage-log.js'
import { connectRedis } from './storage/redis.js'
import { resolveKeys } from './tokens/keys.js'

declare module 'fastify' {
  interface FastifyInstance {
    services: Services
  }
}

export interface BuildOptions {
  clock?: Clock
  logger?: FastifyServerOptions['logger']
  /** Where the one-time administrator password is shown; stdout by default. */
  announce?: (text: string) => void
}

export { REDACTED_PATHS } from './http/log-redaction.js'

/** TRUST_PROXY: "true", "false", a number of trusted hops, or addresses/CIDRs separated by commas. */
export function trustProxy (value: string): FastifyServerOptions['trustProxy'] {
  if (value === 'true') return true
  if (value === 'false' || value === '') return false
  if (/^\d+$/.test(value)) {
    const hops = Number(value)
    return (_address: string, hop: number) => hop < hops
  }
  return value.split(',').map(s => s.trim()).filter(Boolean)
}

export async function buildApp (config: Config, options: BuildOptions = {}) {
  const requestTimeout = config.REQUEST_TIMEOUT * 1000
  const logging = gatewayLogging(options.logger, config.LOG_LEVEL)
  const app = Fastify({
    ...logging.fastify,
    trustProxy: trustProxy(config.TRUST_PROXY),
    bodyLimit: config.BODY_LIMIT,
    // Fastify sets no limit by default. Node keeps the head's own limit (60 s) when the whole
    // request's is shorter, and a body that stops coming then waits for that one too: both are set.
    // Node checks them every 30 s unless told otherwise: a quarter of the limit cuts a request at
    // most 1.25 times the limit after it began.
    requestTimeout,
    ...(requestTimeout > 0 ? { http: { headersTimeout: Math.min(60_000, requestTimeout), connectionsCheckingInterval: Math.min(30_000, requestTimeout / 4) } } : {}),
    // Route schemas are fixed in the code: development and the tests check them against the JSON
    // Schema meta-schema; production does not compile the meta-schema again at every start.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, validateSchema: config.NODE_ENV !== 'production' } },
    schemaController: { compilersFactory: { buildSerializer: sharedSerializers() } },
    return503OnClosing: true
  }).withTypeProvider<TypeBoxTypeProvider>()
  logging.attach(app)

  const { keys, warning } = resolveKeys(keySettings(config))
  if (warning !== undefined) app.log.warn(warning)

  const clock = options.clock ?? systemClock
  // In production the metrics are served only behind a token: they describe the traffic and the fleet.
  const metricsServed = config.METRICS && (config.NODE_ENV !== 'production' || config.METRICS_TOKEN !== undefined)
  if (config.METRICS && !metricsServed) app.log.warn('METRICS_TOKEN is not set: /metrics is off in production; set METRICS_TOKEN to serve it (or METRICS=false)')
  const metrics = metricsServed ? createMetrics() : undefined

  // An outage of either is logged once, summarised every 10 s and counted, not logged per request.
  const outageLog = (dependency: 'database' | 'redis', meanwhile: string) => {
    const series = metrics?.dependency(dependency)
    return createOutageLog({ dependency, log: app.log, clock, meanwhile, onFailure: () => series?.failed(), onChange: (up) => series?.changed(up) })
  }
  const databaseOutage = outageLog('database', 'requests that need it answer 503; token checks and forward-auth go on from memory')

  // Shared by rate limits and login throttling; connected first, so a wrong REDIS_URL stops the start.
  // While it is away, both count in this instance's memory instead.
  const redisOutage = config.REDIS_URL !== undefined ? outageLog('redis', WITHOUT_REDIS) : undefined
  const shared = config.REDIS_URL !== undefined && redisOutage !== undefined
    ? { redis: await connectRedis(config.REDIS_URL, redisOutage), watch: redisOutage }
    : undefined
  if (shared !== undefined) app.addHook('onClose', async () => { await shared.redis.quit() })
  const throttleStore = shared !== undefined
    ? fallingBackThrottleStore(redisThrottleStore(shared.redis, `${config.REDIS_KEY_PREFIX}login-throttle:`), memoryThrottleStore(), shared.watch)
    : memoryThrottleStore()

  const database = await openDatabase(config.DATABASE_URL, {
    sqliteSynchronous: config.SQLITE_SYNCHRONOUS,
    onConnectionError: databaseOutage.lost,
    onCheckpointerFailure (err) { app.log.error({ err }, 'the SQLite checkpoint worker stopped; commits checkpoint the WAL themselves from now on') },
    onCheckpointsFailing (err) {
      if (err !== undefined) app.log.warn({ err }, 'SQLite checkpoints are failing; they are tried again until one succeeds, and the WAL grows meanwhile')
      else app.log.info('SQLite checkpoints succeed again')
    }
  })
  const revocations = createRevocations(config, database, {
    clock,
    onPollError: (err) => { databaseOutage.lost(err) },
    onPollSuccess: () => { databaseOutage.recovered() }
  })
  const edge = await registerAccessTokens(app, { keys, rules: accessTokenRules(config), clock, isRevoked: revocations.isRevoked })
  const services = createServices(config, database, { revocations, signAccessToken: edge.sign, clock, onEvent: metrics?.onServiceEvent, throttleStore })
  metrics?.watch({ passwordQueueDepth: () => services.passwords.pending })
  app.decorate('services', services)
  const purge = createPurgeJob(config, database, {
    clock,
    onPurged: metrics?.onPurged,
    onError (err) { app.log.warn({ err }, 'could not purge spent rows; the next purge retries') }
  })
  app.addHook('onClose', async () => {
    revocations.stop()
    await purge.stop()
    await services.settled()
    await database.close()
  })

  closeConnectionsWhileDraining(app)
  registerRestErrors(app, databaseOutage.failed)
  await registerSecurityHeaders(app)
  const limits = await registerRateLimits(app, config, shared)
  // Both see routes as they are added, so they come before every route.
  await registerOpenApi(app, { ui: docsEnabled(config) })
  if (metrics !== undefined) registerMetrics(app, metrics, config.METRICS_TOKEN)
  await app.register(async (rest) => {
    await registerRestCors(rest, config.CORS_ORIGINS)
    rest.addHook('onRoute', limits.countRoute)
    await rest.register(formbody, { bodyLimit: config.BODY_LIMIT })
    const options = { services, edge, limits }
    for (const prefix of ['/auth', '/api/v1/auth']) {
      await rest.register(authRoutes, { prefix, ...options })
      await rest.register(sessionsRoutes, { prefix, ...options })
    }
    for (const prefix of ['/users', '/api/v1/users']) await rest.register(usersRoutes, { prefix, ...options })
    for (const prefix of ['/audit', '/api/v1/audit']) await rest.register(auditRoutes, { prefix, ...options })
  })
  // Forward-auth answers a proxy, not a client: outside the REST context, it
  // pays none of its hooks (request budget, CORS) on the deployment's
  // hottest path.
  for (const prefix of ['/auth', '/api/v1/auth']) await app.register(verifyRoutes, { prefix, edge })

  await app.register(healthRoutes, {
    prefix: '/health',
    ping: database.ping,
    pendingMigrations: pendingMigrationsCheck(database.db, database.provider),
    redis: shared !== undefined ? async () => { await shared.redis.ping() } : undefined,
    watch: { database: databaseOutage, redis: redisOutage }
  })
  await app.register(wellKnownRoutes, { keys })

  // Two GraphQL endpoints, each its own child context with its own Mercurius.
  const graphqlOptions = { config, services, edge, limits, clock, onDatabaseUnavailable: databaseOutage.failed }
  await app.register(serviceAuthGraphQL, { prefix: '/service', ...graphqlOptions })
  await app.register(nextSchoolGraphQL, graphqlOptions)

  app.addHook('onReady', async () => {
    // Every ended session is known before the first request is answered.
    await revocations.start()
    purge.start()
    await bootstrapAdmin(services.accounts, { email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD }, app.log, options.announce)
  })

  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
