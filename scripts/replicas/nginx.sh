#!/bin/sh
# What docker-library/nginx's docker-entrypoint.sh leads to: the master process starts as root
# (binds :80, opens its logs, creates its temporary directories for the worker user) and its
# workers run as the configured user (www-data here, nginx in the official image).
set -e
echo 'sdocker replica: nginx' > /var/www/html/index.html
exec "$@"
