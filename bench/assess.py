"""Throughput of `prevent-ig assess --jsonl` against a stdlib json baseline, in the same run.

    .venv/bin/python bench/assess.py [--lines 100000] [--repeat 3]

Both sides run as separate processes over the same file of generated, valid inputs: the baseline
parses and re-serialises each line with the standard library's ``json``; the engine validates, assesses
and serialises each decision. Reported: lines per second for each (best of --repeat) and the ratio.
Target (issue 2): the engine costs at most 3 times the baseline.
"""

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
BASELINE = (
    "import sys, json\n"
    "out = sys.stdout\n"
    "for line in sys.stdin.buffer:\n"
    "    out.write(json.dumps(json.loads(line)) + '\\n')\n"
)
ENGINE = [PYTHON, "-m", "prevent_ig", "assess", "-", "--jsonl", "--today", "2026-11-26"]

EMAILS = [
    "prevent@northshire.pnn.police.uk",
    "channel@northshire.gov.uk",
    "lead@nhs.net",
    "team@example-trust.nhs.uk",
    "referrals@example-charity.org",
    None,
]
CATEGORIES = [
    "identity",
    "contact",
    "health",
    "racial_ethnic_origin",
    "political_opinions",
    "religious_beliefs",
    "trade_union",
    "genetic_biometric",
    "sex_life_orientation",
    "criminal_offence",
    "other",
]
PURPOSES = [
    "prevent_referral",
    "police_screening",
    "channel_information_gathering",
    "channel_panel",
    "support_plan",
    "crime_prevention",
    "safeguarding",
]
RECIPIENTS = ["police", "local_authority", "channel_panel", "vss", "probation", "health", "other"]


def generate(rng: random.Random) -> dict[str, object]:
    """One valid input; the mix reaches every step of the engine."""
    age = rng.choice([rng.randint(0, 17), rng.randint(18, 90)])
    capable = rng.random() < 0.8
    status = rng.choice(["given", "refused", "withdrawn", "not_sought"])
    reasons = ["prejudice_purpose", "risk_of_harm", "urgent"] + ([] if capable else ["lacks_capacity"])
    kind = rng.choice(["referral", "request_response", "disclosure"])
    recipient = rng.choice(RECIPIENTS)
    requirement = rng.choice([None, None, None, "court_order", "statute"])
    return {
        "kind": kind,
        "purpose": rng.choice(PURPOSES),
        "subject": {
            "role": rng.choice(["patient", "service_user", "staff"]),
            "age": age,
            "adult_at_risk": age >= 18 and rng.random() < 0.3,
            "has_capacity": capable,
        },
        "consent": {
            "status": status,
            "given_by": rng.choice(["subject", "parent_or_guardian", "legal_representative"])
            if status == "given"
            else None,
            "reason_not_sought": rng.choice([None, *reasons]) if status == "not_sought" else None,
        },
        "recipient": {
            "name": "Synthetic Partner Organisation",
            "type": recipient,
            "competent_authority": recipient == "police" or rng.random() < 0.3,
            "email": rng.choice(EMAILS),
            "dsa_in_place": rng.random() < 0.7,
        },
        "request": {
            "received": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "proforma": rng.random() < 0.9,
            "secure_channel": rng.random() < 0.9,
            "consent_position_stated": rng.random() < 0.9,
            "reason_given": rng.random() < 0.9,
            "specific": rng.random() < 0.9,
            "legal_powers_cited": rng.choice([[], ["CTSA2015.s38"], ["CDA1998.s115", "DPA2018.Sch1.Pt2.10"]]),
        }
        if kind == "request_response"
        else None,
        "grounds": {
            "risk_of_harm_to_self": rng.random() < 0.5,
            "risk_of_harm_to_others": rng.random() < 0.5,
            "substantial_public_interest": rng.random() < 0.6,
            "informing_would_prejudice": rng.random() < 0.4,
            "best_interests": rng.random() < 0.3,
            "legal_requirement": requirement,
            "legal_requirement_detail": "Synthetic order 2026/17" if requirement else None,
            "rationale": "Synthetic rationale for a benchmark case.",
        },
        "items": [
            {
                "id": f"item-{n}",
                "description": "Synthetic item description",
                "category": rng.choice(CATEGORIES),
                "relevant": rng.random() < 0.85,
                "justification": rng.choice(["Needed for the stated purpose", ""]),
            }
            for n in range(rng.randint(1, 5))
        ],
        "ig_advice": rng.choice(
            [None, {"adviser_role": "dpo", "supports_sharing": rng.choice([True, False, None])}]
        ),
    }


def timed(command: list[str], data: Path) -> tuple[float, int]:
    with data.open("rb") as stdin:
        start = time.perf_counter()
        done = subprocess.run(command, stdin=stdin, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{command[:3]} failed ({done.returncode}): {done.stderr.decode()[:500]}")
    return elapsed, done.stdout.count(b"\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "inputs.jsonl"
        with data.open("w", encoding="utf-8") as out:
            for _ in range(args.lines):
                out.write(json.dumps(generate(rng)) + "\n")
        size = data.stat().st_size
        base_times, engine_times = [], []
        for _ in range(args.repeat):
            base_s, base_n = timed([PYTHON, "-c", BASELINE], data)
            engine_s, engine_n = timed(ENGINE, data)
            assert base_n == engine_n == args.lines, (base_n, engine_n)
            base_times.append(base_s)
            engine_times.append(engine_s)
    base, engine = min(base_times), min(engine_times)
    print(f"inputs: {args.lines:,} lines, {size / args.lines:,.0f} bytes per line on average")
    print(f"baseline (json.loads + json.dumps): {args.lines / base:>10,.0f} lines/s  ({base:.2f} s)")
    print(f"prevent-ig assess --jsonl:          {args.lines / engine:>10,.0f} lines/s  ({engine:.2f} s)")
    print(f"engine cost / baseline cost: {engine / base:.2f}x  (target: at most 3x)")


if __name__ == "__main__":
    main()
