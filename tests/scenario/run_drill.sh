#!/bin/sh
# Runs a shipped drill under a cluster name of this run's own, so a cluster of the topology's
# name that is already up on the machine (a user's, or one an earlier run lost) neither fails
# the drill nor gets touched by it.
set -eu
bin=$1 file=$2 report=$3
stem=$(basename "$file" .json)
name=$(printf 'dr%s-%s' "$$" "$stem" | cut -c1-24 | sed 's/-*$//')
exec "$bin" run-scenario "$file" --name "$name" --report "$report"
