#!/usr/bin/python3
"""Judges a soak drill's events.jsonl (issue 15 point 4): prints its figures, exits 1 when a
promise broke.

Usage: soak_events.py EVENTS_JSONL FLAPS DEGRADES

- every flap is in the log: its link_down and its link_up applied without an error;
- every flap is either ridden out (every rank completes a collective that started after the
  link came back, with no rank error in between) or shows up as named errors (SCALELAB_ERROR
  lines: agent_error events) followed by a restart and that same recovery; a flap with neither
  within RECOVERY_S is unaccounted for and fails the soak;
- every degrade and its restore applied without an error;
- #wrong: every iteration of the loop was checked, and the sum of their wrong elements is 0.
"""
import bisect
import json
import sys

RECOVERY_S = 20.0  # an error takes the 3 s deadline, a restart, a reconnect and a warm-up


def main():
    path, flaps, degrades = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    events = [json.loads(line) for line in open(path)]
    world = next(e["world_size"] for e in events if e["type"] == "scenario")
    faults = [e for e in events if e["type"] == "fault"]
    failed_faults = [e for e in faults if "error" in e]
    downs = sorted((e for e in faults if e["action"] == "link_down"), key=lambda e: e["step"])
    ups = {e["step"]: e for e in faults if e["action"] == "link_up"}
    degraded = [e for e in faults if e["action"] == "degrade"]
    restored = [e for e in faults if e["action"] == "restore"]
    errors = sorted(e["t"] for e in events if e["type"] == "agent_error")
    restarts = [e for e in events if e["type"] == "restart"]
    iterations = [e for e in events if e["type"] == "iteration"]
    unchecked = sum(1 for e in iterations if "wrong" not in e)
    wrong = sum(e.get("wrong", 0) for e in iterations)

    # Per rank, its collectives by start time: the first one to start after t, and when it ended.
    by_rank = {}
    for e in sorted(iterations, key=lambda e: e["start"]):
        starts, ends = by_rank.setdefault(e["rank"], ([], []))
        starts.append(e["start"])
        ends.append(e["t"])

    def all_ranks_done_after(t):
        worst = t
        for r in range(world):
            starts, ends = by_rank.get(r, ([], []))
            i = bisect.bisect_left(starts, t)
            if i == len(starts):
                return None
            worst = max(worst, ends[i])  # its next collective, as one rank runs them one after another
        return worst

    ridden, errored, lost, worst_recovery = 0, 0, [], 0.0
    for d in downs:
        u = ups.get(d["step"])
        if u is None:
            lost.append(f"flap at {d['t']:.2f} s ({d['detail']}): no link_up in the log")
            continue
        back = all_ranks_done_after(u["t"])
        if back is None or back - u["t"] > RECOVERY_S:
            lost.append(f"flap at {d['t']:.2f} s ({d['detail']}): no recovery within {RECOVERY_S:g} s of its link_up")
            continue
        worst_recovery = max(worst_recovery, back - u["t"])
        i = bisect.bisect_left(errors, d["t"])
        if i < len(errors) and errors[i] <= back:
            errored += 1
        else:
            ridden += 1

    print(f"soak events: {len(downs)} flaps in the log of {flaps} injected ({ridden} ridden out, {errored} with named errors "
          f"then recovery, {len(lost)} unaccounted); {len(errors)} agent errors, {len(restarts)} restarts; "
          f"worst recovery {worst_recovery:.2f} s after a link_up")
    print(f"soak events: {len(degraded)} degrades and {len(restored)} restores of {degrades}; {len(failed_faults)} faults failed to apply")
    print(f"soak events: {len(iterations)} checked iterations over {world} ranks ({unchecked} unchecked), #wrong {wrong}")
    problems = lost[:10]
    if len(downs) != flaps or len(ups) != flaps:
        problems.append(f"{len(downs)} link_down and {len(ups)} link_up in the log, {flaps} flaps injected")
    if len(degraded) != degrades or len(restored) != degrades:
        problems.append(f"{len(degraded)} degrades and {len(restored)} restores in the log, {degrades} injected")
    problems += [f"{e['action']} {e['target']} at {e['t']:.2f} s failed: {e['error']}" for e in failed_faults[:10]]
    if unchecked or not iterations:
        problems.append(f"{unchecked} of {len(iterations)} iterations carry no #wrong (the loop was not checked)")
    if wrong:
        problems.append(f"#wrong {wrong}: a collective returned wrong data")
    for p in problems:
        print("FAIL: " + p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
