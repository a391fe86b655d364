#!/usr/bin/env bash
# `make bench-load`: BENCH_LOAD_USERS virtual users (default 50) work for BENCH_LOAD_SECONDS
# (default 300) against Awda on PostgreSQL behind gunicorn on 127.0.0.1, then the figures
# are printed (bench/load.py does the load and the counting).
#
# Everything is throwaway and local: a PostgreSQL cluster in a temporary directory (the
# machine's initdb/postgres, as scripts/run-tests starts it, installed with apt-get if
# missing), the demo programme (AWDA_DEMO=1, which also switches two-factor login off so
# that virtual users can log in with a password), gunicorn on a free port with no access
# log (query strings carry search terms, which must never reach a log). All of it is
# stopped and removed on exit, also on Ctrl-C or a failure; each step has a time limit.
#
# Settings (environment): BENCH_LOAD_USERS, BENCH_LOAD_SECONDS, BENCH_LOAD_THINK (mean
# think time between a user's requests, seconds, default 2), BENCH_LOAD_HOUSEHOLDS (size
# of the demo programme, default 2000), BENCH_LOAD_WORKERS and BENCH_LOAD_THREADS
# (gunicorn, default 3 x 4 for two cores), BENCH_LOAD_CONN_MAX_AGE (seconds a database
# connection is kept, DATABASE_CONN_MAX_AGE; default 60: a new connection for every
# request, Awda's default of 0, costs PostgreSQL about 12 ms of CPU per request).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Its helpers only (free_port, find_postgres, as_pg, apt_install, stop_postgres...): the
# script runs its own main only when executed.
# shellcheck source=../scripts/run-tests
source "$ROOT/scripts/run-tests"

log() { printf 'bench-load: %s\n' "$*" >&2; }
die() {
	printf 'bench-load: ERROR: %s\n' "$*" >&2
	exit 1
}

USERS=${BENCH_LOAD_USERS:-50}
DURATION=${BENCH_LOAD_SECONDS:-300}
HOUSEHOLDS=${BENCH_LOAD_HOUSEHOLDS:-2000}
WORKERS=${BENCH_LOAD_WORKERS:-3}
THREADS=${BENCH_LOAD_THREADS:-4}
CONN_MAX_AGE=${BENCH_LOAD_CONN_MAX_AGE:-60}
# The load stops by itself after DURATION; past this grace the watchdog kills it.
GRACE=120

SERVER_PID=""
SERVER_LOG=""

# Like scripts/run-tests' start_postgres, but durable (fsync and synchronous commit on, as
# in production): commits are part of what is measured.
start_bench_postgres() {
	local port locale locales
	if is_root; then
		if ! id -u postgres >/dev/null 2>&1; then
			log "creating the postgres system user"
			useradd --system --user-group --no-create-home --home-dir /nonexistent \
				--shell /usr/sbin/nologin postgres >&2
		fi
		PG_TMP=$(mktemp -d /tmp/awda-pg.XXXXXXXX)
		CLEANUP_DIRS+=("$PG_TMP")
		chown postgres: "$PG_TMP"
	else
		PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/awda-pg.XXXXXXXX")
		CLEANUP_DIRS+=("$PG_TMP")
	fi
	PG_DATA=$PG_TMP/data

	locale=C
	locales=$(locale -a 2>/dev/null || true)
	if [[ ${locales,,} =~ (^|$'\n')c\.utf-?8($'\n'|$) ]]; then
		locale=C.UTF-8
	fi
	if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U awda --auth=trust -E UTF8 \
		--locale="$locale" >"$PG_TMP/initdb.log" 2>&1; then
		cat "$PG_TMP/initdb.log" >&2
		die "initdb failed"
	fi

	port=$(free_port)
	PG_RUNNING=1
	if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" \
		-o "-k $PG_TMP -p $port -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" \
		-l "$PG_DATA/log" -w start >&2; then
		cat "$PG_DATA/log" >&2 || true
		die "PostgreSQL did not start"
	fi
	as_pg "$PG_BIN/createdb" -h "$PG_TMP" -p "$port" -U awda awda >&2 ||
		die "createdb awda failed"
	PG_URL=postgres://awda@127.0.0.1:$port/awda
}

stop_server() {
	if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		# gunicorn's graceful stop waits for requests in flight; then it is killed.
		for _ in $(seq 50); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	SERVER_PID=""
}

