import type { FastifyPluginAsync } from 'fastify'
import { jwks, type KeySet } from '../tokens/keys.js'

/** Publishes the public keys access tokens verify with, for downstream services. */
export const wellKnownRoutes: FastifyPluginAsync<{ keys: KeySet }> = async (app, { keys }) => {
  const body = JSON.stringify(jwks(keys))
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    return reply
      .header('content-type', 'application/jwk-set+json')
      .header('cache-control', 'public, max-age=300')
      .send(body)
  })
}
