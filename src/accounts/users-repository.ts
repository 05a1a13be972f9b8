import type { Database, User } from '../storage/database.js'

export interface NewUser {
  email: string
  username: string
  passwordHash: string
  name: string
  firstName: string
  lastName: string
  role: string
  tenantId: string | null
  avatar: string
}

export function createUsersRepository (db: Database) {
  return {
    findById: (id: number): Promise<User | null> => db.user.findUnique({ where: { id } }),
    findByEmail: (email: string): Promise<User | null> => db.user.findUnique({ where: { email } }),
    findByUsername: (username: string): Promise<User | null> => db.user.findUnique({ where: { username } }),
    create: (user: NewUser): Promise<User> => db.user.create({ data: user }),
    count: (): Promise<number> => db.user.count(),
    update: (id: number, data: { passwordHash?: string, disabled?: boolean }): Promise<User> => db.user.update({ where: { id }, data }),
    delete: async (id: number): Promise<boolean> => (await db.user.deleteMany({ where: { id } })).count === 1
  }
}

export type UsersRepository = ReturnType<typeof createUsersRepository>
