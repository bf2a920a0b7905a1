#!/usr/bin/env bash
# Redis is optional for Micboard (the cache is in-memory without it). This
# starts an installed Redis that is not running, and in CI, where the cache
# tests must run against Redis too, installs it when missing. It never fails
# the build outside CI; quiet when Redis already answers.
set -euo pipefail

answers() {
	if command -v redis-cli >/dev/null 2>&1; then
		redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG
	else
		(exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null
	fi
}

answers && exit 0

if ! command -v redis-server >/dev/null 2>&1; then
	[ -n "${CI:-}" ] || exit 0
	echo "ensure-redis: installing Redis for the cache tests (CI)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq redis-server >/dev/null || {
		echo "ensure-redis: could not install redis-server" >&2
		exit 1
	}
fi

echo "ensure-redis: starting Redis on 127.0.0.1:6379"
mkdir -p /var/lib/redis /var/log/redis
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
	--dir /var/lib/redis --logfile /var/log/redis/micboard.log >/dev/null
for _ in $(seq 1 20); do
	answers && exit 0
	sleep 0.25
done
echo "ensure-redis: Redis did not start; see /var/log/redis/micboard.log" >&2
[ -z "${CI:-}" ] || exit 1
