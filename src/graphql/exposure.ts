// What the GraphQL endpoints reveal about themselves, from the settings:
// GraphiQL and introspection off in production unless GRAPHIQL=true and
// GRAPHQL_INTROSPECTION=true say otherwise. Also the common Mercurius options
// both share, including the bounds on one request's cost and CSRF prevention.
import { NoSchemaIntrospectionCustomRule, type ValidationRule } from 'graphql'
import type { Config } from '../config.js'
import { maxAliasesRule, maxDepthRule, maxDirectivesRule, oneCredentialCheckRule } from './limits.js'

export function graphiqlEnabled (config: Config): boolean {
  return config.GRAPHIQL ?? config.NODE_ENV !== 'production'
}

export function introspectionEnabled (config: Config): boolean {
  return config.GRAPHQL_INTROSPECTION ?? config.NODE_ENV !== 'production'
}

/**
 * Content types a POST may carry. A browser sends text/plain,
 * application/x-www-form-urlencoded and multipart/form-data cross-site
 * without a preflight, so a page elsewhere could fire operations with a
 * victim's ambient credentials; JSON needs a preflight, which CORS governs.
 */
export const GRAPHQL_CONTENT_TYPES = ['application/json', 'application/graphql']

export function sharedMercuriusOptions (config: Config) {
  const validationRules: ValidationRule[] = [maxAliasesRule, maxDirectivesRule, maxDepthRule(config.GRAPHQL_MAX_DEPTH), oneCredentialCheckRule]
  if (!introspectionEnabled(config)) validationRules.push(NoSchemaIntrospectionCustomRule)
  return {
    // Mercurius's own GraphiQL loads its scripts from a CDN; the gateway serves its own (graphiql/page.ts).
    graphiql: false,
    validationRules,
    graphql: { parseOptions: { maxTokens: config.GRAPHQL_MAX_TOKENS } },
    // Refused before the body is read; no header lets a simple request through.
    csrfPrevention: { allowedContentTypes: GRAPHQL_CONTENT_TYPES, requiredHeaders: [] },
    // Parsing and validating a small operation costs about 150 µs (graphql-js's rules), more than
    // the operation itself. Texts carrying inline credentials stay in the cache until evicted;
    // GRAPHQL_QUERY_CACHE=0 turns it off for deployments that would rather pay the cost.
    cache: config.GRAPHQL_QUERY_CACHE > 0 ? config.GRAPHQL_QUERY_CACHE : false,
    allowBatchedQueries: false,
    // A cached operation is compiled (graphql-jit) from its second run on:
    // about a sixth less CPU for `{ me { id } }` than graphql-js's execute.
    jit: 1
  }
}
