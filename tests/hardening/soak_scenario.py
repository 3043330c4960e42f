#!/usr/bin/python3
"""Writes the soak drill (issue 15 point 4) as a scenario: FLAPS link flaps and DEGRADES
degrade/restore cycles under a checked all_reduce loop, so every fault and every rank's error
lands in the drill's events.jsonl.

Usage: soak_scenario.py PLAN_EXPLICIT_JSON TOPOLOGY FLAPS DEGRADES > scenario.json
PLAN_EXPLICIT_JSON is `scalelab plan TOPOLOGY --explicit` (the links to flap come from the plan).

Timing (why these numbers): a flap is a link down for 150 ms, one every 400 ms. The outage is far
below the agents' 3 s step deadline, so TCP retransmits through it and the loop rides it out;
should one not (retransmission backoff across flaps that come close on one path), every rank
ends with a named SCALELAB_ERROR and restart_on_failure relaunches the loop, as a job scheduler
would. The control plane reroutes 50 ms after each change, inside the outage. Flaps cycle
through every scale-out link (rail links, leaf-spine links), so one link flaps again only after
all the others did. A degrade (to a quarter of the link's rate, for 1 s) goes to the link the
last flap just restored: the one whose next flap is furthest away, so the two never overlap.
"""
import json
import sys

DOWN_S, GAP_S, CONVERGENCE_S, START_S, TAIL_S = 0.150, 0.400, 0.050, 5.0, 6.0


def main():
    plan_file, topology, flaps, degrades = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    explicit = json.load(open(plan_file))
    links = [f"{l['a']}-{l['b']}" for l in explicit["links"] if l.get("tier") == "scale_out"]
    rates = {f"{l['a']}-{l['b']}": l["bandwidth"] for l in explicit["links"] if l.get("tier") == "scale_out"}
    if not links or flaps < 1 or degrades < 0:
        sys.exit("soak_scenario: need scale_out links in the plan, FLAPS >= 1 and DEGRADES >= 0")
    steps = []
    for k in range(flaps):
        steps.append({"at": f"{START_S + k * GAP_S:.3f}s", "action": "link_down", "target": "link:" + links[k % len(links)],
                      "duration": f"{DOWN_S * 1000:.0f}ms", "comment": f"flap {k}"})
    span = flaps * GAP_S
    for j in range(degrades):
        k = int(j * flaps / max(degrades, 1))           # the flap this degrade follows
        link = links[k % len(links)]
        at = START_S + k * GAP_S + DOWN_S + 0.1          # after its link_up and reroute
        steps.append({"at": f"{at:.3f}s", "action": "degrade", "target": "link:" + link, "rate": quarter(rates[link]),
                      "duration": "1s", "comment": f"degrade {j}"})
    steps.sort(key=lambda s: float(s["at"][:-1]))
    duration = START_S + span + TAIL_S
    scenario = {
        "name": "soak",
        "description": f"{flaps} link flaps and {degrades} degrade/restore cycles under a checked all_reduce loop",
        "topology": topology,
        "convergence": f"{CONVERGENCE_S * 1000:.0f}ms",
        "workload": {"collective": "all_reduce", "size": "4M", "algo": "auto", "transport": "auto", "timeout": "3s",
                     "duration": f"{duration:.3f}s", "restart_on_failure": True, "check": True},
        "steps": steps,
        "expect": [{"completes": {"within": f"{duration + 30:.0f}s"}}, {"no_hang": {}}],
    }
    json.dump(scenario, sys.stdout, indent=1)


def quarter(bandwidth):
    """ "400Gb/s" -> "100Gb/s": a quarter, in the same unit (the parser's strict units)."""
    number, unit = bandwidth[:-4], bandwidth[-4:]
    return f"{float(number) / 4:g}{unit}"


if __name__ == "__main__":
    main()
