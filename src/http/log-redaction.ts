// Keeps secrets out of the log: passwords, tokens in headers, bodies and
// GraphQL variables are censored by pino's redaction wherever they are
// logged, and request URLs are logged without the values of their query
// parameters, since a client may put a token there (`?jwt=`, a GraphQL GET).
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import pino, { type DestinationStream, type LoggerOptions } from 'pino'

const CENSOR = '[redacted]'

/** Keys whose values are secrets, wherever they appear in a logged object. */
const SECRET_KEYS = ['password', 'currentPassword', 'newPassword', 'refreshToken', 'refresh_token', 'accessToken', 'access_token', 'refresh', 'jwt', 'token']

/** Values never written to the log. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-authorization"]',
  'req.headers["proxy-authorization"]',
  'res.headers.authorization',
  'res.headers["x-authorization"]',
  'res.headers["set-cookie"]',
  // Bodies, GraphQL arguments and variables, up to three levels down (e.g. body.variables.password).
  ...SECRET_KEYS.flatMap(key => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`])
]

/** Query parameters whose values are kept in logged URLs: the audit route's filters, none of them secret. */
const PLAIN_QUERY_PARAMETERS = new Set(['limit', 'before', 'type', 'userId'])

/** The URL with the value of every query parameter not known to be harmless replaced by [redacted]. */
export function redactUrl (url: string): string {
  const mark = url.indexOf('?')
  if (mark === -1) return url
  const query = url.slice(mark + 1).split('&').map((pair) => {
    const equals = pair.indexOf('=')
    const name = equals === -1 ? pair : pair.slice(0, equals)
    if (equals === -1 || PLAIN_QUERY_PARAMETERS.has(name)) return pair
    return `${name}=${CENSOR}`
  })
  return `${url.slice(0, mark)}?${query.join('&')}`
}

/** Fastify's request serializer, with the URL's query values redacted. Any object logged as `req` comes here: never throw. */
function serializeRequest (request: Partial<FastifyRequest>) {
  return {
    method: request.method,
    url: typeof request.url === 'string' ? redactUrl(request.url) : undefined,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort
  }
}

type LoggerOption = FastifyServerOptions['logger']
type Bindings = Record<string, unknown>

const BINDINGS = Symbol('authgate.logBindings')

/** What Fastify passes for a route's own log settings. */
interface ChildOptions { level?: string, serializers?: object }

/** Per parent logger: its request child for each route log level, made once. */
const requestChildren = new WeakMap<FastifyBaseLogger, Map<string, FastifyBaseLogger>>()

/** The parent's child with `options`, made once per level; a route with serializers of its own gets a fresh one. */
function childFor (logger: FastifyBaseLogger, options: ChildOptions): FastifyBaseLogger {
  if (options.serializers !== undefined) return logger.child({}, options as object)
  let byLevel = requestChildren.get(logger)
  if (byLevel === undefined) {
    byLevel = new Map()
    requestChildren.set(logger, byLevel)
  }
  const level = options.level ?? ''
  let child = byLevel.get(level)
  if (child === undefined) {
    child = logger.child({}, options as object)
    byLevel.set(level, child)
  }
  return child
}

/** A logger writing through `logger` with `bindings` added to each line it writes (see `boundFields`). */
function withBindings (logger: FastifyBaseLogger, bindings: Bindings): FastifyBaseLogger {
  const bound = Object.create(logger) as FastifyBaseLogger & Record<symbol, Bindings>
  bound[BINDINGS] = bindings
  return bound
}

/**
 * Fastify's factory for the per-request logger. pino would run every wildcard
 * redaction path over the request's bindings (its id) when a child is made,
 * and rebuild every log method for a route with a log level of its own:
 * several µs on every request, logged or not. Instead, each request gets an
 * object inheriting from one child per level, made once, and carrying its
 * bindings, which `mixin` adds to the lines actually written, where they are
 * redacted like any other field.
 */
export function deferredBindings (logger: FastifyBaseLogger, bindings: Bindings, options: object): FastifyBaseLogger {
  return withBindings(childFor(logger, options as ChildOptions), bindings)
}

/** pino's mixin: the bindings `deferredBindings` kept, inherited by the request logger's own children. */
function boundFields (_fields: object, _level: number, logger: unknown): Bindings {
  const bindings = (logger as Record<symbol, Bindings | undefined>)[BINDINGS]
  return bindings === undefined ? {} : { ...bindings }
}

/** Fastify's serializers for what it logs as `res` and `err`, named here for the logger Fastify is not given (see `gatewayLogging`). */
const serializeReply = (reply: Partial<FastifyReply>) => ({ statusCode: reply.statusCode })

/**
 * Logger options with redaction added: the gateway's own (`level`) when none
 * are given, or the caller's (a test's stream, say) with redaction on top, so
 * no way of building the app logs secrets.
 */
export function redactingLogger (given: LoggerOption, level: string): LoggerOption {
  if (given === false) return false
  const base = typeof given === 'object' ? given : { level }
  const paths = Array.isArray(base.redact) ? base.redact : base.redact?.paths ?? []
  return {
    ...base,
    redact: { paths: [...REDACTED_PATHS, ...paths], censor: CENSOR },
    mixin: boundFields,
    serializers: { res: serializeReply, err: pino.stdSerializers.err, ...base.serializers, req: serializeRequest }
  }
}

export interface GatewayLogging {
  /** Fastify's options for logging. */
  fastify: Pick<FastifyServerOptions, 'logger' | 'loggerInstance' | 'childLoggerFactory'>
  /** Gives the app built with `fastify` the gateway's logger, for itself and each request; before any other hook. */
  attach (app: FastifyInstance): void
}

/**
 * The gateway's logger (redacting, as `redactingLogger`) and how Fastify gets
 * it. Given a logger, Fastify times and logs every answer: two listeners on
 * each response, two clock readings and a log call a request, 3,700 of the
 * 95,500 instructions a forward-auth request took (callgrind).
 * Those lines ("incoming request", "request completed") are written at
 * `info` and below; at a quieter level they never are, so Fastify is given
 * no logger and the gateway logs through the same pino itself: `app.log` is
 * that pino, which Fastify's own warnings and errors go through too, and the
 * first onRequest hook gives each request (and its reply) a logger naming
 * it. Not `childLoggerFactory`: Fastify checks every logger a factory of the
 * app's own returns, on every request, seven methods looked up twice each,
 * 2,570 of the 72,700 instructions a forward-auth request took; the hook
 * costs too little to tell from no request logger at all (callgrind). A
 * route's own log level does not apply then: here a route's level only
 * ever keeps its requests out of the `info` lines.
 */
export function gatewayLogging (given: LoggerOption, level: string): GatewayLogging {
  const options = redactingLogger(given, level)
  if (typeof options !== 'object') return { fastify: { logger: false }, attach () {} }
  const { stream, ...pinoOptions } = options as LoggerOptions & { stream?: DestinationStream }
  const log = pino(pinoOptions, stream)
  if (log.isLevelEnabled('info')) return { fastify: { loggerInstance: log, childLoggerFactory: deferredBindings }, attach () {} }
  return {
    fastify: { logger: false },
    attach (app) {
      app.log = log
      // A callback, as it never waits: no promise on every request.
      app.addHook('onRequest', function requestLogger (request, reply, done) {
        const logger = withBindings(log, { reqId: request.id })
        request.log = logger
        reply.log = logger
        done()
      })
    }
  }
}
