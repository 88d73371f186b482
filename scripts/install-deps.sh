#!/usr/bin/env bash
# Installs the system packages the build and tests need, on Debian, when they are missing.
# The Swift toolchain itself is assumed (SWIFT at /opt/swift or on PATH).
set -euo pipefail

# libxml2: FoundationXML's parser, which the tests use to check eipctl simulate's SVG is well-formed XML.
# zsh, fish: the tests source `eipctl completion zsh|fish` in the shells themselves.
packages=(libcurl4-openssl-dev libssl-dev openssl ca-certificates curl prometheus libxml2 zsh fish)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
