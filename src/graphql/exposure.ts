// What the GraphQL endpoints reveal about themselves, from the settings:
// GraphiQL only outside production, introspection off in production unless
// GRAPHQL_INTROSPECTION=true. Also the common Mercurius options both share.
import { NoSchemaIntrospectionCustomRule, type ValidationRule } from 'graphql'
import type { Config } from '../config.js'
import { maxAliasesRule, onePasswordCheckRule } from './limits.js'

export function graphiqlEnabled (config: Config): boolean {
  return config.GRAPHIQL && config.NODE_ENV !== 'production'
}

export function introspectionEnabled (config: Config): boolean {
  return config.GRAPHQL_INTROSPECTION ?? config.NODE_ENV !== 'production'
}

export function sharedMercuriusOptions (config: Config) {
  const validationRules: ValidationRule[] = [maxAliasesRule, onePasswordCheckRule]
  if (!introspectionEnabled(config)) validationRules.push(NoSchemaIntrospectionCustomRule)
  return {
    graphiql: graphiqlEnabled(config),
    validationRules,
    // Query texts often carry passwords and tokens inline; a parse cache would keep them in memory.
    cache: false,
    allowBatchedQueries: false
  }
}
