#!/bin/sh
# A Debian base used the way people use debian:bookworm: apt-get update and install as root. apt
# downloads as _apt (setgroups, setresgid, setresuid to drop to it) and dpkg sets owners and modes.
set -e
[ $# -gt 0 ] || set -- hello
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
echo "sdocker replica: installed $*"
