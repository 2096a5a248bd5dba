"""Screening one column, batch by batch, and what it found there."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import postcodes
from ..fieldtypes import (
    NumericChecker,
    checker_for,
    hash_values,
    missing_mask,
)
from ..lexicon import TEXT_CANDIDATE, mentions_name, name_cells
from ..masks import bool_mask
from ..schema import missing_values
from ..stats import DistinctHashes
from .findings import BLOCK, DIRECT, MAX_EXAMPLES, QUASI, TEXT, WARN, Finding, mask
from .rules import (
    _AGE_NAME,
    _CONTENT_RULES,
    _NAME_RULES,
    _NAME_RULES_BY_KIND,
    _POSTCODE_NAME,
    _QUASI_NAME_RULES,
    ANY_CONTENT_RULE,
    _ContentRule,
    _norm,
    may_hold,
)

#: Per column and per check, how many values the Python-level checks (check
#: digits, phone numbering plans, names in text) look at; past it the share
#: seen so far decides, so a file of millions of rows costs no more.
CHECK_LIMIT = 20_000
#: Free text: text cells at least this long on average, with spaces, that
#: mostly differ from each other.
FREE_TEXT_MIN_CHARS = 25
FREE_TEXT_MIN_WORDS = 4
#: How many cells of a column are measured for that.
TEXT_SAMPLE = 10_000
#: How many cells of text that could mention a person are read word by word,
#: per column: at most a quarter of them from one batch, spread evenly over it,
#: so the sample reaches well into a large file.
NAME_SAMPLE = 10_000


# --------------------------------------------------------------- screening --


@dataclass
class _Hits:
    count: int = 0
    rows: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def add(self, rows: np.ndarray, values: pa.Array) -> None:
        self.count += int(rows.size)
        room = MAX_EXAMPLES - len(self.rows)
        if room > 0 and rows.size:
            self.rows.extend(int(r) for r in rows[:room])
            self.examples.extend(mask(v) for v in values.slice(0, room).to_pylist())


# Columns naming studies, their authors or their sites: names there are public
# citations and places, not participants.
_NOT_PEOPLE_NAME = (
    r"(\w*_)?(authors?|investigators?|study|studies|trial|trials|reference|citation|source|"
    r"journal|publication|drug|treatment|intervention|comparator|brand|product)(_\w*)?"
)


class _ColumnScreen:
    def __init__(
        self,
        position: int,
        fdef: dict[str, Any],
        schema: dict[str, Any],
        *,
        long_integers: bool = True,
    ) -> None:
        self.position = position
        self.fdef = fdef
        self.name = fdef["name"]
        self.norm = _norm(self.name)
        self.type = fdef.get("type", "string")
        self.missing = missing_values(schema, fdef)
        self.present = _Hits()  # any non-missing cell, for name-based findings
        self.content: dict[int, _Hits] = {}
        self.nonmissing = 0
        self.over_89 = _Hits()
        # A column top-coded at 90 holds 90 for "90 or over": only older ages stand out.
        self.oldest_allowed = (
            90
            if any(
                t.get("fix") == "top_code_ages" and t.get("threshold", 90) <= 90
                for t in fdef.get("transformations") or []
            )
            else 89
        )
        self.fine_postcode = _Hits()
        self.postcode_shapes = postcodes.Shapes()
        self.whole_uk_postcodes = 0  # cells that are a UK postcode and nothing else
        self.is_age = bool(re.fullmatch(_AGE_NAME, self.norm)) and self.type in (
            "integer",
            "number",
        )
        self.is_postcode = bool(re.fullmatch(_POSTCODE_NAME, self.norm))
        self.scan_content = self.type in ("string", "any")
        # Whole numbers can be national numbers (nine or ten digits) and, in a
        # column named for a place, ZIP codes; ``long_integers`` says whether
        # the column has any number long enough to be an SSN or NHS number.
        self.scan_digits = self.type == "integer" and long_integers
        self.scan_geography = self.type == "integer" and (
            self.is_postcode or self.quasi_kind() == "geography"
        )
        self.counter = True  # whole numbers that only ever go up: a running number
        self.last_number: float | None = None
        # Distinct values tell names (mostly unique) from labels that merely
        # look like names; only text columns need it, and only up to a point.
        self.distinct: DistinctHashes | None = (
            DistinctHashes(100_000) if self.scan_content else None
        )
        # Whether the column's cells repeat enough to be read once per label; a
        # batch of nearly all different cells (notes, timestamps) says they do not,
        # and encoding each later batch only to find that again costs a hash table.
        self.repeats = True
        self.checks: dict[int, list[int]] = {}  # rule -> [values checked, passed]
        self.name_cells = _Hits()  # cells that are personal names
        self.name_values: set[int] = set()  # distinct names among them (bounded)
        self.text_names = _Hits()  # cells of text that mention a person
        self.text_checked = 0
        self.text_sampled = False  # some cells of text were not read for names
        self.text_cells = self.text_chars = self.text_spaces = 0

    def reads(self, rule: _ContentRule) -> bool:
        if self.scan_content:
            return True
        if rule.scope == "digits":
            return self.scan_digits
        if rule.scope == "geography":
            return self.scan_geography
        return False

    @property
    def free_text(self) -> bool:
        """Long, mostly different texts with spaces: notes a person must read."""
        if not self.text_cells or self.nonmissing < 2:
            return False
        distinct = self.distinct.count() if self.distinct is not None else None
        varied = distinct is None or distinct * 2 >= self.nonmissing
        return (
            varied
            and self.text_chars >= FREE_TEXT_MIN_CHARS * self.text_cells
            and self.text_spaces >= (FREE_TEXT_MIN_WORDS - 1) * self.text_cells
        )

    @property
    def needed(self) -> bool:
        """Whether the column must be read at all (plain numbers need not)."""
        return (
            self.scan_content
            or self.scan_digits
            or self.scan_geography
            or self.is_age
            or self.is_postcode
            or self.type in ("date", "datetime")
            or self.quasi_kind() is not None
            or any(re.fullmatch(rule[2], self.norm) for rule in _NAME_RULES)
        )

    def feed(self, arr: pa.Array, rows: np.ndarray) -> None:
        if self.scan_digits or self.scan_geography:
            self._running_number(arr)
        # Text columns usually repeat a few labels: look at each label once.
        labels = None
        if (
            (self.scan_content or self.scan_digits or self.scan_geography)
            and self.repeats
            and len(arr) > 64
        ):
            encoded = pc.dictionary_encode(arr)
            if isinstance(encoded, pa.ChunkedArray):
                encoded = encoded.combine_chunks()
            labels = encoded.dictionary
            self.repeats = len(labels) * 10 < len(arr) * 9
            if len(labels) * 2 <= len(arr):
                self._feed_encoded(
                    arr, rows, labels, encoded.indices.to_numpy(zero_copy_only=False)
                )
                return
        miss = missing_mask(arr, self.missing)
        if miss.any():
            keep = ~miss
            arr = arr.filter(pa.array(keep))
            rows = rows[keep]
        if len(arr) == 0:
            return
        self.nonmissing += len(arr)
        self.present.add(rows, arr)
        if self.distinct is not None:
            # The batch's distinct values are already at hand: hash only those.
            if labels is not None:
                self._distinct(labels.filter(pa.array(~missing_mask(labels, self.missing))))
            else:
                self._distinct(arr)
        if self.is_age:
            self._ages(arr, rows)
        if self.is_postcode:
            self._postcodes(arr, rows)
        if self.scan_content and self.text_cells < TEXT_SAMPLE:
            sample = arr.slice(0, TEXT_SAMPLE - self.text_cells)
            self.text_cells += len(sample)
            self.text_chars += int(pc.sum(pc.utf8_length(sample)).as_py() or 0)
            self.text_spaces += int(pc.sum(pc.count_substring(sample, pattern=" ")).as_py() or 0)
        if self.scan_content or self.scan_digits or self.scan_geography:
            self._content(arr, rows, arr, None)

    def _feed_encoded(
        self, arr: pa.Array, rows: np.ndarray, labels: pa.Array, indices: np.ndarray
    ) -> None:
        label_missing = missing_mask(labels, self.missing)
        present = ~label_missing[indices]
        n = int(present.sum())
        if n == 0:
            return
        self.nonmissing += n
        first = np.flatnonzero(present)[:MAX_EXAMPLES]
        self.present.add(rows[first], arr.take(pa.array(first)))
        if self.distinct is not None:
            self._distinct(labels.filter(pa.array(~label_missing)))
        if self.is_postcode:
            keep = np.flatnonzero(present)
            self._postcodes(arr.take(pa.array(keep)), rows[keep])
        # Missing labels must not match; blank them out of the label list.
        usable = pc.if_else(pa.array(label_missing), "", labels)
        self._content(usable, rows, arr, indices)

    def _running_number(self, arr: pa.Array) -> None:
        if not self.counter:
            return
        checker = checker_for(self.fdef)
        assert isinstance(checker, NumericChecker)  # only whole-number columns get here
        ok = checker.valid(arr) & ~missing_mask(arr, self.missing)
        if not ok.any():
            return
        numbers = checker.numbers(arr.filter(pa.array(ok)))
        if self.last_number is not None:
            numbers = np.concatenate(([self.last_number], numbers))
        if numbers.size > 1 and not bool(np.all(np.diff(numbers) > 0)):
            self.counter = False
        self.last_number = float(numbers[-1])

    def _distinct(self, values: pa.Array) -> None:
        assert self.distinct is not None
        self.distinct.add(hash_values(values.to_numpy(zero_copy_only=False)))
        if self.distinct.overflowed:
            self.distinct = None

    def _ages(self, arr: pa.Array, rows: np.ndarray) -> None:
        checker = checker_for(self.fdef)
        assert isinstance(checker, NumericChecker)  # ages are screened in number columns only
        ok = checker.valid(arr)
        numbers = np.full(len(arr), np.nan)
        if ok.any():
            numbers[ok] = checker.numbers(arr.filter(pa.array(ok)))
        with np.errstate(invalid="ignore"):
            old = numbers > self.oldest_allowed
        if old.any():
            idx = np.flatnonzero(old)
            self.over_89.add(rows[idx], arr.take(pa.array(idx)))

    def _postcodes(self, arr: pa.Array, rows: np.ndarray) -> None:
        fine = self.postcode_shapes.add(arr, whole_numbers=self.type == "integer")
        if fine.any():
            idx = np.flatnonzero(fine)
            self.fine_postcode.add(rows[idx], arr.take(pa.array(idx)))

    def _content(
        self, values: pa.Array, rows: np.ndarray, arr: pa.Array, indices: np.ndarray | None
    ) -> None:
        """Run the content rules on ``values`` (the cells, or the distinct labels
        that ``indices`` map the cells to)."""
        # Most cells of free text match no rule: one pass of all the rules' patterns
        # together finds the cells that may match one, and each rule reads only those.
        maybe: np.ndarray | None = None
        candidates = values
        if self.scan_content:
            maybe = bool_mask(pc.match_substring_regex(values, pattern=ANY_CONTENT_RULE))
            if maybe.all():
                maybe = None
            else:
                candidates = values.filter(pa.array(maybe))
        for n, rule in enumerate(_CONTENT_RULES):
            if not self.reads(rule) or len(candidates) == 0:
                continue
            if rule.gate is not None and not (
                may_hold(candidates, rule.gate)
                and bool(pc.any(pc.match_substring(candidates, pattern=rule.gate)).as_py())
            ):
                continue
            found = bool_mask(pc.match_substring_regex(candidates, pattern=rule.pattern))
            if maybe is None:
                hit = found
            else:
                hit = np.zeros(len(values), dtype=bool)
                hit[maybe] = found
            if rule.check is not None and hit.any():
                self._check(n, rule.check, values, hit)
            if rule.kind == "phone" and hit.any():
                digits = pc.count_substring_regex(values, pattern=r"[0-9]").to_numpy(
                    zero_copy_only=False
                )
                hit &= digits >= 9
            if not hit.any():
                continue
            if rule.kind == "postcode":
                whole = bool_mask(
                    pc.match_substring_regex(
                        postcodes.normalise_uk(values), pattern=postcodes.UK_FULL
                    )
                )
                whole = whole[indices] if indices is not None else whole
                self.whole_uk_postcodes += int(whole.sum())
            if indices is not None:
                hit = hit[indices]
            idx = np.flatnonzero(hit)
            self.content.setdefault(n, _Hits()).add(rows[idx], arr.take(pa.array(idx)))
        if self.scan_content:
            self._names(values, rows, arr, indices)

    def _check(
        self, n: int, check: Callable[[str], bool], values: pa.Array, hit: np.ndarray
    ) -> None:
        """Narrow a rule's pattern matches ``hit`` to the values ``check`` accepts,
        checking at most CHECK_LIMIT values of the column."""
        state = self.checks.setdefault(n, [0, 0])
        idx = np.flatnonzero(hit)
        head, tail = idx[: max(0, CHECK_LIMIT - state[0])], idx[CHECK_LIMIT - state[0] :]
        if head.size:
            passed = np.array(
                [check(text) for text in values.take(pa.array(head)).to_pylist()], dtype=bool
            )
            state[0] += int(head.size)
            state[1] += int(passed.sum())
            hit[head] = passed
        if tail.size:  # past the limit the share seen so far decides
            hit[tail] = state[1] * 2 >= state[0]

    def _finding(
        self,
        kind: str,
        hits: _Hits | None,
        *,
        message: str,
        category: str = DIRECT,
        severity: str = BLOCK,
        evidence: str = "content",
        suggested_fix: dict[str, Any] | None = None,
    ) -> Finding:
        """A finding about this column, with the cells that gave it away (``hits``);
        without them, about the whole column."""
        return Finding(
            column=self.name,
            column_number=self.position + 1,
            kind=kind,
            category=category,
            severity=severity,
            evidence=evidence,
            count=hits.count if hits is not None else self.nonmissing,
            rows=hits.rows if hits is not None else [],
            examples=hits.examples if hits is not None else [],
            message=message,
            suggested_fix=suggested_fix,
        )

    def _names(
        self, values: pa.Array, rows: np.ndarray, arr: pa.Array, indices: np.ndarray | None
    ) -> None:
        """Cells that are personal names, and cells of text that mention one."""
        named = name_cells(values)
        if named.any():
            if len(self.name_values) < 1_000:
                found = values.filter(pa.array(named)).to_numpy(zero_copy_only=False)
                self.name_values.update(np.unique(hash_values(found)).tolist())
            cells = named[indices] if indices is not None else named
            idx = np.flatnonzero(cells)
            self.name_cells.add(rows[idx], arr.take(pa.array(idx)))
        room = min(NAME_SAMPLE - self.text_checked, NAME_SAMPLE // 4)
        if room <= 0:
            self.text_sampled = True
            return
        picks = np.arange(len(values))
        if len(values) > 4 * room:  # most cells of free text are candidates
            picks = np.linspace(0, len(values) - 1, 4 * room).astype(np.int64)
            self.text_sampled = True
        candidate = bool_mask(
            pc.match_substring_regex(values.take(pa.array(picks)), pattern=TEXT_CANDIDATE)
        )
        positions = picks[candidate & ~named[picks]]
        if positions.size > room:
            spread = np.linspace(0, positions.size - 1, room).astype(np.int64)
            positions, self.text_sampled = positions[spread], True
        if not positions.size:
            return
        self.text_checked += int(positions.size)
        mentions = np.zeros(len(values), dtype=bool)
        texts = values.take(pa.array(positions)).to_pylist()
        for position, text in zip(positions, texts, strict=True):
            mentions[position] = mentions_name(text)
        if mentions.any():
            cells = mentions[indices] if indices is not None else mentions
            idx = np.flatnonzero(cells)
            self.text_names.add(rows[idx], arr.take(pa.array(idx)))

    # -- findings -----------------------------------------------------------

    def findings(self, reference: str | None) -> list[Finding]:
        out: list[Finding] = []
        named: set[str] = set()
        if self.nonmissing == 0:
            return out
        for kind, category, pattern, description in _NAME_RULES:
            if not re.fullmatch(pattern, self.norm):
                continue
            if kind == "ip-address" and self.type != "string":
                continue
            if (
                kind == "date-of-birth"
                and self.type not in ("date", "datetime")
                and not any(
                    r.kind == "full-date" and n in self.content
                    for n, r in enumerate(_CONTENT_RULES)
                )
            ):
                continue  # reduced to the year already: a quasi-identifier only
            named.add(kind)
            content = [
                self.content[n]
                for n, r in enumerate(_CONTENT_RULES)
                if r.kind == kind and n in self.content
            ]
            evidence = "column-name+content" if content else "column-name"
            hits = self.present  # the column is named for it: every value counts
            out.append(
                self._finding(
                    kind,
                    hits,
                    category=category,
                    evidence=evidence,
                    message=f"Column {self.name!r} appears to hold {description} "
                    f"({self.nonmissing:,} non-empty cells).",
                    suggested_fix=self._fix_for(kind, reference),
                )
            )
        for n, rule in enumerate(_CONTENT_RULES):
            matched = self.content.get(n)
            if matched is None or rule.kind in named:
                continue
            fraction = matched.count / max(1, self.nonmissing)
            if fraction < rule.min_fraction:
                continue
            if rule.scope != "text" and not self.scan_content and self.counter:
                continue  # numbers that only go up are a running number, not identifiers
            distinct = self.distinct.count() if self.distinct is not None else None
            if rule.kind == "name" and (
                distinct is not None and distinct < 0.5 * self.nonmissing or self.nonmissing < 5
            ):
                continue  # repeated labels ("Moderate Improvement") are categories
            confident = rule.strong or fraction >= 0.8
            named.add(rule.kind)
            out.append(
                self._finding(
                    rule.kind,
                    matched,
                    category=rule.category,
                    severity=BLOCK if confident else WARN,
                    message=f"{matched.count:,} cell(s) in column {self.name!r} look like "
                    f"{rule.description} ({fraction:.0%} of non-empty cells).",
                    suggested_fix=self._fix_for(rule.kind, reference),
                )
            )
        out.extend(self._name_findings(named))
        if self.free_text:
            words = self.text_spaces / self.text_cells + 1
            out.append(
                self._finding(
                    "free-text",
                    None,
                    category=TEXT,
                    severity=WARN,
                    message=f"Column {self.name!r} holds free text ({self.nonmissing:,} cells, "
                    f"about {words:.0f} words each). Someone must read it for names, places, "
                    "dates and other details that could identify a person before it is "
                    "published.",
                    suggested_fix={"fix": "drop_column", "column": self.name},
                )
            )
        if (
            self.type in ("date", "datetime")
            and "date-of-birth" not in named
            and "full-date" not in named
        ):
            out.append(
                self._finding(
                    "full-date",
                    self.present,
                    message=f"Column {self.name!r} holds exact {self.type}s "
                    f"({self.nonmissing:,} cells); dates about a participant must be "
                    "reduced to the year or made relative to a reference date.",
                    suggested_fix=self._fix_for("full-date", reference),
                )
            )
        if self.is_age and self.over_89.count:
            h = self.over_89
            out.append(
                self._finding(
                    "age-over-89",
                    h,
                    evidence="column-name+content",
                    message=f"{h.count:,} participant(s) in column {self.name!r} are older than "
                    f"{self.oldest_allowed}; ages of 90 and over must be recorded as 90 "
                    "(top-coded), which keeps the column a number.",
                    suggested_fix={"fix": "top_code_ages", "column": self.name},
                )
            )
        if self.is_postcode and not named & {"zip-code", "postcode"}:
            if self.fine_postcode.count:
                out.append(self._postcode_finding())
            else:
                out.append(self._quasi("geography"))
        return out

    def _postcode_finding(self) -> Finding:
        h = self.fine_postcode
        country = self.postcode_shapes.country()
        if country == postcodes.UK:
            what = (
                "are full UK postcodes; only the outward code (the part before the space) "
                "may be published"
            )
        elif country == postcodes.ZIP:
            what = (
                "are US ZIP codes finer than the first three digits HIPAA Safe Harbor allows, "
                "or in an area of 20,000 people or fewer"
            )
        else:
            what = (
                "are longer than 3 characters and follow neither the UK postcode nor the US ZIP "
                "code pattern, so the portal cannot tell how much of them to keep"
            )
        return self._finding(
            "postcode",
            h,
            evidence="column-name+content",
            message=f"{h.count:,} value(s) in column {self.name!r} {what}.",
            suggested_fix=self._postcode_fix(),
        )

    def _postcode_fix(self) -> dict[str, Any]:
        """The country's own rule where the values show which country; otherwise the
        generic cut, which the page names for what it is."""
        country = self.postcode_shapes.country()
        if country == postcodes.UK and self.type == "string":
            return {"fix": "uk_outward_codes", "column": self.name}
        if country == postcodes.ZIP:
            return {"fix": "zips_to_3", "column": self.name}
        if self.type == "string":
            return {"fix": "first_characters", "column": self.name, "length": 3}
        return {"fix": "drop_column", "column": self.name}

    def _fix_for(self, kind: str, reference: str | None) -> dict[str, Any]:
        if kind == "postcode" and self.is_postcode:
            return self._postcode_fix()
        if kind == "postcode" and self.type == "string":
            if self.whole_uk_postcodes * 2 > self.nonmissing:
                return {"fix": "uk_outward_codes", "column": self.name}
            # Postcodes inside longer text (addresses): the text has to go.
            return {"fix": "drop_column", "column": self.name}
        return _fix_for(kind, self.name, reference, self.type)

    def _name_findings(self, named: set[str]) -> list[Finding]:
        if "name" in named or re.fullmatch(_NOT_PEOPLE_NAME, self.norm):
            return []
        cells = self.name_cells
        fraction = cells.count / max(1, self.nonmissing)
        enough = min(10, max(3, self.nonmissing // 2))
        if fraction >= 0.8 and len(self.name_values) >= enough and self.quasi_kind() is None:
            named.add("name")
            return [
                self._finding(
                    "name",
                    cells,
                    message=f"{cells.count:,} cell(s) in column {self.name!r} are personal names "
                    f"({fraction:.0%} of non-empty cells are common given names or surnames).",
                    suggested_fix=self._fix_for("name", None),
                )
            ]
        mentions = self.text_names
        if mentions.count:
            named.add("name")
            return [
                self._finding(
                    "name",
                    mentions,
                    message=f"{mentions.count:,} cell(s) of text in column {self.name!r} mention "
                    "what look like people's names (a given name and a surname, or a title "
                    "such as Dr or Mrs and a name). Remove the names from the text, or the "
                    "column."
                    + (
                        f" Only a sample of {self.text_checked:,} cells was read for names."
                        if self.text_sampled
                        else ""
                    ),
                    suggested_fix=self._fix_for("name", None),
                )
            ]
        return []

    def quasi_kind(self) -> str | None:
        if self.is_age:
            return "age"
        if re.fullmatch(_NAME_RULES_BY_KIND["date-of-birth"], self.norm):
            return "year-of-birth"
        for kind, pattern in _QUASI_NAME_RULES:
            if re.fullmatch(pattern, self.norm):
                return kind
        return None

    def _quasi(self, kind: str) -> Finding:
        return self._finding(
            kind,
            None,
            category=QUASI,
            severity=WARN,
            evidence="column-name",
            message=f"Column {self.name!r} ({kind.replace('-', ' ')}) can help re-identify "
            "people when combined with other columns; check k-anonymity.",
        )


def _fix_for(kind: str, column: str, reference: str | None, ftype: str) -> dict[str, Any]:
    if kind in ("full-date", "date-of-birth") and ftype in ("date", "datetime"):
        if kind == "full-date" and reference and reference != column:
            return {"fix": "dates_to_days", "column": column, "reference": reference}
        return {"fix": "dates_to_year", "column": column}
    if kind == "zip-code":
        return {"fix": "zips_to_3", "column": column}
    return {"fix": "drop_column", "column": column}
