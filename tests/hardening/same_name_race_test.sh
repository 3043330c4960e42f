#!/usr/bin/env bash
# Two (here: eight) `up`s of the same name started at the same instant (issue 15 point 5): exactly
# one cluster comes up, every other command fails with a clear "already" error and builds
# nothing, and one `down` leaves nothing. The start is a shared barrier (a fifo all of them wait
# on), so they race for real.
set -euo pipefail
build=$(cd "$1" && pwd) source=$(cd "$2" && pwd)
racers=${3:-8}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (it builds clusters)" >&2; exit 77; }
sl=$build/scalelab
name=race-$$
tmp=$(mktemp -d /tmp/sl-race.XXXXXX)
trap '"$sl" down "$name" > /dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
sed "s/\"name\": \"tiny\"/\"name\": \"$name\"/" "$source/topologies/tiny.json" > "$tmp/topo.json"
mkfifo "$tmp/go"
pids=()
for i in $(seq "$racers"); do
  ( cat "$tmp/go" > /dev/null; exec "$sl" up "$tmp/topo.json" > "$tmp/out-$i" 2>&1 ) &
  pids+=($!)
done
# Every racer blocks opening the fifo until a writer does; closing it ends their reads at once.
exec 3> "$tmp/go"
sleep 0.2
exec 3>&-
ok=0 refused=0
for i in $(seq "$racers"); do
  if wait "${pids[$((i - 1))]}"; then ok=$((ok + 1)); else
    refused=$((refused + 1))
    grep -qi "already" "$tmp/out-$i" || { cat "$tmp/out-$i"; echo "FAIL: racer $i failed without saying the name is taken" >&2; exit 1; }
  fi
done
echo "racers: $racers, up: $ok, refused: $refused"
[ "$ok" -eq 1 ] || { cat "$tmp"/out-*; echo "FAIL: $ok clusters came up, not exactly one" >&2; exit 1; }
[ "$(ls /run/netns | grep -c "^sl-$name-")" -eq 9 ] || { echo "FAIL: the winner's 9 namespaces are not all there" >&2; exit 1; }
"$sl" down "$name" > /dev/null
[ -z "$(ls /run/netns | grep "^sl-$name-" || true)" ] && [ ! -e "/run/scalelab/$name" ] ||
  { echo "FAIL: down left namespaces or the record of $name" >&2; exit 1; }
echo "same-name race: ok"
