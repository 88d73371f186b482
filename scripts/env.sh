# Sourced by the scripts: puts the Swift toolchain on PATH and installs missing system packages:
# those of EIP_DEPS (install-deps.sh: build, or test, the default).
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
command -v swift >/dev/null 2>&1 || { echo "error: the Swift toolchain (swift) is not on PATH" >&2; exit 1; }
# The toolchain the project is tested with (.swift-version, as swiftly reads it; the Dockerfile builds with it).
tested_swift=$(cat "$(dirname "${BASH_SOURCE[0]}")/../.swift-version" 2>/dev/null || true)
if [ -n "$tested_swift" ] && ! swift --version 2>/dev/null | grep -q "Swift version $tested_swift"; then
  echo "warning: this project is tested with Swift $tested_swift; $(swift --version 2>/dev/null | head -1)" >&2
fi
bash "$(dirname "${BASH_SOURCE[0]}")/install-deps.sh" "${EIP_DEPS:-test}"