bench_cleanup() {
	local rc=$?
	trap - EXIT
	stop_server
	if ((PG_RUNNING)); then
		stop_postgres || log "could not stop the throwaway PostgreSQL cluster in $PG_DATA"
	fi
	if ((${#CLEANUP_DIRS[@]})); then
		rm -rf -- "${CLEANUP_DIRS[@]}"
	fi
	exit "$rc"
}

# Runs an awda command with a time limit; its output goes to a log that is shown only if
# it fails (load_demo's lists the logins and the password).
awda_step() {
	local limit=$1 started=$SECONDS
	shift
	if ! timeout --foreground --kill-after=10 "$limit" "$VENV_BIN/awda" "$@" \
		>>"$WORK/setup.log" 2>&1; then
		tail -n 40 "$WORK/setup.log" >&2
		die "awda $1 failed or took longer than $limit s"
	fi
	log "awda $1: $((SECONDS - started)) s"
}

start_server() {
	local port=$1 extra=() help
	help=$("$VENV_BIN/gunicorn" --help 2>/dev/null || true)
	if [[ $help == *--no-control-socket* ]]; then
		extra+=(--no-control-socket)
	fi
	SERVER_LOG=$WORK/server.log
	# No --access-logfile: gunicorn writes no access log at all. The error log (start,
	# stop, tracebacks of server errors) stays in the temporary directory. Idle
	# connections are kept longer than a think time, as a reverse proxy in front would.
	"$VENV_BIN/gunicorn" awda.wsgi:application \
		--bind "127.0.0.1:$port" \
		--workers "$WORKERS" --threads "$THREADS" \
		--timeout 60 --graceful-timeout 5 --keep-alive 30 \
		--error-logfile "$SERVER_LOG" \
		${extra[@]+"${extra[@]}"} &
	SERVER_PID=$!
	for _ in $(seq 120); do
		if "$VENV_BIN/python" - "http://127.0.0.1:$port/healthz" <<'EOF' 2>/dev/null; then
import sys
import urllib.request

with urllib.request.urlopen(sys.argv[1], timeout=2) as response:  # noqa: S310
    sys.exit(0 if response.status == 200 else 1)
EOF
			return 0
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.5
	done
	tail -n 40 "$SERVER_LOG" >&2 || true
	die "gunicorn did not answer on 127.0.0.1:$port"
}

main() {
	cd "$ROOT"
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	[[ -x $VENV_BIN/awda ]] || die "no .venv here; run \`make bench-load\` (or \`make install\`)"
	[[ $USERS =~ ^[1-9][0-9]*$ ]] || die "BENCH_LOAD_USERS must be a whole number above 0"
	[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "BENCH_LOAD_SECONDS must be a whole number above 0"

	WORK=$(mktemp -d "${TMPDIR:-/tmp}/awda-load.XXXXXXXX")
	CLEANUP_DIRS+=("$WORK")
	ensure_pdf_libraries
	find_postgres
	start_bench_postgres
	log "PostgreSQL $(postgres_major "$PG_URL") on ${PG_URL##*@}"

	# A demo instance: made-up people only, and two-factor login off so that the virtual
	# users log in with a password. Production settings otherwise (no DEBUG).
	unset DEBUG AWDA_REQUIRE_2FA SECRET_KEY ALLOWED_HOSTS
	export AWDA_DEMO=1 AWDA_VAR_DIR=$WORK/var DATABASE_URL=$PG_URL
	export SECRET_KEY_FILE=$WORK/secret-key AWDA_DEMO_PASSWORD
	AWDA_DEMO_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
	(
		umask 077
		python3 -c 'import secrets; print(secrets.token_urlsafe(50))' >"$SECRET_KEY_FILE"
	)
	mkdir -p "$AWDA_VAR_DIR"

	log "migrating, loading places, centres and a demo programme of $HOUSEHOLDS households"
	awda_step 600 migrate --noinput -v0
	awda_step 300 collectstatic --noinput -v0
	awda_step 600 load_places
	awda_step 300 load_centres
	awda_step 1800 load_demo --households "$HOUSEHOLDS"

	local port
	port=$(free_port)
	DATABASE_CONN_MAX_AGE=$CONN_MAX_AGE start_server "$port"
	log "gunicorn on 127.0.0.1:$port, $WORKERS workers x $THREADS threads, no access log"

	printf '\nAwda load test: a demo instance (AWDA_DEMO=1: made-up people, two-factor login off\n'
	printf 'so that the virtual users log in with a password; otherwise production settings).\n'
	local rc=0 postmaster
	postmaster=$(head -n 1 "$PG_DATA/postmaster.pid")
	BENCH_LOAD_URL=http://127.0.0.1:$port BENCH_LOAD_USERS=$USERS BENCH_LOAD_SECONDS=$DURATION \
		BENCH_LOAD_SERVER="gunicorn $WORKERS workers x $THREADS threads, database connections kept $CONN_MAX_AGE s" \
		BENCH_LOAD_SERVER_PIDS="$SERVER_PID $postmaster" \
		timeout --foreground --kill-after=10 $((DURATION + GRACE)) "$VENV_BIN/python" "$ROOT/bench/load.py" ||
		rc=$?
	if ((rc == 124 || rc == 137)); then
		die "the load did not stop by itself within $((DURATION + GRACE)) s; the watchdog ended it"
	fi
	if grep -q "Traceback" "$SERVER_LOG"; then
		log "the server logged errors (synthetic data only); the first ones:"
		grep -m 5 -A 3 "Error\|Traceback" "$SERVER_LOG" >&2 || true
	fi
	return "$rc"
}

main "$@"
