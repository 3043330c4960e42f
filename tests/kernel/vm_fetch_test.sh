#!/bin/sh
# Resolves and caches the kernel (the other kernel tests' fixture): a capable kernel >= 7.1,
# its manifest's SHA-256 match the .debs, and a second resolve uses the cache without fetching.
. "$(dirname "$0")/lib.sh"
require_vm
start=$(date +%s.%N)
"$VM" vm --fetch > /tmp/scalelab-vm-fetch.json || fail "scalelab vm --fetch"
end=$(date +%s.%N)
python3 - "$start" "$end" <<'PY' || fail "manifest check"
import hashlib, json, os, sys
m = json.load(open("/tmp/scalelab-vm-fetch.json"))
up = [int(x) for x in m["upstream"].split(".")]
assert up >= [7, 1], f"kernel {m['upstream']} is older than 7.1"
for p in m["packages"]:
    h = hashlib.sha256(open(os.path.join(m["dir"], p["file"]), "rb").read()).hexdigest()
    assert h == p["sha256"], f"{p['file']}: {h} != {p['sha256']}"
for f in ("vmlinux", "initramfs"):
    h = hashlib.sha256(open(os.path.join(m["dir"], m[f]), "rb").read()).hexdigest()
    assert h == m[f + "_sha256"], f
names = [p["name"] for p in m["packages"]]
print(f"kernel {m['abi']} from {m['suite']} ({m['debian_version']}): {', '.join(names)}")
if m["fetched"]:
    print(f"fetched {m['downloaded_bytes']/1e6:.1f} MB in {m['download_seconds']:.1f} s, prepared in {m['prepare_seconds']:.1f} s")
else:
    print(f"from the cache, checked in {m['verify_seconds']:.2f} s")
print(f"--fetch took {float(sys.argv[2]) - float(sys.argv[1]):.1f} s")
PY
# A second resolve must come from the cache.
"$VM" vm --fetch | grep -q '"fetched": false' || fail "a second --fetch downloaded again"
echo "PASS"
