#!/bin/sh
# Install the Debian packages tandem needs to build, test and demo.
# No-op when everything is present; apt-get update runs once, only when
# something is missing. Without root (and without sudo) it prints the
# missing packages and the command, and fails.
set -u
pkgs="${DEB_BUILD:-} ${DEB_TEST:-}"
missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
echo "deps: missing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root; install them with:"
	echo "  sudo apt-get update && sudo apt-get install -y$missing"
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || { echo "deps: apt-get update failed"; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	{ echo "deps: apt-get install failed for:$missing"; exit 1; }
echo "deps: installed:$missing"
