"""Build the name lists that identifier screening bundles (datasets/data/names).

    python scripts/build_name_lists.py DIR_WITH_CENSUS_FILES

DIR holds the 1990 US Census name-frequency files dist.female.first,
dist.male.first and dist.all.last (public domain; the ``names`` package ships
them). The output is lower-cased, one name a line, most frequent first.
"""

from __future__ import annotations

import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "datasets" / "data" / "names"
GIVEN_FEMALE, GIVEN_MALE, SURNAMES = 2500, 1000, 5000

# Given names that are also months or everyday words people capitalise at the
# start of a sentence ("May", "Will"): kept out so ordinary text is not read as names.
COMMON_WORDS = {
    "april",
    "august",
    "june",
    "may",
    "will",
    "major",
    "guy",
    "joy",
    "hope",
    "faith",
    "patience",
    "dawn",
    "summer",
    "autumn",
    "sunny",
    "art",
    "bill",
    "mark",
    "pat",
    "don",
    "rich",
    "chance",
    "king",
    "lady",
    "see",
    "sage",
    "son",
    "young",
    "long",
}


def top(path: Path, count: int) -> list[str]:
    names = []
    for line in path.read_text(encoding="ascii").splitlines()[:count]:
        name = line.split()[0].lower()
        if name not in COMMON_WORDS and len(name) > 1:
            names.append(name)
    return names


def main(source: str) -> None:
    folder = Path(source)
    given = list(
        dict.fromkeys(
            top(folder / "dist.female.first", GIVEN_FEMALE)
            + top(folder / "dist.male.first", GIVEN_MALE)
        )
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "given.txt").write_text("\n".join(given) + "\n", encoding="ascii")
    surnames = top(folder / "dist.all.last", SURNAMES)
    (OUT / "surnames.txt").write_text("\n".join(surnames) + "\n", encoding="ascii")


if __name__ == "__main__":
    main(sys.argv[1])
