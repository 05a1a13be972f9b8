// The ceiling for a GraphQL route in this framework: Mercurius's hello world
// with the project's own fastify and mercurius, no logger, no hooks, no
// authentication, `{ me { id } }` answered from a constant and compiled after
// its first run as the gateway's operations are (`jit: 1`). Started by the
// benchmark as a separate process, asked the same request as the gateway's
// `{ me { id } }`; prints its port.
import Fastify from 'fastify'
import mercurius from 'mercurius'

const app = Fastify({ logger: false })
await app.register(mercurius, {
  schema: 'type User { id: Int! } type Query { me: User }',
  resolvers: { Query: { me: async () => ({ id: 1 }) } },
  jit: 1
})
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
process.stdout.write(`${app.server.address().port}\n`)
process.on('SIGTERM', () => { app.close().then(() => process.exit(0)) })
