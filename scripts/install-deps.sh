#!/usr/bin/env bash
# Installs, on Debian or Ubuntu, the system packages a command needs and says which; installs nothing
# that is already there. The Swift toolchain itself is assumed (at /opt/swift or on PATH).
#   install-deps.sh build   what building needs: the headers of libcurl (the Kubernetes client) and
#                           OpenSSL (the TLS listener of the emulator and the operator's endpoints)
#   install-deps.sh test    (the default) that, plus what the tests run: openssl and curl (certificates
#                           and a second HTTP client), ca-certificates, Debian's Prometheus server (the
#                           Prometheus source's end-to-end tests), libxml2 (FoundationXML, to check SVGs)
set -euo pipefail
build=(libcurl4-openssl-dev libssl-dev)
case "${1:-test}" in
  build) packages=("${build[@]}") ;;
  # zsh, fish: the tests source `eipctl completion zsh|fish` in the shells themselves.
  test) packages=("${build[@]}" openssl ca-certificates curl prometheus libxml2 zsh fish) ;;
  *) echo "usage: install-deps.sh [build|test]" >&2; exit 2 ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-deps: ${missing[*]} missing; run as root or install sudo" >&2; exit 1; }
    SUDO="sudo"
  fi
  echo "install-deps: installing ${missing[*]} (apt-get)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
