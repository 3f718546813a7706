"""The compare model in Ciw 3: M/M/c with patient callers, FIFO.

Same model as scenarios/bench_simpy.ron and bench/mmc_simpy.py: Poisson
arrivals at LAMBDA per second until HORIZON (no arrival is generated after
it), exponential talk of mean TALK_MEAN, C servers; the run continues for
DRAIN seconds so calls in the system at HORIZON finish (telsim's drain).
Calls arriving after WARMUP count. Prints one JSON line like mmc_simpy.py.
"""

import argparse
import json
import math

import ciw

LAMBDA = 10.0
TALK_MEAN = 180.0
C = 1900
HORIZON = 10_000.0
WARMUP = 1_000.0
DRAIN = 3_600.0  # P(talk > 3600 s) = e^-20: every call ends within it


class ArrivalsUntilHorizon(ciw.dists.Distribution):
    """Exponential inter-arrival times, none after HORIZON."""

    def __init__(self, rate):
        super().__init__()
        self.exp = ciw.dists.Exponential(rate)

    def sample(self, t=None, ind=None):
        gap = self.exp.sample(t, ind)
        return gap if t + gap < HORIZON else math.inf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    ciw.seed(args.seed)
    network = ciw.create_network(
        arrival_distributions=[ArrivalsUntilHorizon(LAMBDA)],
        service_distributions=[ciw.dists.Exponential(1.0 / TALK_MEAN)],
        number_of_servers=[C],
    )
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(HORIZON + DRAIN)
    records = sim.get_all_records()
    counted = [r for r in records if r.arrival_date >= WARMUP]
    n = len(counted)
    print(json.dumps({
        "tool": "ciw",
        "seed": args.seed,
        "calls": len(records),
        "counted": n,
        "p_wait": sum(1 for r in counted if r.waiting_time > 0) / n,
        "asa_s": sum(r.waiting_time for r in counted) / n,
    }))


if __name__ == "__main__":
    main()
