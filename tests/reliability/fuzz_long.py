"""Long fuzzing run of purepg's protocol core (not part of the test command).

    hatch run python -m tests.reliability.fuzz_long --inputs 1000000 [--seed N]

Each input is a valid server stream (simple query, extended query or startup), mutated 1-6
times, or plain random bytes, fed in random chunks to a fresh machine. Prints the figures:
inputs, time, outcomes, failures (exceptions that are not purepg's, endless loops); exits 1
when there was any failure. Every failure is printed with the seed that reproduces it.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import time
import traceback

from tests.reliability import fuzzing

MAX_FAILURES_SHOWN = 20


def one_input(rng: random.Random) -> tuple[str, bytes, list[int]]:
    """A target, its server stream and a chunking, drawn from ``rng``."""
    target = rng.choice(fuzzing.TARGETS)
    if rng.random() < 0.1:
        stream = rng.randbytes(rng.randrange(0, 256))
    else:
        base = rng.choice(fuzzing.BASES[target])
        stream = fuzzing.mutate(base, fuzzing.random_mutations(rng, rng.randrange(1, 7)))
    chunk_sizes = [rng.randrange(1, 65) for _ in range(rng.randrange(0, 4))]
    return target, stream, chunk_sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="how many inputs to run")
    parser.add_argument("--seed", type=int, default=None, help="base seed (default: random)")
    args = parser.parse_args(argv)
    base_seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    outcomes: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    started = time.monotonic()
    for index in range(args.inputs):
        seed = base_seed * 1_000_003 + index
        target, stream, chunk_sizes = one_input(random.Random(seed))
        try:
            outcome = fuzzing.run_target(target, stream, chunk_sizes)
        except Exception as exc:
            outcomes[f"FAILURE {type(exc).__name__}"] += 1
            if len(failures) < MAX_FAILURES_SHOWN:
                failures.append(
                    f"seed={seed} target={target} chunks={chunk_sizes} stream={stream!r}\n"
                    + "".join(traceback.format_exception_only(type(exc), exc))
                )
            continue
        outcomes[outcome.result] += 1
        if (index + 1) % 100_000 == 0:
            rate = (index + 1) / (time.monotonic() - started)
            print(f"{index + 1} inputs, {rate:.0f}/s", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - started
    failed = sum(count for name, count in outcomes.items() if name.startswith("FAILURE"))
    print(f"base seed: {base_seed}")
    print(f"inputs: {args.inputs}  time: {elapsed:.1f}s  ({args.inputs / elapsed:.0f}/s)")
    print(f"failures: {failed}")
    for name, count in outcomes.most_common():
        print(f"  {count:>9}  {name}")
    for failure in failures:
        print("\n" + failure)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
