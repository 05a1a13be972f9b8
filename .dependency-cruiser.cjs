// The direction of imports in src/ (docs/architecture.md), checked by
// `npm run check:imports` and by test/architecture.test.ts:
//
//   server.ts, cli/, docs/write-postman.ts     entry points
//   app.ts                                      assembles the transports
//   rest/ graphql/ health/ metrics/ docs/       transports (and http/, what they share)
//   services.ts                                 settings become services
//   accounts/ → sessions/ → tokens/             the domain
//   audit/, storage/                            below the domain
//   config.ts (settings); errors.ts, clock.ts, service-events.ts (shared by all)
const TRANSPORTS = ['rest', 'graphql', 'health', 'metrics', 'docs']
const DOMAIN = '^src/(accounts|sessions|tokens|audit|storage)/'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules that need each other are one module, or one of them holds what both need.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true }
    },
    {
      name: 'domain-reads-no-settings',
      comment: 'The domain takes what it needs from services.ts, which maps the settings; it never reads them.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: '^src/(config|services|app|server)\\.ts$' }
    },
    {
      name: 'domain-knows-no-transport',
      comment: 'No HTTP, GraphQL or request concept below the transports.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: `^src/(${[...TRANSPORTS, 'http', 'cli'].join('|')})/` }
    },
    {
      name: 'sessions-below-accounts',
      severity: 'error',
      from: { path: '^src/sessions/' },
      to: { path: '^src/accounts/' }
    },
    {
      name: 'tokens-are-crypto-only',
      comment: 'Signing rules, keys and the refresh-token format: nothing that stores or decides.',
      severity: 'error',
      from: { path: '^src/tokens/' },
      to: { path: '^src/(accounts|sessions|audit|storage)/' }
    },
    {
      name: 'audit-below-the-domain',
      severity: 'error',
      from: { path: '^src/audit/' },
      to: { path: '^src/(accounts|sessions|tokens)/' }
    },
    {
      name: 'storage-at-the-bottom',
      severity: 'error',
      from: { path: '^src/storage/' },
      to: { path: '^src/(accounts|sessions|tokens|audit)/' }
    },
    {
      name: 'services-below-the-transports',
      severity: 'error',
      from: { path: '^src/services\\.ts$' },
      to: { path: `^src/(${[...TRANSPORTS, 'http', 'cli'].join('|')})/|^src/app\\.ts$` }
    },
    ...TRANSPORTS.map(transport => ({
      name: `only-app-assembles-${transport}`,
      comment: 'A transport is imported by app.ts (and by its own modules) only.',
      severity: 'error',
      from: { pathNot: `^src/(app\\.ts$|${transport}/)` },
      to: { path: `^src/${transport}/` }
    })),
    {
      name: 'http-serves-the-transports',
      comment: 'http/ holds what the transports share; the domain and the settings do not reach into it.',
      severity: 'error',
      from: { path: '^src/(config|services|errors|clock|service-events)\\.ts$' },
      to: { path: '^src/http/' }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] }
  }
}
