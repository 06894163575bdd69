#!/usr/bin/env bash
# Builds offline replicas of the most-pulled official images (postgres, redis, nginx, mariadb, a
# Debian base that runs apt-get install, and a non-root image) from Debian packages, with
# mmdebstrap from this machine's own apt sources, and imports them as sdocker-replica/NAME:current
# with the entrypoint, CMD and USER the official image has. One shared base (minbase, gosu, CA
# certificates) is built first; each replica installs its own packages on top of it. Every root
# filesystem is cached under $SDOCKER_REPLICA_CACHE (default /var/cache/sdocker-replicas), keyed
# by the suite, the sources, the package list and the entrypoint, and so are the downloaded
# packages: a second run imports from the cache, or does nothing when the daemon has the images.
#
# Usage: scripts/build-replicas.sh [NAME…]   (default: all)
set -euo pipefail
cd "$(dirname "$0")"
cache="${SDOCKER_REPLICA_CACHE:-/var/cache/sdocker-replicas}"
mkdir -p "$cache/archives"

if ! command -v mmdebstrap >/dev/null; then
	if [ "$(id -u)" != 0 ]; then
		echo "build-replicas: mmdebstrap is missing; install it (apt-get install mmdebstrap) or run as root" >&2
		exit 1
	fi
	apt-get install -y -q mmdebstrap >/dev/null ||
		{ apt-get update -q >/dev/null && apt-get install -y -q mmdebstrap >/dev/null; }
fi

suite="$(. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}")"
# The machine's own Debian sources (not third-party repositories listed beside them).
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -s "$f" ] && grep -Eq '^(deb |URIs:).*/debian' "$f" && sources+=("$f")
done
if [ "${#sources[@]}" = 0 ]; then
	echo "build-replicas: no Debian apt source found in /etc/apt/sources.list*" >&2
	exit 1
fi

# The shared base: Debian's minbase with what every replica's entrypoint uses (gosu to drop to
# the service user, CA certificates for apt), built once and cached; each replica installs its
# own packages on top of it.
base_pkgs="gosu ca-certificates"
base_key="$( { echo "base v2 $suite $base_pkgs"; cat "${sources[@]}"; } | sha256sum | cut -c1-16)"
base="$cache/base-$base_key.tar"
# The downloaded packages are kept between builds: synced in first, out last.
sync_in=(--setup-hook='mkdir -p "$1"/var/cache/apt/archives' --setup-hook="sync-in $cache/archives /var/cache/apt/archives")
sync_out=(--customize-hook="sync-out /var/cache/apt/archives $cache/archives")
build_base() {
	[ -s "$base" ] && return
	local start=$(date +%s)
	mmdebstrap --quiet --variant=minbase --skip=essential/unlink \
		--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
		--include="${base_pkgs// /,}" "${sync_in[@]}" "${sync_out[@]}" "$suite" "$base.tmp.tar" "${sources[@]}"
	mv "$base.tmp.tar" "$base"
	echo "build-replicas: base: built in $(( $(date +%s) - start )) s"
}

# name|packages added to the base|docker import --change lines (separated by ;;)
replicas=(
	"postgres|postgresql-15|ENV PGDATA=/var/lib/postgresql/data;;ENTRYPOINT [\"/usr/local/bin/docker-entrypoint.sh\"];;CMD [\"postgres\"]"
	"redis|redis-server|WORKDIR /data;;ENTRYPOINT [\"/usr/local/bin/docker-entrypoint.sh\"];;CMD [\"redis-server\", \"--protected-mode\", \"no\"]"
	"nginx|nginx-light|ENTRYPOINT [\"/usr/local/bin/docker-entrypoint.sh\"];;CMD [\"nginx\", \"-g\", \"daemon off;\"]"
	"mariadb|mariadb-server|ENTRYPOINT [\"/usr/local/bin/docker-entrypoint.sh\"];;CMD [\"mariadbd\"]"
	"apt||ENTRYPOINT [\"/usr/local/bin/docker-entrypoint.sh\"];;CMD [\"hello\"]"
	"nonroot|busybox|USER app;;WORKDIR /home/app;;ENV HOME=/home/app;;ENTRYPOINT [\"/usr/local/bin/docker-entrypoint.sh\"]"
)

want=("$@")
for entry in "${replicas[@]}"; do
	IFS='|' read -r name pkgs changes <<<"$entry"
	if [ "${#want[@]}" -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qx "$name"; then
		continue
	fi
	key="$( { echo "v2 $base_key $pkgs $changes"; cat "replicas/$name.sh"; } | sha256sum | cut -c1-16)"
	image="sdocker-replica/$name:$key"
	if docker image inspect "$image" >/dev/null 2>&1; then
		docker tag "$image" "sdocker-replica/$name:current"
		echo "build-replicas: $name: $image (in the daemon)"
		continue
	fi
	tarball="$cache/$name-$key.tar"
	if [ ! -s "$tarball" ]; then
		build_base
		start=$(date +%s)
		hooks=(--setup-hook="mmtarfilter '--path-exclude=/dev/*' < '$base' | tar -C \"\$1\" -x"
			"${sync_in[@]}"
			--customize-hook="upload replicas/$name.sh /usr/local/bin/docker-entrypoint.sh"
			--customize-hook='chroot "$1" chmod 0755 /usr/local/bin/docker-entrypoint.sh')
		if [ -n "$pkgs" ]; then
			hooks+=(--customize-hook="chroot \"\$1\" apt-get install --yes -q --no-install-recommends $pkgs >/dev/null")
		fi
		if [ "$name" = nonroot ]; then
			hooks+=(--customize-hook='chroot "$1" useradd --create-home --uid 10001 --shell /bin/sh app')
		fi
		hooks+=("${sync_out[@]}")
		mmdebstrap --quiet --variant=custom \
			--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
			"${hooks[@]}" "$suite" "$tarball.tmp.tar" "${sources[@]}"
		mv "$tarball.tmp.tar" "$tarball"
		echo "build-replicas: $name: built on the base in $(( $(date +%s) - start )) s"
	fi
	args=()
	IFS=$'\n' read -r -d '' -a lines < <(printf '%s' "${changes//;;/$'\n'}" && printf '\0') || true
	for l in "${lines[@]}"; do args+=(--change "$l"); done
	docker import "${args[@]}" "$tarball" "$image" >/dev/null
	docker tag "$image" "sdocker-replica/$name:current"
	echo "build-replicas: $name: $image (imported)"
done
