#!/usr/bin/env python3
"""Writes a synthetic Asterisk queue_log for `bench/fit_speed.sh`: a contact
centre of AGENTS agents on one queue, open 08:00-20:00 every day for DAYS
days, Poisson arrivals on a two-level daily profile, log-normal talk,
exponential patience, agents who log in, add themselves to the queue, pause
for lunch and log off. Lines are written in time order (a heap), with the
events and data fields telsim's queue_log reader documents (docs/logs.md).
Deterministic for a given --seed. Not a simulator: waits come from a crude
earliest-free-agent rule, enough to give the reader realistic lines."""
import argparse
import heapq
import math
import random

p = argparse.ArgumentParser()
p.add_argument("--days", type=int, default=365)
p.add_argument("--agents", type=int, default=100)
p.add_argument("--per-hour", type=float, default=1000.0, help="peak calls/h")
p.add_argument("--seed", type=int, default=1)
p.add_argument("--out", required=True)
a = p.parse_args()

rng = random.Random(a.seed)
T0 = 1767571200  # Monday 2026-01-05 00:00 UTC
heap = []
seq = 0


def emit(t, line):
    global seq
    seq += 1
    heapq.heappush(heap, (t, seq, line))


with open(a.out, "w") as out:
    def flush(upto):
        while heap and heap[0][0] <= upto:
            t, _, line = heapq.heappop(heap)
            out.write(line)

    n = 0
    for day in range(a.days):
        base = T0 + day * 86400
        open_t, close_t = base + 8 * 3600, base + 20 * 3600
        free = [open_t] * a.agents
        for i in range(a.agents):
            ag = f"SIP/{1000 + i}"
            emit(open_t - 600, f"{open_t - 600}|NONE|NONE|{ag}|AGENTLOGIN|{ag}\n")
            emit(open_t - 599, f"{open_t - 599}|NONE|support|{ag}|ADDMEMBER|\n")
            lunch = base + 12 * 3600 + rng.randrange(0, 7200)
            emit(lunch, f"{lunch}|NONE|support|{ag}|PAUSE|lunch\n")
            emit(lunch + 1800, f"{lunch + 1800}|NONE|support|{ag}|UNPAUSE|\n")
            emit(close_t + 900, f"{close_t + 900}|NONE|support|{ag}|REMOVEMEMBER|\n")
            emit(close_t + 901, f"{close_t + 901}|NONE|NONE|{ag}|AGENTLOGOFF|{ag}|{close_t + 1500 - open_t}\n")
        t = float(open_t)
        while True:
            hour = (t - base) / 3600
            rate = a.per_hour if 9 <= hour < 18 else a.per_hour * 0.4
            t += rng.expovariate(rate / 3600)
            if t >= close_t:
                break
            ti = int(t)
            flush(ti)
            n += 1
            cid = f"{ti}.{n}"
            emit(ti, f"{ti}|{cid}|support|NONE|ENTERQUEUE||+7495{n % 10000000:07d}|1\n")
            k = min(range(a.agents), key=free.__getitem__) if n % 8 == 0 else rng.randrange(a.agents)
            start = max(t, free[k])
            wait = start - t
            patience = rng.expovariate(1 / 90)
            ag = f"SIP/{1000 + k}"
            if patience < wait:
                te = int(t + patience)
                emit(te, f"{te}|{cid}|support|NONE|ABANDON|1|1|{te - ti}\n")
                continue
            ts = int(start)
            if rng.random() < 0.05:
                emit(ts, f"{ts}|{cid}|support|SIP/{1000 + (k + 1) % a.agents}|RINGNOANSWER|15000\n")
            talk = rng.lognormvariate(math.log(240) - 0.18, 0.6)
            emit(ts, f"{ts}|{cid}|support|{ag}|CONNECT|{ts - ti}|{cid}.1|2\n")
            te = int(start + talk)
            emit(te, f"{te}|{cid}|support|{ag}|COMPLETECALLER|{ts - ti}|{te - ts}|1\n")
            free[k] = start + talk + 10
        flush(base + 86400 + 7200)
    flush(float("inf"))
