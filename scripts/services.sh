#!/usr/bin/env bash
# Makes sure every service the tests use is running on loopback: PostgreSQL,
# MariaDB, Redis (single node and a 3-master cluster) and memcached. Idempotent:
# a running service is left alone. Debian packages are installed by .ci/run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # port name
  for _ in $(seq 1 60); do listening "$1" && return 0; sleep 0.5; done
  echo "services: $2 did not start on port $1" >&2
  return 1
}

if ! listening 5432; then
  echo "services: starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  fi
  wait_for 5432 PostgreSQL
fi
# The tests connect as postgres (trust) to database test.
if command -v psql >/dev/null; then
  if ! psql -h 127.0.0.1 -U postgres -tAc 'select 1' test >/dev/null 2>&1; then
    su postgres -c "psql -tAc 'create database test'" >/dev/null 2>&1 || true
  fi
fi

if ! listening 3306; then
  echo "services: starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=root 2>/dev/null \
    || start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_for 3306 MariaDB
fi
if command -v mariadb >/dev/null; then
  mariadb -uroot -h127.0.0.1 -e 'create database if not exists test' >/dev/null 2>&1 || true
fi

if ! listening 6379; then
  echo "services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for 6379 Redis
fi

bash "$here/memcached.sh"
bash "$here/redis-cluster.sh"
echo "services: PostgreSQL, MariaDB, Redis, Redis Cluster and memcached are up"
