"""The game loop against curated references: the Pfam seed alignments that
Debian's hmmer-examples package ships (``apt-get install hmmer-examples``).

For each family: strip the seed's gaps, align the sequences with FAMSA, rank
windows by how little the alignment is to be trusted (gaps, conservation and
disagreement with MAFFT / Clustal Omega where installed), run the loop of
games/improve.py with simulated players (splicing only what does not lower
the agreement with those other aligners), and compare the alignment with the
curated seed before and after (SP and TC, games/accuracy.py).  It also runs
the same players on windows scored without flanks (the old rule) to show the
transfer rate that the flanks fix.

    .venv/bin/python benchmarks/hmmer_families.py [--players 6] [--windows 8]
        [--budget 3000] [--rounds 2] [--rule each|independent|confirmed|most]
        [--weighted] [--aligner-players] [--skip-without-flanks] [--only FAMILY...]
        [--json]

It ends with the per-family table that games/README.md shows.

Nothing here is a test: it prints what happened, family by family.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from games.accuracy import compare  # noqa: E402
from games.aligners import align, available_aligners, untrusted_columns  # noqa: E402
from games.improve import RULES, improve  # noqa: E402
from games.puzzles import read_source, scheme_for  # noqa: E402
from games.scoring import warmup  # noqa: E402

EXAMPLES = Path("/usr/share/doc/hmmer/examples")
FAMILIES = (
    "tutorial/fn3.sto",
    "tutorial/Pkinase.sto",
    "tutorial/globins4.sto",
    "testsuite/RRM_1.sto.gz",
    "testsuite/SMC_N.sto.gz",
    "testsuite/Patched.sto.gz",
    "testsuite/Caudal_act.sto.gz",
    "testsuite/LuxC.sto.gz",
)


def load(path: Path, folder: Path) -> Any:
    if path.suffix == ".gz":
        plain = folder / path.stem
        with gzip.open(path, "rb") as packed, open(plain, "wb") as out:
            shutil.copyfileobj(packed, out)
        path = plain
    return read_source(path, "stockholm")


def family(path: Path, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    seed = load(path, folder)
    names = seed.names
    sequences = [row.replace("-", "") for row in seed.rows]
    started = time.perf_counter()
    built = align(names, sequences, "famsa")
    others = [align(names, sequences, name).rows for name in available_aligners()[1:]]
    badness = untrusted_columns(built.rows, others)
    scheme = scheme_for("protein")
    outcome = improve(
        built,
        scheme,
        players=args.players,
        budget=args.budget,
        limit=args.windows,
        badness=badness,
        reference=seed.rows,
        reference_names=names,
        seed=args.seed,
        others=others,
        rounds=args.rounds,
        weighted=args.weighted,
        aligner_players=args.aligner_players,
        rule=args.rule,
    )
    plain = (
        None
        if args.skip_without_flanks
        else improve(
            built,
            scheme,
            players=args.players,
            budget=args.budget,
            limit=args.windows,
            badness=badness,
            seed=args.seed,
            flank_aware=False,
            others=others,
        )
    )
    others_accuracy = {
        name: compare(rows, seed.rows, estimate_names=names, reference_names=names).sp
        for name, rows in zip(available_aligners()[1:], others, strict=True)
    }
    before, after = outcome.accuracy_before or {}, outcome.accuracy_after or {}
    consensus_gain = [w.consensus - w.best_single for w in outcome.windows]
    return {
        "family": path.name.split(".")[0],
        "sequences": len(names),
        "columns": built.width,
        "sp_before": before.get("sp"),
        "tc_before": before.get("tc"),
        "sp_after": after.get("sp"),
        "tc_after": after.get("tc"),
        "other_aligners_sp": others_accuracy,
        "score_before": outcome.score_before,
        "score_after": outcome.score_after,
        "windows_offered": outcome.windows_offered,
        "windows_improved": outcome.windows_improved,
        "spliced": outcome.spliced,
        "transfer_rate": outcome.transfer_rate,
        "transfer_rate_without_flanks": plain.transfer_rate if plain else None,
        "aligner_used": outcome.aligner_used,
        "consensus_better": outcome.consensus_better,
        "consensus_used": outcome.consensus_used,
        "consensus_minus_best_mean": (
            sum(consensus_gain) / len(consensus_gain) if consensus_gain else None
        ),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _fmt(value: Any, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=6)
    parser.add_argument("--windows", type=int, default=8)
    parser.add_argument("--budget", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--weighted", action="store_true", help="Henikoff-weighted objective")
    parser.add_argument(
        "--aligner-players", action="store_true", help="other aligners' layouts as candidates"
    )
    parser.add_argument("--rule", choices=RULES, default="each")
    parser.add_argument("--skip-without-flanks", action="store_true")
    parser.add_argument("--only", nargs="*", help="family names to run (default: all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not EXAMPLES.exists():
        sys.exit("hmmer-examples is not installed: apt-get install -y hmmer-examples")
    warmup(parallel=False)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in FAMILIES:
            path = EXAMPLES / name
            if args.only and path.name.split(".")[0] not in args.only:
                continue
            if not path.exists():
                continue
            rows.append(family(path, Path(folder), args))
            if not args.json:
                r = rows[-1]
                print(
                    f"{r['family']:<11} n={r['sequences']:<3} SP {_fmt(r['sp_before'])}"
                    f" -> {_fmt(r['sp_after'])}  TC {_fmt(r['tc_before'])} -> {_fmt(r['tc_after'])}"
                    f"  offered {r['windows_offered']} improved {r['windows_improved']}"
                    f" spliced {r['spliced']} (aligner {r['aligner_used']})"
                    f"  transfer {_fmt(r['transfer_rate'], '.2f')}"
                    f" (without flanks {_fmt(r['transfer_rate_without_flanks'], '.2f')})"
                    f"  consensus>best {r['consensus_better']}/{r['windows_offered']}"
                    f"  {r['seconds']} s",
                    flush=True,
                )
    sp_change = [r["sp_after"] - r["sp_before"] for r in rows]
    tc_change = [r["tc_after"] - r["tc_before"] for r in rows]
    summary = {
        "families": len(rows),
        "mean_sp_change": sum(sp_change) / len(rows) if rows else None,
        "mean_tc_change": sum(tc_change) / len(rows) if rows else None,
        "families_sp_up": sum(c > 0 for c in sp_change),
        "families_sp_down": sum(c < 0 for c in sp_change),
        "families_sp_same": sum(c == 0 for c in sp_change),
        "families_tc_up": sum(c > 0 for c in tc_change),
        "families_tc_down": sum(c < 0 for c in tc_change),
    }
    if args.json:
        print(json.dumps({"families": rows, "summary": summary}))
    else:
        print(table(rows))
        print(json.dumps(summary))


def table(rows: list[dict[str, Any]]) -> str:
    """The per-family figures as a Markdown table (for games/README.md)."""
    others = sorted({name for r in rows for name in r["other_aligners_sp"]})
    head = (
        ["family", "seqs", "SP before", "SP after", "SP change", "TC before", "TC after"]
        + [f"{name} SP" for name in others]
        + ["offered", "improved", "spliced (aligner)", "transfer", "consensus > best"]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [
            r["family"],
            str(r["sequences"]),
            _fmt(r["sp_before"]),
            _fmt(r["sp_after"]),
            _fmt(r["sp_after"] - r["sp_before"], "+.4f"),
            _fmt(r["tc_before"]),
            _fmt(r["tc_after"]),
            *(_fmt(r["other_aligners_sp"].get(name)) for name in others),
            str(r["windows_offered"]),
            str(r["windows_improved"]),
            f"{r['spliced']} ({r['aligner_used']})",
            _fmt(r["transfer_rate"], ".2f"),
            f"{r['consensus_better']}/{r['windows_offered']}" if r["windows_offered"] else "-",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
