// Validation rules that bound what one request may cost. The schemas are not
// recursive, so depth is bounded by them; what is left is width: aliases
// repeating a field, and several password checks in one request.
import { GraphQLError, type ASTVisitor, type ValidationContext, type ValidationRule } from 'graphql'

/** graphql-armor's default. */
export const MAX_ALIASES = 15

/** Fields that verify a password: each costs an argon2 hash, so a request may hold one. */
const PASSWORD_FIELDS = new Set(['login', 'loginUser'])

export const maxAliasesRule: ValidationRule = (context: ValidationContext): ASTVisitor => {
  let aliases = 0
  return {
    Field (node) {
      if (node.alias !== undefined && ++aliases === MAX_ALIASES + 1) {
        context.reportError(new GraphQLError(`Too many aliases: at most ${MAX_ALIASES} per request`, { nodes: node }))
      }
    }
  }
}

export const onePasswordCheckRule: ValidationRule = (context: ValidationContext): ASTVisitor => {
  let checks = 0
  return {
    Field (node) {
      const parent = context.getParentType()
      const root = parent !== null && (parent === context.getSchema().getQueryType() || parent === context.getSchema().getMutationType())
      if (root && PASSWORD_FIELDS.has(node.name.value) && ++checks === 2) {
        context.reportError(new GraphQLError('Only one login per request', { nodes: node }))
      }
    }
  }
}
