import type { FastifyReply } from 'fastify'
import type { User } from '../accounts/users-store.js'

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

/**
 * A user's profile as its route serializes it, made once per user record:
 * the user cache hands out the same record until it is read again, so most
 * requests skip building and serializing the view.
 */
const serialized = new WeakMap<User, string>()

/** Sends the 200 answer of a profile route, serialized by the route's own response schema. */
export function sendProfile (reply: FastifyReply, user: User): void {
  let json = serialized.get(user)
  if (json === undefined) {
    json = reply.serialize(toProfile(user)) as string
    serialized.set(user, json)
  }
  reply.type('application/json; charset=utf-8').send(json)
}
