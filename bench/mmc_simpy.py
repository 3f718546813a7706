"""The compare model in SimPy 4: M/M/c with patient callers, FIFO.

Same model as scenarios/bench_simpy.ron: Poisson arrivals at LAMBDA per second
until HORIZON, exponential talk of mean TALK_MEAN, C agents; calls arriving
after WARMUP count; the run goes on after HORIZON until every call has ended
(telsim's drain). Prints one JSON line: calls generated, calls counted,
P(wait > 0) and ASA of the counted calls. Written for bench/compare.sh.
"""

import argparse
import json
import random

import simpy

LAMBDA = 10.0  # calls per second
TALK_MEAN = 180.0  # seconds
C = 1900  # agents
HORIZON = 10_000.0  # seconds of arrivals
WARMUP = 1_000.0  # statistics ignore calls arriving before this


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=C)
    stats = {"calls": 0, "counted": 0, "waited": 0, "wait_sum": 0.0}

    def call(env):
        arrival = env.now
        with agents.request() as req:
            yield req
            wait = env.now - arrival
            if arrival >= WARMUP:
                stats["counted"] += 1
                stats["wait_sum"] += wait
                if wait > 0:
                    stats["waited"] += 1
            yield env.timeout(rng.expovariate(1.0 / TALK_MEAN))

    def source(env):
        while True:
            gap = rng.expovariate(LAMBDA)
            if env.now + gap >= HORIZON:
                return
            yield env.timeout(gap)
            stats["calls"] += 1
            env.process(call(env))

    env.process(source(env))
    env.run()
    n = stats["counted"]
    print(json.dumps({
        "tool": "simpy",
        "seed": args.seed,
        "calls": stats["calls"],
        "counted": n,
        "p_wait": stats["waited"] / n,
        "asa_s": stats["wait_sum"] / n,
    }))


if __name__ == "__main__":
    main()
