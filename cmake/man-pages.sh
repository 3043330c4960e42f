#!/bin/sh
# man pages from the CLI's own --help (help2man): scalelab.1 and scalelab-VERB.1 for every verb
# `scalelab --help` lists, so a new verb gets its page without touching this script.
# Usage: man-pages.sh SCALELAB_BINARY OUTDIR VERSION
set -eu
bin=$1 out=$2 version=$3
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
help2man --no-info --no-discard-stderr --version-string="$version" -n "an AI GPU cluster emulated on one Linux machine" \
  -N "$bin" -o "$out/scalelab.1"
"$bin" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF { print $1 }' > "$work/verbs"
while read -r verb; do
  # help2man runs a program; this one is `scalelab VERB`, named as the page should be.
  printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$bin" "$verb" > "$work/scalelab-$verb"
  chmod +x "$work/scalelab-$verb"
  summary=$("$bin" --help | awk -v v="$verb" '$1 == v { $1 = ""; sub(/^ +/, ""); print; exit }')
  help2man --no-info --no-discard-stderr --version-string="$version" -n "$summary" -N "$work/scalelab-$verb" \
    -o "$out/scalelab-$verb.1"
done < "$work/verbs"
