"""k-anonymity: the sizes of the groups of rows sharing the same quasi-identifiers."""

from __future__ import annotations

import numpy as np

from .findings import MAX_EXAMPLES, KAnonymity


def _k_anonymity(
    qi: list[str], k: int, hashes: list[np.ndarray], rows: list[np.ndarray]
) -> KAnonymity:
    if not hashes or not sum(h.size for h in hashes):
        return KAnonymity(qi, k, 0, 0, 0, 0, 0, [], 0)
    h = np.concatenate(hashes)
    r = np.concatenate(rows)
    order = np.argsort(h, kind="stable")
    hs = h[order]
    starts = np.flatnonzero(np.concatenate(([True], hs[1:] != hs[:-1])))
    sizes = np.diff(np.concatenate((starts, [hs.size])))
    small = sizes < k
    example: list[int] = []
    if small.any():
        smallest = np.argsort(sizes, kind="stable")[:MAX_EXAMPLES]
        for cls in smallest:
            if sizes[cls] >= k:
                break
            example.append(int(r[order[starts[cls]]]))
    return KAnonymity(
        quasi_identifiers=qi,
        k=k,
        rows=int(hs.size),
        classes=int(sizes.size),
        min_class_size=int(sizes.min()),
        classes_below_k=int(small.sum()),
        rows_in_classes_below_k=int(sizes[small].sum()),
        example_rows=sorted(example),
        unique_rows=int((sizes == 1).sum()),
    )
