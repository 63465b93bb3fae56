#!/usr/bin/env bash
# Builds the QuickFIX "executor" example (a FIX acceptor that fills every limit order) from
# Debian's libquickfix-doc into .cache/quickfix/executor, for the fix venue's integration test.
# Idempotent: installs the Debian packages only when missing and rebuilds only when the
# package version changed. The executor's source is never copied into the repository: it is
# read from the installed package at build time. Prints the executable's path on success.
set -euo pipefail
cd "$(dirname "$0")/.."

out=.cache/quickfix
executable="$out/executor"
examples=/usr/share/doc/libquickfix-doc/examples/executor/C++
packages=(libquickfix-dev libquickfix-doc g++)

log() { printf '[quickfix] %s\n' "$*" >&2; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
for package in "${packages[@]}"; do installed "$package" || missing+=("$package"); done
if ((${#missing[@]} > 0)); then
  sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || { log "need root (or sudo) to install ${missing[*]}"; exit 1; }
    sudo=(sudo)
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null \
    || { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; }
fi

version="$(dpkg-query -W -f='${Version}' libquickfix-doc)+$(dpkg-query -W -f='${Version}' libquickfix-dev)"
if [[ -x "$executable" && -f "$out/executor.version" && "$(cat "$out/executor.version")" == "$version" ]]; then
  echo "$executable"
  exit 0
fi

build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
for name in executor.cpp Application.h Application.cpp; do
  if [[ -f "$examples/$name" ]]; then cp "$examples/$name" "$build/$name"
  elif [[ -f "$examples/$name.gz" ]]; then gzip -dc "$examples/$name.gz" > "$build/$name"
  else log "$examples/$name is missing from libquickfix-doc $version"; exit 1
  fi
done
# The example includes the autotools config.h of the QuickFIX source tree; nothing in it is needed.
: > "$build/config.h"

log "building the executor from libquickfix-doc $version"
mkdir -p "$out"
# C++11: the example declares dynamic exception specifications, which C++17 removed.
g++ -std=c++11 -O1 -w -I"$build" -o "$executable.tmp" "$build/executor.cpp" "$build/Application.cpp" -lquickfix -lpthread
mv "$executable.tmp" "$executable"
printf '%s' "$version" > "$out/executor.version"
echo "$executable"
