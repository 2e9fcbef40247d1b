#!/bin/sh
# Starts a throw-away 3-master Redis Cluster on 127.0.0.1:7001-7003 for the
# redisstore tests. Idempotent: if the cluster already reports
# cluster_state:ok, nothing is done.
#
#   scripts/redis-cluster.sh         start (or verify) the cluster
#   scripts/redis-cluster.sh stop    shut the three nodes down (no save)
#
# The node config files live in $REDIS_CLUSTER_DIR (default
# /tmp/flaskgo-redis-cluster); nothing is persisted (--save "", no AOF).
set -eu

PORTS="7001 7002 7003"
DIR="${REDIS_CLUSTER_DIR:-/tmp/flaskgo-redis-cluster}"
HOST=127.0.0.1

rcli() { port=$1; shift; redis-cli -h "$HOST" -p "$port" "$@" 2>/dev/null | tr -d '\r'; }

state() { rcli 7001 cluster info | sed -n 's/^cluster_state://p'; }

if [ "${1:-start}" = stop ]; then
	for p in $PORTS; do
		rcli "$p" shutdown nosave >/dev/null || true
	done
	echo "redis cluster on ports $PORTS stopped"
	exit 0
fi

command -v redis-server >/dev/null || { echo "redis-server not found (apt-get install -y redis-server)" >&2; exit 1; }

if [ "$(state)" = ok ]; then
	echo "redis cluster already up (cluster_state:ok)"
	exit 0
fi

mkdir -p "$DIR"
for p in $PORTS; do
	if [ "$(rcli "$p" ping)" != PONG ]; then
		redis-server --port "$p" --bind "$HOST" --cluster-enabled yes \
			--cluster-config-file "$DIR/nodes-$p.conf" \
			--daemonize yes --save "" --appendonly no --dir "$DIR" \
			--logfile "$DIR/redis-$p.log" --pidfile "$DIR/redis-$p.pid"
	fi
done

# Wait for the nodes to answer.
i=0
for p in $PORTS; do
	until [ "$(rcli "$p" ping)" = PONG ]; do
		i=$((i + 1))
		[ $i -le 100 ] || { echo "node $p did not start; see $DIR/redis-$p.log" >&2; exit 1; }
		sleep 0.1
	done
done

# Create the cluster only if no slot is assigned yet; otherwise the nodes
# were already joined and are still converging.
assigned=$(rcli 7001 cluster info | sed -n 's/^cluster_slots_assigned://p')
if [ "${assigned:-0}" = 0 ]; then
	redis-cli --cluster create $(for p in $PORTS; do printf '%s:%s ' "$HOST" "$p"; done) \
		--cluster-replicas 0 --cluster-yes >"$DIR/create.log" 2>&1 ||
		{ cat "$DIR/create.log" >&2; exit 1; }
fi

i=0
until [ "$(state)" = ok ]; do
	i=$((i + 1))
	[ $i -le 300 ] || { echo "cluster_state did not become ok in 30s" >&2; rcli 7001 cluster info >&2; exit 1; }
	sleep 0.1
done
echo "redis cluster up on $(echo $PORTS | sed "s/\([0-9]*\)/$HOST:\1/g") (cluster_state:ok)"
