#!/bin/sh
# Lints hvlab: ESLint with typescript-eslint (complexity, size and unused-code rules) and knip
# (unused files, exports and dependencies). The lint tools live in tools/lint with a lockfile of
# their own, because typescript-eslint needs a TypeScript older than the one hvlab compiles with;
# they are installed there on first use.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x tools/lint/node_modules/.bin/eslint ] || [ tools/lint/package-lock.json -nt tools/lint/node_modules/.package-lock.json ]; then
  npm ci --prefix tools/lint --no-audit --no-fund --silent
fi
tools/lint/node_modules/.bin/eslint --config tools/lint/eslint.config.js hv devices bench test
tools/lint/node_modules/.bin/knip --config tools/lint/knip.json --no-progress
