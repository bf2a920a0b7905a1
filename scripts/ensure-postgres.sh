#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 and that the
# postgres user can connect over TCP without a password (development and
# test set-up). Idempotent, and quiet when PostgreSQL already runs.
#
# Order: something answers → done. Else install Debian's server if it is
# missing, start the first cluster, wait for it, and allow trust auth for
# postgres on loopback if a password is demanded.
set -euo pipefail

HOST=127.0.0.1
PORT=5432

log() { echo "ensure-postgres: $*"; }

# A database of one's own (MICBOARD_DATABASE_URL / MICBOARD_TEST_DATABASE_URL)
# is not ours to install or start.
if [ -n "${MICBOARD_TEST_DATABASE_URL:-}${MICBOARD_DATABASE_URL:-}" ]; then
	exit 0
fi

answers() {
	command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$HOST" -p "$PORT" -t 2
}

can_login() {
	command -v psql >/dev/null 2>&1 || return 1
	psql "postgresql://postgres@$HOST:$PORT/postgres?sslmode=disable&connect_timeout=3" -w -Atqc 'SELECT 1' >/dev/null 2>&1
}

if answers; then
	if can_login; then
		exit 0
	fi
fi

export DEBIAN_FRONTEND=noninteractive
if [ ! -d /etc/postgresql ] || [ -z "$(ls -A /etc/postgresql 2>/dev/null)" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
	if ! command -v apt-get >/dev/null 2>&1; then
		log "PostgreSQL does not answer on $HOST:$PORT and apt-get is not available to install it" >&2
		exit 1
	fi
	log "installing PostgreSQL (apt-get)"
	apt-get update -qq
	apt-get install -y -qq postgresql >/dev/null
fi

VERSION=$(ls /etc/postgresql | sort -V | head -1)
if ! answers; then
	log "starting PostgreSQL $VERSION"
	pg_ctlcluster --skip-systemctl-redirect "$VERSION" main start || true
fi

for _ in $(seq 1 60); do
	answers && break
	sleep 0.5
done
if ! answers; then
	log "PostgreSQL $VERSION did not start; see /var/log/postgresql/postgresql-$VERSION-main.log" >&2
	exit 1
fi

if ! can_login; then
	# A fresh Debian cluster asks for a password over TCP; this machine is a
	# development or test box, so let postgres in from loopback.
	HBA=/etc/postgresql/$VERSION/main/pg_hba.conf
	if [ -f "$HBA" ] && ! grep -q '^# micboard: trust loopback' "$HBA"; then
		log "allowing postgres to connect from loopback without a password ($HBA)"
		tmp=$(mktemp)
		{
			echo "# micboard: trust loopback (development and test set-up)"
			echo "host    all    postgres    127.0.0.1/32    trust"
			echo "host    all    postgres    ::1/128         trust"
			cat "$HBA"
		} >"$tmp"
		cat "$tmp" >"$HBA"
		rm -f "$tmp"
		pg_ctlcluster --skip-systemctl-redirect "$VERSION" main reload
		sleep 1
	fi
	if ! can_login; then
		log "PostgreSQL answers but user postgres cannot log in over TCP; set MICBOARD_DATABASE_URL and MICBOARD_TEST_DATABASE_URL" >&2
		exit 1
	fi
fi
log "PostgreSQL $VERSION is ready on $HOST:$PORT"
