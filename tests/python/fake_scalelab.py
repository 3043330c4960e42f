#!/usr/bin/python3
"""A stand-in for the scalelab binary in unit tests (no root, no kernel): records each call as a
JSON line in $FAKE_SCALELAB_LOG and answers as the real CLI's --json forms do. FAKE_SCALELAB_FAIL=VERB
makes VERB fail with a JSON error (FAKE_SCALELAB_KIND, default "error")."""
import json
import os
import sys

argv = sys.argv[1:]
verb = argv[0] if argv else ""
log = os.environ.get("FAKE_SCALELAB_LOG")
if log:
    with open(log, "a") as f:
        f.write(json.dumps({"argv": argv, "rootless": os.environ.get("SCALELAB_ROOTLESS"),
                            "errors": os.environ.get("SCALELAB_ERRORS")}) + "\n")


def error(kind, message, status=1, file="", pointer="", fix=""):
    text = f"{file}: {pointer}: {message}" if file else message
    print(json.dumps({"error": {"kind": kind, "file": file, "pointer": pointer, "message": message, "fix": fix,
                                "text": text, "status": status}}), file=sys.stderr)
    sys.exit(status)


if os.environ.get("FAKE_SCALELAB_FAIL") == verb:
    error(os.environ.get("FAKE_SCALELAB_KIND", "error"), f"{verb} failed (fake)")

positional = [a for a in argv[1:] if not a.startswith("-")]
name = argv[argv.index("--name") + 1] if "--name" in argv else (positional[0] if positional else "")
if verb == "up":
    print(json.dumps({"cluster": name, "seconds": 0.01, "namespaces": 7, "cluster_file": f"/run/scalelab/{name}/cluster.json"}))
elif verb == "status":
    if "--json" in argv:
        print(json.dumps({"cluster": name, "state": "up", "nodes": [
            {"node": "gpu0", "rank": 0, "kind": "gpu", "interfaces": [{"ifname": "nic0", "up": True, "carrier": True}]},
            {"node": "gpu1", "rank": 1, "kind": "gpu", "interfaces": [{"ifname": "nic0", "up": False, "carrier": False}]}]}))
    else:
        print(f"cluster {name}: up (fake status text)")
elif verb == "down":
    print(json.dumps({"cluster": name, "found": True, "namespaces_removed": 7, "processes_stopped": 0}))
elif verb == "inject":
    print(json.dumps({"cluster": name, "action": positional[1], "links": ["gpu1-leaf1"], "nics": [], "rerouted": None}))
elif verb == "bench":
    path = argv[argv.index("--json") + 1]
    with open(path, "w") as f:
        json.dump({"rows": [{"size": 65536, "count": 16384, "type": "float", "busbw_GBps": 0.04, "stages": [], "new_field": 1}]}, f)
elif verb == "run":
    cmd = argv[argv.index("--") + 1:]
    ranks = [{"rank": r, "node": f"gpu{r}", "status": 0 if r != 1 else 3, "stopped": False, "output": [" ".join(cmd)]} for r in range(2)]
    print(json.dumps({"cluster": name, "ok": False, "timed_out": False, "interrupted": False, "ranks": ranks}))
    sys.exit(3)
elif verb == "exec":
    sys.exit(int(os.environ.get("FAKE_SCALELAB_EXEC_STATUS", "0")))
else:
    error("usage", f"fake: unknown verb {verb}", 106)
