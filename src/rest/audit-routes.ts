// The security audit trail, newest first, for administrators.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireAccess, requireAdmin } from './authenticate.js'
import type { RestOptions } from './route-options.js'
import { AuditList, AuditQuery, ErrorBody } from './schemas.js'

export const auditRoutes: FastifyPluginAsyncTypebox<RestOptions> = async (app, { services, edge }) => {
  app.addHook('preHandler', requireAccess(edge))
  app.addHook('preHandler', requireAdmin(services.accounts))

  app.get('/', {
    schema: {
      summary: 'Audit events: logins, refreshes, reuse detections, logouts, password changes, disabled users',
      security: [{ bearerAuth: [] }],
      querystring: AuditQuery,
      response: { 200: AuditList, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody }
    }
  }, async (request) => {
    const { limit, before, type, userId } = request.query
    const events = await services.audit.list({
      limit: limit !== undefined ? Math.min(Number(limit), 500) : 100,
      before: before !== undefined ? Number(before) : undefined,
      type,
      userId: userId !== undefined ? Number(userId) : undefined
    })
    return events.map(e => ({ ...e, createdAt: e.createdAt.toISOString() }))
  })
}
