# Sourced by the scripts: puts the Swift toolchain on PATH and installs missing system packages.
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
command -v swift >/dev/null 2>&1 || { echo "error: the Swift toolchain (swift) is not on PATH" >&2; exit 1; }
bash "$(dirname "${BASH_SOURCE[0]}")/install-deps.sh"
