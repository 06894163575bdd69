#!/bin/sh
# What docker-library/redis's docker-entrypoint.sh does: as root, give the working directory's
# files to redis (find . ! -user redis -exec chown redis), then re-exec as redis with gosu.
set -e
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
	find . \! -user redis -exec chown redis '{}' +
	exec gosu redis "$0" "$@"
fi
umask 0077
exec "$@"
