// deploy/compose.yaml and deploy/nginx.conf agree with each other and with the
// settings schema (no container runtime needed): a renamed setting, service
// or port would otherwise only show up when someone deploys.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { ConfigSchema } from '../../src/config.js'
import { ROOT } from '../setup/databases.js'

interface Service {
  environment?: Record<string, string>
  volumes?: string[]
  networks?: string[] | Record<string, { ipv4_address?: string }>
  depends_on?: Record<string, { condition: string }>
  healthcheck?: unknown
}

const compose = parse(readFileSync(join(ROOT, 'deploy', 'compose.yaml'), 'utf8')) as { services: Record<string, Service> }
const nginx = readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8')
const gateways = Object.keys(compose.services).filter(name => name.startsWith('authgate-'))

t.test('PostgreSQL, Redis, two gateway replicas and nginx', async (t) => {
  t.same(gateways, ['authgate-1', 'authgate-2'])
  for (const name of ['postgres', 'redis', 'nginx']) t.ok(compose.services[name], name)
  t.ok(compose.services.postgres?.healthcheck && compose.services.redis?.healthcheck, 'both report health for depends_on')
  t.match(compose.services.nginx?.volumes, ['./nginx.conf:/etc/nginx/nginx.conf:ro'], 'nginx runs deploy/nginx.conf')
})

t.test('the gateways use real settings and reach the other services', async (t) => {
  const settings = Object.keys(ConfigSchema.properties)
  for (const name of gateways) {
    const env = compose.services[name]?.environment ?? {}
    t.same(Object.keys(env).filter(key => !settings.includes(key)), [], `${name}: every variable is a setting`)
    const postgres = compose.services.postgres?.environment ?? {}
    t.equal(env.DATABASE_URL, `postgresql://${postgres.POSTGRES_USER}:${postgres.POSTGRES_PASSWORD}@postgres:5432/${postgres.POSTGRES_DB}`)
    t.equal(env.REDIS_URL, 'redis://redis:6379')
    const nginxAddress = (compose.services.nginx?.networks as Record<string, { ipv4_address?: string }>).internal?.ipv4_address
    t.equal(env.TRUST_PROXY, nginxAddress, `${name} trusts X-Forwarded-For from nginx only`)
    t.equal(env.NODE_ENV, 'production')
  }
  t.same(Object.keys(compose.services.nginx?.depends_on ?? {}).filter(s => s.startsWith('authgate-')), gateways)
})

t.test('nginx sends traffic to every replica on the port the image listens on', async (t) => {
  const upstream = /upstream authgate \{([^}]*)\}/.exec(nginx)?.[1] ?? ''
  t.same([...upstream.matchAll(/server ([\w-]+):(\d+)/g)].map(m => `${m[1]}:${m[2]}`), gateways.map(g => `${g}:3000`))
  t.match(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'), /PORT=3000/)
  t.match(nginx, /server whoami:80;/, 'the forward-auth example reaches the demo service')
  t.ok(compose.services.whoami, 'which compose runs')
})
