# Starts a throwaway PostgreSQL on a free loopback port for scripts/test and scripts/bench.
# Sets SWITCHBOARD_TEST_POSTGRES_URL; call stop_postgres (or let the EXIT trap do it) to remove it.
# Requires: $work (a temporary directory the caller removes).

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$work/pg"
    chmod 755 "$work"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$work/pg"; fi
    as_postgres "$pg_bin/initdb" -D "$work/pg" -U postgres -A trust --no-sync >"$work/initdb.log"
    as_postgres "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $work/pg -c max_connections=300 ${POSTGRES_EXTRA_OPTIONS:-}" start >/dev/null
    export SWITCHBOARD_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    export POSTGRES_BASE_URL="postgres://postgres@127.0.0.1:$port"
}

stop_postgres() {
    if [ -f "$work/pg/postmaster.pid" ]; then
        as_postgres "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
    fi
}

create_database() {
    psql "$SWITCHBOARD_TEST_POSTGRES_URL" -q -c "CREATE DATABASE $1"
    echo "$POSTGRES_BASE_URL/$1?sslmode=disable"
}
