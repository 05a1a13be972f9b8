// The ceiling for any route in this framework: Fastify's hello world with the
// project's own fastify, no logger, no hooks, one GET / answering a small
// JSON. Started by the benchmark as a separate process; prints its port.
//
// With BARE_FULL_GCS=n (and --expose-gc), the process runs n full garbage
// collections, one every BARE_GC_INTERVAL_MS (200 by default) from its first
// request on, and prints "collected" after the last: on Node.js 20 and 24,
// V8's inline caches in Node's own request handling are then in the state
// the gateway's are in (docs/benchmark.md), and the benchmark
// measures it beside the fresh process.
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/', async () => ({ hello: 'world' }))
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
process.stdout.write(`${app.server.address().port}\n`)
process.on('SIGTERM', () => { app.close().then(() => process.exit(0)) })

const collections = Number(process.env.BARE_FULL_GCS ?? 0)
if (collections > 0) {
  app.server.once('request', () => {
    let done = 0
    const timer = setInterval(() => {
      globalThis.gc()
      if (++done === collections) {
        clearInterval(timer)
        process.stdout.write('collected\n')
      }
    }, Number(process.env.BARE_GC_INTERVAL_MS ?? 200))
  })
}
