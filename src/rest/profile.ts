import type { User } from '../storage/database.js'

/** The public view of a user: never the password hash. */
export function toProfile (user: User) {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    name: user.name,
    firstName: user.firstName,
    lastName: user.lastName,
    role: user.role,
    avatar: user.avatar,
    schoolId: user.tenantId,
    disabled: user.disabled,
    creationAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString()
  }
}
