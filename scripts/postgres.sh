# A throwaway Postgres for the broker's tests, from Debian's `postgresql` package: a cluster of
# its own in a temporary directory, run as a user that is not root (Postgres refuses root: the
# package's `postgres` user when the tests run as root, the current user otherwise), on a free
# loopback port, stopped and removed by `stop_postgres`. `start_postgres` exports
# PONTE_TEST_POSTGRES_URL.

start_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$bin" ]; then
    echo "error: Postgres is not installed (apt-get install postgresql)" >&2
    return 1
  fi
  PONTE_PG_DIR=$(mktemp -d /tmp/ponte-postgres.XXXXXX)
  PONTE_PG_AS=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$PONTE_PG_DIR"
    PONTE_PG_AS=(runuser -u postgres --)
  fi
  "${PONTE_PG_AS[@]}" "$bin/initdb" -D "$PONTE_PG_DIR/data" -U ponte --auth=trust -E UTF8 \
    --no-instructions >/dev/null
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # fsync off: a test cluster thrown away at the end needs no durability.
  "${PONTE_PG_AS[@]}" "$bin/pg_ctl" -D "$PONTE_PG_DIR/data" -l "$PONTE_PG_DIR/server.log" -w \
    -o "-p $port -k $PONTE_PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=500 -c fsync=off" \
    start >/dev/null
  PONTE_PG_BIN=$bin
  export PONTE_TEST_POSTGRES_URL="postgres://ponte@127.0.0.1:$port/postgres"
}

stop_postgres() {
  if [ -n "${PONTE_PG_DIR:-}" ] && [ -d "$PONTE_PG_DIR/data" ]; then
    "${PONTE_PG_AS[@]}" "$PONTE_PG_BIN/pg_ctl" -D "$PONTE_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PONTE_PG_DIR"
  fi
}
