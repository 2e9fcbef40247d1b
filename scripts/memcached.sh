#!/usr/bin/env bash
# Starts memcached on 127.0.0.1:11211 for the memcachestore tests, unless
# something already listens there. Idempotent.
#
#   scripts/memcached.sh         start (or verify) memcached
#   scripts/memcached.sh stop    stop the memcached this script started
#
# Install with: apt-get install -y memcached
set -eu

HOST=127.0.0.1
PORT=11211
PIDFILE="${MEMCACHED_PIDFILE:-/tmp/flaskgo-memcached.pid}"

listening() {
	# "version" is the cheapest command; any VERSION reply means a server is up.
	if command -v nc >/dev/null 2>&1; then
		printf 'version\r\n' | nc -w 1 "$HOST" "$PORT" 2>/dev/null | grep -q '^VERSION'
	else
		# bash opens TCP connections through /dev/tcp.
		(exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
	fi
}

if [ "${1:-start}" = stop ]; then
	if [ -f "$PIDFILE" ]; then
		kill "$(cat "$PIDFILE")" 2>/dev/null || true
		rm -f "$PIDFILE"
		i=0
		while listening && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
		echo "memcached stopped"
	else
		echo "no $PIDFILE: memcached was not started by this script" >&2
	fi
	exit 0
fi

if listening; then
	echo "memcached already listening on $HOST:$PORT"
	exit 0
fi

command -v memcached >/dev/null || { echo "memcached not found (apt-get install -y memcached)" >&2; exit 1; }
# -I 2m: items up to 2 MiB (default 1 MiB), so the conformance suite's
# 1 MiB session fits with its key and item header.
memcached -d -u root -l "$HOST" -p "$PORT" -m 64 -I 2m -P "$PIDFILE"

i=0
until listening; do
	i=$((i + 1))
	[ $i -le 50 ] || { echo "memcached did not start on $HOST:$PORT" >&2; exit 1; }
	sleep 0.1
done
echo "memcached up on $HOST:$PORT"
