#!/bin/sh
# What docker-library/postgres's docker-entrypoint.sh does to set itself up: as root, create the
# data and socket directories, give them to postgres (find ! -user postgres -exec chown), set
# their modes, then re-exec itself as postgres with gosu; as postgres, initdb on first start,
# listening on every address of the container as the official image's configuration does.
set -e
export PGDATA="${PGDATA:-/var/lib/postgresql/data}" PATH="/usr/lib/postgresql/15/bin:$PATH"
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chmod 00700 "$PGDATA"
	chmod 03775 /var/run/postgresql
	find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
	find /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
	exec gosu postgres "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	initdb --username=postgres --auth=trust -D "$PGDATA" >/dev/null
	# The official image's sample configuration listens on every address of the container.
	echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
fi
exec "$@"
