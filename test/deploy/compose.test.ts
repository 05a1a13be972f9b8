// deploy/compose.yaml and deploy/nginx.conf agree with each other and with the
// settings schema, keep PostgreSQL and Redis off the public network, and are
// accepted both by the Compose Specification's JSON schema (what Compose v2
// validates against) and by Debian's docker-compose 1.29 (no engine needed):
// a renamed setting, service or port would otherwise only show up when
// someone deploys.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { Ajv } from 'ajv'
import t from 'tap'
import { parse } from 'yaml'
import { ConfigSchema } from '../../src/config.js'
import { ROOT } from '../setup/databases.js'
import { testWith, tool } from '../support/services.mjs'

interface Service {
  image?: string
  command?: string[]
  environment?: Record<string, string>
  volumes?: string[]
  ports?: string[]
  networks?: string[] | Record<string, { ipv4_address?: string } | null>
  depends_on?: Record<string, { condition: string }>
  healthcheck?: unknown
}
interface Compose {
  services: Record<string, Service>
  networks: Record<string, { internal?: boolean } | null>
}

const run = promisify(execFile)
const FILE = join(ROOT, 'deploy', 'compose.yaml')
const text = readFileSync(FILE, 'utf8')
const compose = parse(text) as Compose
const nginx = readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8')
const gateways = Object.keys(compose.services).filter(name => name.startsWith('authgate-'))
const networksOf = (service: Service | undefined) =>
  Array.isArray(service?.networks) ? service.networks : Object.keys(service?.networks ?? {})

t.test('PostgreSQL, Redis, two gateway replicas and nginx', async (t) => {
  t.same(gateways, ['authgate-1', 'authgate-2'])
  for (const name of ['postgres', 'redis', 'nginx']) t.ok(compose.services[name], name)
  t.ok(compose.services.postgres?.healthcheck && compose.services.redis?.healthcheck, 'both report health for depends_on')
  t.match(compose.services.nginx?.volumes, ['./nginx.conf:/etc/nginx/nginx.conf:ro'], 'nginx runs deploy/nginx.conf')
  t.notOk('name' in compose, 'no top-level name: docker-compose 1.29 refuses it')
})

t.test('the gateways use real settings and reach the other services', async (t) => {
  const settings = Object.keys(ConfigSchema.properties)
  for (const name of gateways) {
    const env = compose.services[name]?.environment ?? {}
    t.same(Object.keys(env).filter(key => !settings.includes(key)), [], `${name}: every variable is a setting`)
    const postgres = compose.services.postgres?.environment ?? {}
    t.equal(env.DATABASE_URL, `postgresql://${postgres.POSTGRES_USER}:${postgres.POSTGRES_PASSWORD}@postgres:5432/${postgres.POSTGRES_DB}`)
    t.match(env.REDIS_URL, /^redis:\/\/:\$\{REDIS_PASSWORD:\?[^}]+\}@redis:6379$/, `${name}: Redis with its password`)
    const nginxAddress = (compose.services.nginx?.networks as Record<string, { ipv4_address?: string }>).public?.ipv4_address
    t.equal(env.TRUST_PROXY, nginxAddress, `${name} trusts X-Forwarded-For from nginx only`)
    t.equal(env.NODE_ENV, 'production')
  }
  t.same(Object.keys(compose.services.nginx?.depends_on ?? {}).filter(s => s.startsWith('authgate-')), gateways)
})

t.test('only nginx faces the outside; PostgreSQL and Redis sit on an internal network', async (t) => {
  t.same(compose.networks.internal, { internal: true }, 'the internal network has no route out')
  t.same(networksOf(compose.services.nginx), ['public'], 'nginx is not on the internal network')
  t.same(networksOf(compose.services.postgres), ['internal'])
  t.same(networksOf(compose.services.redis), ['internal'])
  for (const name of gateways) t.same(networksOf(compose.services[name]).sort(), ['internal', 'public'], `${name} joins both`)
  t.same(Object.entries(compose.services).filter(([, s]) => s.ports !== undefined).map(([name]) => name), ['nginx'], 'only nginx publishes a port')
})

t.test('Redis asks for the password the gateways send', async (t) => {
  const redis = compose.services.redis as Service
  const command = redis.command ?? []
  const password = command[command.indexOf('--requirepass') + 1]
  t.match(password, /^\$\{REDIS_PASSWORD:\?[^}]+\}$/, 'redis-server --requirepass $REDIS_PASSWORD, required')
  t.match(redis.environment?.REDISCLI_AUTH, /^\$\{REDIS_PASSWORD[:?}]/, 'the healthcheck authenticates too')
})

t.test('nginx sends traffic to every replica on the port the image listens on, and keeps /metrics in', async (t) => {
  const upstream = /upstream authgate \{([^}]*)\}/.exec(nginx)?.[1] ?? ''
  t.same([...upstream.matchAll(/server ([\w-]+):(\d+)/g)].map(m => `${m[1]}:${m[2]}`), gateways.map(g => `${g}:3000`))
  t.match(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'), /PORT=3000/)
  t.match(nginx, /server whoami:80;/, 'the forward-auth example reaches the demo service')
  t.ok(compose.services.whoami, 'which compose runs')
  t.match(nginx, /location ~\* \^\/metrics\(\/\|\$\) \{\s*return 404;\s*\}/, 'metrics are not passed (the load-balancer test sends requests)')
})

t.test('valid by the Compose Specification schema (Compose v2)', async (t) => {
  // dclint ships the compose-spec JSON schema; compose-go validates files against the same schema.
  const require = createRequire(import.meta.url)
  const file = join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json')
  // Draft 07, Ajv's own dialect; its "$schema" spelling (no trailing #) is one Ajv does not look up.
  const { $schema: _draft07, ...schema } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  const ajv = new Ajv({ allErrors: true, strict: false })
  const validate = ajv.compile(schema)
  t.ok(validate(compose), 'deploy/compose.yaml', { errors: validate.errors })
  t.notOk(validate({ ...compose, services: { ...compose.services, nginx: { ...compose.services.nginx, port: ['8080:8080'] } } }),
    'and the schema does refuse a misspelt key')
})

const settings = { JWT_SECRET: 's'.repeat(48), ADMIN_PASSWORD: 'a long passphrase', REDIS_PASSWORD: 'f00d'.repeat(8) }

void testWith(t, "accepted by Debian's docker-compose 1.29", [tool('docker-compose')], async (t) => {
  const command = tool('docker-compose').value
  const { stdout } = await run(command, ['-f', FILE, 'config'], { env: { ...process.env, ...settings } })
  const resolved = parse(stdout) as Compose
  t.equal(resolved.services['authgate-1']?.environment?.REDIS_URL, `redis://:${settings.REDIS_PASSWORD}@redis:6379`)
  t.ok(resolved.services.redis?.command?.includes(settings.REDIS_PASSWORD), 'Redis gets the same password')
  t.same(resolved.networks.internal, { internal: true })

  const { REDIS_PASSWORD: _unset, ...withoutRedisPassword } = settings
  const refused = await run(command, ['-f', FILE, 'config'], { env: { ...process.env, REDIS_PASSWORD: '', ...withoutRedisPassword } })
    .then(() => null, (err: { code: number, stderr: string }) => err)
  t.not(refused?.code ?? 0, 0, 'refused without REDIS_PASSWORD')
  t.match(refused?.stderr, /REDIS_PASSWORD/, 'naming it')
})
