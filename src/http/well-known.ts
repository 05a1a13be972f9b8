import type { FastifyPluginAsync } from 'fastify'
import { jwks, type KeySet } from '../tokens/keys.js'

/** Publishes the public keys access tokens verify with, for downstream services. */
export const wellKnownRoutes: FastifyPluginAsync<{ keys: KeySet }> = async (app, { keys }) => {
  const body = JSON.stringify(jwks(keys))
  app.get('/.well-known/jwks.json', {
    schema: {
      summary: 'The public keys access tokens verify with (JWKS); empty for HS256',
      response: { 200: { description: 'A JSON Web Key Set', content: { 'application/jwk-set+json': { schema: { type: 'object', properties: { keys: { type: 'array', items: { type: 'object' } } } } } } } }
    }
  }, async (_request, reply) => {
    return reply
      .header('content-type', 'application/jwk-set+json')
      .header('cache-control', 'public, max-age=300')
      .send(body)
  })
}
