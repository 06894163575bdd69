#!/bin/sh
# What docker-library/mariadb's docker-entrypoint.sh does: as root, create the data and socket
# directories and give them to mysql (find ! -user mysql -exec chown mysql:), re-exec as mysql
# with gosu; as mysql, mariadb-install-db on first start, then mariadbd.
set -e
DATADIR=/var/lib/mysql SOCKETDIR=/run/mysqld
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$DATADIR" "$SOCKETDIR"
	find "$DATADIR" \! -user mysql -exec chown mysql: '{}' +
	find "$SOCKETDIR" -maxdepth 0 \! -user mysql -exec chown mysql: '{}' \;
	exec gosu mysql "$0" "$@"
fi
if [ ! -d "$DATADIR/mysql" ]; then
	mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=socket \
		--skip-test-db --skip-name-resolve >/dev/null
fi
exec "$@"
