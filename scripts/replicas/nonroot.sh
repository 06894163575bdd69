#!/bin/sh
# An image that runs as a non-root USER (app): it serves its own directory on an unprivileged port.
set -e
echo 'sdocker replica: nonroot' > "$HOME/index.html"
exec busybox httpd -f -p 8080 -h "$HOME"
