#!/usr/bin/env bash
# Installs Debian's OpenSSH server and client for the ssh:// daemon tests, only when sshd or ssh
# is missing (root only). The tests start their own sshd on 127.0.0.1 with keys they make.
set -euo pipefail
if command -v ssh >/dev/null 2>&1 && { command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ]; }; then
  echo "install-ssh: ssh and sshd are present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-ssh: sshd or ssh is missing and we are not root; install openssh-server and openssh-client" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq openssh-server openssh-client >/dev/null
# The package starts a system sshd on port 22; the tests need none.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now ssh >/dev/null 2>&1 || true; fi
echo "install-ssh: installed $(ssh -V 2>&1)"
