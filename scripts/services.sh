#!/usr/bin/env bash
# Throwaway Redis and PostgreSQL servers on loopback for the conversation-store tests.
#   bash scripts/services.sh start DIR   installs Debian's redis-server and postgresql if missing,
#                                        starts both with their data under DIR, and writes
#                                        DIR/env (DESKBOT_TEST_REDIS, DESKBOT_TEST_POSTGRES)
#   bash scripts/services.sh stop DIR    stops them
# Redis runs with appendonly + appendfsync always, so an acknowledged write is on disk.
set -euo pipefail
command=${1:?usage: services.sh start|stop DIR}
dir=${2:?usage: services.sh start|stop DIR}
redis_port=${DESKBOT_TEST_REDIS_PORT:-16379}
pg_port=${DESKBOT_TEST_PG_PORT:-15432}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
# initdb and postgres refuse to run as root: run them as the package's `postgres` user then.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$command" in
start)
  missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ -n "$(pg_bin)" ] || missing+=(postgresql)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "services: installing ${missing[*]}" >&2
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  mkdir -p "$dir/redis" "$dir/pg"
  chmod 755 "$dir"  # the postgres user must reach its data directory
  redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --dir "$dir/redis" \
    --appendonly yes --appendfsync always --save '' \
    --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log"
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir/pg"
  bin=$(pg_bin)
  as_pg "$bin/initdb" -D "$dir/pg/data" --auth=trust -U postgres >/dev/null
  as_pg "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w \
    -o "-p $pg_port -k $dir/pg -c listen_addresses=127.0.0.1" start >/dev/null
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres deskbot_test
  for _ in $(seq 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  cat > "$dir/env" <<ENV
export DESKBOT_TEST_REDIS=redis://127.0.0.1:$redis_port
export DESKBOT_TEST_POSTGRES=postgres://postgres@127.0.0.1:$pg_port/deskbot_test
ENV
  echo "services: redis on 127.0.0.1:$redis_port, postgres on 127.0.0.1:$pg_port" >&2
  ;;
stop)
  [ -f "$dir/redis/redis.pid" ] && kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
  [ -d "$dir/pg/data" ] && as_pg "$(pg_bin)/pg_ctl" -D "$dir/pg/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: services.sh start|stop DIR" >&2
  exit 2
  ;;
esac
