#!/usr/bin/env bash
# Run a command against a throw-away PostgreSQL cluster:
#
#   scripts/with-postgres.sh CMD [ARGS...]
#
# Starts a private cluster (temporary directory, 127.0.0.1 only, free port), exports
# DATABASE_URL=postgres://postgres@127.0.0.1:PORT/accueil, runs CMD, then stops the
# cluster and deletes its files, even on failure or Ctrl-C. Exits with CMD's status.
# Installs Debian's PostgreSQL when no initdb is found (needs root).
set -euo pipefail

if [ $# -eq 0 ]; then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi

# Server binaries: initdb on PATH (following symlinks to its real bin directory, which
# also holds pg_ctl and createdb), else Debian's layout, highest version first.
find_bindir() {
	local initdb dir
	if initdb=$(command -v initdb); then
		dir=$(dirname "$(readlink -f "$initdb")")
		[ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }
	fi
	for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
		[ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }
	done
	return 1
}

install_postgres() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "PostgreSQL server not found; install it (apt-get install postgresql postgresql-contrib) or run as root." >&2
		exit 1
	fi
	echo "PostgreSQL server not found: installing Debian's postgresql packages..." >&2
	# Keep the package from starting its own cluster on 5432: we never use it.
	local policy=/usr/sbin/policy-rc.d ours=""
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && ours=1
	fi
	local status=0
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends postgresql postgresql-contrib >/dev/null; } || status=$?
	[ -n "$ours" ] && rm -f "$policy"
	[ "$status" -eq 0 ] || exit "$status"
}

bindir=$(find_bindir) || { install_postgres; bindir=$(find_bindir); }

# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user.
if [ "$(id -u)" -eq 0 ]; then
	id -u postgres >/dev/null 2>&1 || useradd --system --user-group --no-create-home \
		--home-dir /nonexistent --shell /usr/sbin/nologin postgres
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi

here=$PWD
tmp=$(mktemp -d "${TMPDIR:-/tmp}/accueil-pg.XXXXXX")
data=$tmp/data
started=""
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	if [ -n "$started" ]; then
		as_pg "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" -eq 0 ] && chown postgres: "$tmp"
cd "$tmp" # the postgres user may not be able to read the caller's directory

run_initdb() { as_pg "$bindir/initdb" -D "$data" --auth=trust -U postgres --encoding=UTF8 "$@"; }
run_initdb --locale=C.UTF-8 >init.log 2>&1 || {
	rm -rf "$data"
	run_initdb --locale=C >init.log 2>&1 || { cat init.log >&2; exit 1; }
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Throw-away cluster: durability off for speed; the suite opens many connections
# (one database per pytest-xdist worker, threads in the concurrency tests).
cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmp'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

# Another process may grab the free port before the server binds it: retry a few times.
started=1 # from here on, cleanup stops whatever may be running
for attempt in 1 2 3; do
	port=$(free_port)
	if as_pg "$bindir/pg_ctl" -D "$data" -l server.log -o "-p $port" -w -t 60 start >/dev/null; then
		break
	fi
	as_pg "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
	if [ "$attempt" -eq 3 ]; then
		cat server.log >&2
		exit 1
	fi
done

"$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres accueil
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/accueil"
export PATH="$bindir:$PATH" # psql, pg_dump... matching the server
echo "Throw-away PostgreSQL $("$bindir/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port" >&2

cd "$here"
status=0
"$@" || status=$?
exit "$status"
