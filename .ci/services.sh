#!/usr/bin/env bash
# Start throwaway services on loopback for the tests; source it. Recipes: shared stack-notes §2-3.
# Exports CRM_TEST_DATABASE_URL (PostgreSQL), CRM_TEST_REDIS_URL (Redis), CRM_TEST_DOVECOT_DIR.
set -uo pipefail

start_postgres() {
  local pgbin port dir
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  port=${CRM_TEST_PG_PORT:-55432}
  dir=$(mktemp -d /tmp/crm-pg.XXXXXX)
  chown postgres:postgres "$dir"; chmod 700 "$dir"
  runuser -u postgres -- "$pgbin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
    --locale=C.UTF-8 --no-sync >/dev/null
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
  export CRM_TEST_PG_DIR="$dir" CRM_TEST_PG_BIN="$pgbin"
  export CRM_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

stop_postgres() {
  [ -n "${CRM_TEST_PG_DIR:-}" ] || return 0
  runuser -u postgres -- "$CRM_TEST_PG_BIN/pg_ctl" -D "$CRM_TEST_PG_DIR/data" -m fast -w stop >/dev/null || true
}

start_redis() {
  local port dir
  port=${CRM_TEST_REDIS_PORT:-56379}
  dir=$(mktemp -d /tmp/crm-redis.XXXXXX)
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save '' --appendonly no
  until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
  export CRM_TEST_REDIS_DIR="$dir" CRM_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
}

stop_redis() {
  [ -n "${CRM_TEST_REDIS_DIR:-}" ] || return 0
  kill "$(cat "$CRM_TEST_REDIS_DIR/redis.pid")" 2>/dev/null || true
}
