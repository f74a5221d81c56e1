#!/bin/sh
# Runs a project script (`npm start`, `npm test`, `npm run bench`, …) on the project's Node (the major in
# .nvmrc, fetched into .local/node when the machine's is older) with the npm dependencies installed
# for it. Everything the script starts finds that Node first on PATH.
#
#   sh tools/scripts/with-node.sh <script.cjs> [args…]
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
eval "$(node "$root/tools/scripts/node-runtime.cjs")"
node "$root/tools/scripts/ensure-deps.cjs"
exec node "$@"
