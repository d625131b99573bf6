#!/usr/bin/env bash
# Replays issue 16's adversarial figures against phusong before and after a change, side by
# side (see main.go): builds the binary of a git ref (default c51ca80, the commit before the
# hardening) and of the working tree, then runs both, alternated.
#
#   bash bench/hostile/run.sh [REF] [flags of main.go: -reps 3 -only memory,fair,slow,cache,readers]
#
# Needs: go, git, and static/vendor (make vendor) in the working tree. Loopback only; about
# 25 minutes for 3 repetitions on 2 cores; the memory scenario peaks near 5 GB on the old side.
set -euo pipefail
cd "$(dirname "$0")/../.."
ref=c51ca80
if [[ $# -gt 0 && $1 != -* ]]; then
  ref=$1
  shift
fi
[[ -f static/vendor/leaflet/leaflet.js ]] || make vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/before"
git archive "$ref" | tar -x -C "$work/before"
cp -R static/vendor "$work/before/static/"
(cd "$work/before" && go build -o "$work/phusong-before" ./cmd/phusong)
go build -o "$work/phusong-after" ./cmd/phusong
go build -o "$work/hostile" ./bench/hostile
echo "before: $ref ($(git rev-parse --short "$ref")); after: the working tree at $(git rev-parse --short HEAD)$(git diff --quiet || echo ' + changes')"
"$work/hostile" -before "$work/phusong-before" -after "$work/phusong-after" "$@"
