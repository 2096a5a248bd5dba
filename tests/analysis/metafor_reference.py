"""Values computed by R's metafor 3.8-1 for the tau^2 estimators, publication-bias tools
and influence diagnostics: ``reference/toolbox.R`` writes the ``reference/toolbox_*.csv``
files (17 significant digits) from metafor's example data sets.  Tests read them here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent / "reference"


@cache
def table(name: str) -> pd.DataFrame:
    """``reference/toolbox_<name>.csv``; R's NA reads as NaN, an empty list as ""."""
    return pd.read_csv(HERE / f"toolbox_{name}.csv", keep_default_na=False, na_values=["NA"])


def studies(dataset: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``yi``, ``vi`` and the ``ablat`` moderator (NaN outside dat.bcg) of a data set."""
    rows = table("studies")
    rows = rows[rows.dataset == dataset].sort_values("study")
    return rows.yi.to_numpy(float), rows.vi.to_numpy(float), rows.ablat.to_numpy(float)


def cases(name: str) -> list[dict[str, object]]:
    """Rows of a table as dicts, for ``pytest.mark.parametrize``."""
    return table(name).to_dict("records")


def case_id(row: dict[str, object], *keys: str) -> str:
    return "-".join(str(row[k]) for k in keys)
