// Validation rules that bound what one request may cost, with graphql-armor's
// defaults for scale: depth, aliases, directives (tokens are bounded by the
// parser, in exposure.ts). And one credential check per request, so aliases
// cannot turn one request, and one rate-limit count, into many guesses.
import { GraphQLError, Kind, visit, type ASTNode, type ASTVisitor, type DirectiveNode, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql'

/** graphql-armor's defaults. */
export const MAX_ALIASES = 15
export const MAX_DIRECTIVES = 50

/** Fields that verify a password: each costs an argon2 hash. */
const PASSWORD_FIELDS = new Set(['login', 'loginUser'])
/** Fields that exchange a refresh token. */
const REFRESH_FIELDS = new Set(['refresh', 'refreshToken'])

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

export const maxDirectivesRule: ValidationRule = (context: ValidationContext): ASTVisitor => {
  let directives = 0
  return {
    Directive (node) {
      if (++directives === MAX_DIRECTIVES + 1) {
        context.reportError(new GraphQLError(`Too many directives: at most ${MAX_DIRECTIVES} per request`, { nodes: node }))
      }
    }
  }
}

/** At most one login (or loginUser) and one refresh per request, however aliased or spread. */
export const oneCredentialCheckRule: ValidationRule = (context: ValidationContext): ASTVisitor => {
  let logins = 0
  let refreshes = 0
  return {
    Field (node) {
      const parent = context.getParentType()
      const schema = context.getSchema()
      if (parent === null || (parent !== schema.getQueryType() && parent !== schema.getMutationType())) return
      const name = node.name.value
      if (PASSWORD_FIELDS.has(name) && ++logins === 2) context.reportError(new GraphQLError('Only one login per request', { nodes: node }))
      if (REFRESH_FIELDS.has(name) && ++refreshes === 2) context.reportError(new GraphQLError('Only one refresh per request', { nodes: node }))
    }
  }
}

function fragmentsOf (document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
  }
  return fragments
}

/**
 * Rejects operations nested deeper than `limit` fields (`{ me { id } }` is 2).
 * Fragments are followed, each measured once, so a fragment bomb costs no
 * more than its text. Introspection fields are not counted: whether they are
 * allowed at all is the introspection setting's business, and GraphiQL's
 * own schema query is deep.
 */
export function maxDepthRule (limit: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = fragmentsOf(context.getDocument())
    const measured = new Map<string, number>()
    const measuring = new Set<string>()

    function depthOf (selectionSet: SelectionSetNode): number {
      let deepest = 0
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue
          deepest = Math.max(deepest, 1 + (selection.selectionSet !== undefined ? depthOf(selection.selectionSet) : 0))
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet))
        } else {
          deepest = Math.max(deepest, fragmentDepth(selection.name.value))
        }
      }
      return deepest
    }

    function fragmentDepth (name: string): number {
      const known = measured.get(name)
      if (known !== undefined) return known
      const fragment = fragments.get(name)
      // Unknown and cyclic fragments are reported by graphql's own rules.
      if (fragment === undefined || measuring.has(name)) return 0
      measuring.add(name)
      const depth = depthOf(fragment.selectionSet)
      measuring.delete(name)
      measured.set(name, depth)
      return depth
    }

    return {
      OperationDefinition (node) {
        const depth = depthOf(node.selectionSet)
        if (depth > limit) context.reportError(new GraphQLError(`Query too deep: ${depth} levels, at most ${limit} allowed`, { nodes: node }))
      }
    }
  }
}

/**
 * The first directive used twice on one node. GraphQL allows that only for
 * repeatable directives, and neither schema has any; graphql-js would answer
 * each copy with errors of its own (directive overloading), so such a
 * document is refused with one error before it is validated.
 */
export function repeatedDirective (document: DocumentNode): DirectiveNode | undefined {
  let repeated: DirectiveNode | undefined
  visit(document, {
    enter (node: ASTNode) {
      const directives = (node as { directives?: readonly DirectiveNode[] }).directives
      if (directives === undefined || directives.length < 2) return undefined
      const seen = new Set<string>()
      for (const directive of directives) {
        if (seen.has(directive.name.value)) {
          repeated = directive
          return false
        }
        seen.add(directive.name.value)
      }
      return undefined
    }
  })
  return repeated
}
