import { Type } from 'typebox'
import { PASSWORD_MAX_LENGTH } from '../accounts/password-policy.js'
import { LOGIN_MAX_LENGTH, ROLES } from '../accounts/accounts-service.js'
import { TOKEN_MAX_LENGTH } from '../http/input-limits.js'

const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength })

export { ErrorBody } from '../http/error-body.js'

export const LoginBody = Type.Object({
  email: Text(LOGIN_MAX_LENGTH),
  password: Text(PASSWORD_MAX_LENGTH)
})

export const RefreshBody = Type.Object({
  refreshToken: Text(TOKEN_MAX_LENGTH)
})

export const TokenPairBody = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String()
})

export const Profile = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  username: Type.String(),
  name: Type.String(),
  firstName: Type.String(),
  lastName: Type.String(),
  role: Type.String(),
  avatar: Type.String(),
  schoolId: Type.Union([Type.String(), Type.Null()]),
  disabled: Type.Boolean(),
  creationAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' })
})

export const CreateUserBody = Type.Object({
  email: Text(LOGIN_MAX_LENGTH),
  password: Text(PASSWORD_MAX_LENGTH),
  username: Type.Optional(Text(64)),
  name: Type.Optional(Type.String({ maxLength: 200 })),
  firstName: Type.Optional(Type.String({ maxLength: 100 })),
  lastName: Type.Optional(Type.String({ maxLength: 100 })),
  role: Type.Optional(Type.Union(ROLES.map(r => Type.Literal(r)))),
  schoolId: Type.Optional(Type.Union([Text(100), Type.Null()])),
  avatar: Type.Optional(Type.String({ maxLength: 2048 }))
}, { additionalProperties: false })

export const LogoutAllBody = Type.Object({ revokedSessions: Type.Integer() })
export const LogoutBody = Type.Object({ loggedOut: Type.Boolean() })

export const SessionSummary = Type.Object({
  id: Type.String(),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  current: Type.Boolean()
})
export const SessionList = Type.Array(SessionSummary)

export const SessionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })
export const UserParams = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,9}$' }) })

export const PasswordBody = Type.Object({
  currentPassword: Text(PASSWORD_MAX_LENGTH),
  // Length rules (8 to 1024 characters) are checked by the policy, with its messages.
  newPassword: Type.String({ maxLength: PASSWORD_MAX_LENGTH * 4 })
})

export const UserPatchBody = Type.Object({
  disabled: Type.Boolean()
}, { additionalProperties: false })

export const AuditQuery = Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })),
  before: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,9}$' })),
  type: Type.Optional(Type.String({ maxLength: 64 })),
  userId: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,9}$' }))
}, { additionalProperties: false })

export const AuditEvent = Type.Object({
  id: Type.Integer(),
  type: Type.String(),
  userId: Type.Union([Type.Integer(), Type.Null()]),
  actorId: Type.Union([Type.Integer(), Type.Null()]),
  sessionId: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String({ format: 'date-time' })
})
export const AuditList = Type.Array(AuditEvent)
