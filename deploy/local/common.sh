# Shared by start.sh, test.sh and stack.sh: install what is missing, once.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

ensure_deps() {
  # Reinstall when the lockfile changed since the last install.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    # `npm install`, not `npm ci`: the lockfile pins versions, but @swc/core's optional binaries for
    # other platforms are not in it (this registry does not serve them), which `npm ci` refuses.
    echo "[setup] installing npm dependencies (npm install)" >&2
    npm install --no-audit --no-fund --loglevel=error >&2
  fi
}

ensure_build() {
  # Rebuild when any source is newer than the last build.
  if [ ! -f dist/.built ] || [ -n "$(find src apps libs tsconfig.json tsconfig.build.json nest-cli.json -newer dist/.built -type f -print -quit)" ]; then
    echo "[setup] building (nest build)" >&2
    npx nest build >&2
    touch dist/.built
  fi
}
