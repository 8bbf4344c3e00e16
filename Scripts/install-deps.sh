#!/usr/bin/env bash
# Installs the Debian packages the build needs, if any are missing.
# Needs root (or sudo) only when something is missing.
set -euo pipefail
packages=(libprotobuf-c-dev zlib1g-dev libopenblas-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "error: swift not found; install Swift 6.3 (https://swift.org/install)" >&2; exit 1; }
