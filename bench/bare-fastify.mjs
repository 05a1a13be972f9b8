// The ceiling for any route in this framework: Fastify's hello world with the
// project's own fastify, no logger, no hooks, one GET / answering a small
// JSON. Started by the benchmark as a separate process; prints its port.
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/', async () => ({ hello: 'world' }))
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
process.stdout.write(`${app.server.address().port}\n`)
process.on('SIGTERM', () => { app.close().then(() => process.exit(0)) })
