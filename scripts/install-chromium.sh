#!/usr/bin/env bash
# Installs Debian's Chromium, which the audit's HTML report test drives headless (it loads the
# report, reads what a reader sees and takes a screenshot), only when it is absent. Needs root
# (CI runs test.sh as root); anyone else gets a message and the test skips loudly (or fails
# with CI=true).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  echo "install-chromium: chromium is present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-chromium: chromium missing and not root: install it with apt-get install chromium" >&2
  exit 0
fi
echo "install-chromium: installing chromium"
export DEBIAN_FRONTEND=noninteractive
# Another apt may hold the lock (other jobs on the machine): wait for it rather than fail.
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null ||
  { apt-get -o DPkg::Lock::Timeout=600 update >/dev/null &&
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null; }
echo "install-chromium: chromium installed"
