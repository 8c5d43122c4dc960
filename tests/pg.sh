#!/bin/sh
# pg.sh: a throwaway PostgreSQL 15 (Debian's postgresql-15) for the tests and benchmarks,
# in a folder under /tmp, listening on a loopback port only, stopped by its PID.
#
#   tests/pg.sh start DIR [--durable]  creates DIR, starts a cluster in it and prints its base
#                                      URI (postgresql://samtycke@127.0.0.1:PORT); without
#                                      --durable it runs with fsync off (tests only: a crash
#                                      of the machine loses the cluster, which is thrown away)
#   tests/pg.sh stop DIR               stops it (by the PID in DIR/postmaster.pid) and removes DIR
#   tests/pg.sh createdb BASE NAME     creates database NAME and prints its URI (BASE/NAME)
#   tests/pg.sh dropdb BASE NAME       drops it, closing any connection still open to it
#   tests/pg.sh run CMD [ARG...]       starts a cluster in a new folder under /tmp, runs CMD
#                                      with SK_TEST_PG set to its base URI, stops it (also
#                                      when interrupted) and exits with CMD's status: one test
#                                      in the PostgreSQL mode (tests/mutants.list uses it)
#
# initdb refuses to run as root: as root, the cluster runs as `nobody` in a folder it owns.
# Authentication is trust, and only on 127.0.0.1 and a socket inside DIR.
set -eu

bin=/usr/lib/postgresql/15/bin
user=samtycke

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

# A loopback port that nothing listens on now.
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# psql_admin BASE SQL: runs SQL in database postgres, quietly.
psql_admin() {
	"$bin/psql" -X -q -v ON_ERROR_STOP=1 -d "$1/postgres" -c "$2" >/dev/null
}

case "${1:-}" in
start)
	dir=$2
	fsync=off
	[ "${3:-}" = --durable ] && fsync=on
	[ -x "$bin/initdb" ] || {
		echo "pg.sh: $bin/initdb not found (Debian package postgresql-15)" >&2
		exit 1
	}
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown nobody "$dir"
	as_owner "$bin/initdb" -D "$dir/data" -U "$user" --auth=trust --no-locale -E UTF8 \
		--no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	tries=0
	until port=$(free_port) &&
		as_owner "$bin/pg_ctl" -w -t 30 -D "$dir/data" -l "$dir/server.log" -o \
			"-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=$fsync -c max_connections=300 -c shared_buffers=64MB" \
			start >/dev/null 2>&1; do
		tries=$((tries + 1))
		if [ "$tries" -ge 5 ]; then
			echo "pg.sh: the cluster in $dir did not start:" >&2
			tail -n 20 "$dir/server.log" >&2
			exit 1
		fi
	done
	echo "postgresql://$user@127.0.0.1:$port"
	;;
stop)
	dir=$2
	if [ -f "$dir/data/postmaster.pid" ]; then
		pid=$(head -n 1 "$dir/data/postmaster.pid")
		kill -INT "$pid" 2>/dev/null || true # fast shutdown
		i=0
		while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
	;;
createdb)
	psql_admin "$2" "CREATE DATABASE \"$3\" TEMPLATE template0"
	echo "$2/$3"
	;;
dropdb)
	psql_admin "$2" "DROP DATABASE IF EXISTS \"$3\" WITH (FORCE)"
	;;
run)
	shift
	[ "$#" -gt 0 ] || {
		echo "usage: tests/pg.sh run CMD [ARG...]" >&2
		exit 2
	}
	run_dir=$(mktemp -d /tmp/samtycke-pgrun.XXXXXX)
	trap '"$0" stop "$run_dir"' EXIT
	trap 'exit 130' INT TERM HUP
	SK_TEST_PG=$("$0" start "$run_dir") || exit 1
	export SK_TEST_PG
	set +e
	"$@"
	run_status=$?
	exit "$run_status"
	;;
*)
	echo "usage: tests/pg.sh start DIR [--durable] | stop DIR | createdb BASE NAME | dropdb BASE NAME | run CMD..." >&2
	exit 2
	;;
esac
