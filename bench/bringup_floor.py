#!/usr/bin/env python3
"""The kernel floor of a bring-up: the objects of `scalelab plan --json` as iproute2 batches.

Usage: bringup_floor.py PLAN_JSON PREFIX OUTDIR
Writes, for namespaces named PREFIX<index> (not sl-, so no `scalelab clean` takes them):
  OUTDIR/links.batch      `ip -batch`: every namespace, bridge and veth pair (both ends created
                           straight in their namespaces, the near end up)
  OUTDIR/ns/<i>.ip         `ip -n PREFIX<i> -batch`: lo and far ends up, bridge ports enslaved,
                           addresses, routes (ECMP where the plan has several next hops)
  OUTDIR/ns/<i>.tc         `tc -n PREFIX<i> -batch`: the htb root and class of every interface
  OUTDIR/down.batch       `ip -batch`: every namespace deleted
  OUTDIR/names            the namespace names, one a line
Sysctls (IPv6 off, forwarding, rps mask) have no iproute2 batch form and are not in the floor.
"""
import json
import os
import sys


def main():
    plan_file, prefix, out = sys.argv[1:4]
    plan = json.load(open(plan_file))
    spaces = plan["namespaces"]
    index = {ns["node"]: i for i, ns in enumerate(spaces)}
    name = lambda i: f"{prefix}{i}"
    os.makedirs(os.path.join(out, "ns"), exist_ok=True)
    links, far, enslave = [], {i: [] for i in range(len(spaces))}, {i: [] for i in range(len(spaces))}
    for i, ns in enumerate(spaces):
        links.append(f"netns add {name(i)}")
    for i, ns in enumerate(spaces):
        if "bridge" in ns:
            links.append(f"link add name br0 netns {name(i)} mtu {ns['bridge']['mtu']} up type bridge")
    for i, ns in enumerate(spaces):
        for iface in ns["interfaces"]:
            peer_node, peer_if = iface["peer"].split(":")
            j = index[peer_node]
            if (i, iface["ifname"]) > (j, peer_if):
                continue  # the pair is made from the other end
            peer = next(p for p in spaces[j]["interfaces"] if p["ifname"] == peer_if)
            # The bridged end is the near one (as scalelab does).
            near, far_end, ni, fj = (iface, peer, i, j) if iface["bridge_port"] or not peer["bridge_port"] else (peer, iface, j, i)
            # `master` names a device of the namespace ip runs in: the near end is enslaved in its own batch.
            if near["bridge_port"]:
                enslave[ni].append(near)
            links.append(f"link add name {near['ifname']} netns {name(ni)} mtu {near['mtu']} up type veth "
                         f"peer name {far_end['ifname']} netns {name(fj)} mtu {far_end['mtu']}")
            far[fj].append(far_end)
    for i, ns in enumerate(spaces):
        ip = ["link set lo up"] + [f"link set {n['ifname']} master br0" for n in enslave[i]]
        for f in far[i]:
            ip.append(f"link set {f['ifname']}" + (" master br0" if f["bridge_port"] else "") + " up")
        if ns.get("bridge", {}).get("address"):
            ip.append(f"addr add {ns['bridge']['address']} dev br0")
        tc = []
        for iface in ns["interfaces"]:
            if iface["address"]:
                ip.append(f"addr add {iface['address']} dev {iface['ifname']}")
            e = iface["egress"]
            tc.append(f"qdisc add dev {iface['ifname']} root handle 1: htb default 1")
            tc.append(f"class add dev {iface['ifname']} parent 1: classid 1:1 htb rate {e['rate_bps']}bit ceil {e['rate_bps']}bit "
                      f"burst {e['burst_bytes']} cburst {e['burst_bytes']} quantum {e['quantum_bytes']}")
        for r in ns["routes"]:
            hops = r["nexthops"]
            if len(hops) == 1:
                ip.append(f"route replace {r['to']} via {hops[0]['via']} dev {hops[0]['dev']}")
            else:
                ip.append(f"route replace {r['to']} " + " ".join(f"nexthop via {h['via']} dev {h['dev']}" for h in hops))
        open(os.path.join(out, "ns", f"{i}.ip"), "w").write("\n".join(ip) + "\n")
        open(os.path.join(out, "ns", f"{i}.tc"), "w").write("\n".join(tc) + "\n")
    open(os.path.join(out, "links.batch"), "w").write("\n".join(links) + "\n")
    open(os.path.join(out, "down.batch"), "w").write("".join(f"netns del {name(i)}\n" for i in range(len(spaces))))
    open(os.path.join(out, "names"), "w").write("".join(f"{name(i)}\n" for i in range(len(spaces))))


if __name__ == "__main__":
    main()
