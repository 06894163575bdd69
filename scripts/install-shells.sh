#!/usr/bin/env bash
# Installs the shells whose completion scripts the tests drive for real (bash with Debian's
# bash-completion, which the bash script uses as every bash user has it; zsh; fish), from
# Debian's packages, only when one is absent. Needs root (CI runs test.sh as root); anyone else
# gets a message and the tests that need a missing shell skip loudly (or fail with CI=true).
set -euo pipefail

missing=()
for sh in bash zsh fish; do
  command -v "$sh" >/dev/null 2>&1 || missing+=("$sh")
done
[ -f /usr/share/bash-completion/bash_completion ] || missing+=(bash-completion)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-shells: bash (with bash-completion), zsh and fish are present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-shells: ${missing[*]} missing and not root: install them with apt-get install ${missing[*]}" >&2
  exit 0
fi
echo "install-shells: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Another apt may hold the lock (other jobs on the machine): wait for it rather than fail.
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >/dev/null ||
  { apt-get -o DPkg::Lock::Timeout=600 update >/dev/null &&
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >/dev/null; }
echo "install-shells: ${missing[*]} installed"
