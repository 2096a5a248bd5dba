"""Command-line entry points (click), to be attached to the portal CLI:

    from datasets.commands import cli as datasets_cli
    portal_cli.add_command(datasets_cli)

``datasets inspect FILE`` prints the detected format, the inferred schema,
the validation report and the screening report, as text or ``--json``.
Exit status: 0 publishable, 1 invalid or blocked by an identifier,
2 the file could not be read at all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .demo import catalogue, materialise
from .errors import DatasetError
from .ingest import IngestResult, ingest
from .limits import DEFAULT_LIMITS, Limits

#: Files smaller than this finish too fast for a progress bar to help.
PROGRESS_FROM_BYTES = 20 * 1024 * 1024


class ProgressBars:
    """A tqdm bar per pass over the file, on stderr."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.phase: str | None = None
        self.last = 0
        self.passes = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if self.bar is None or phase != self.phase or done < self.last:
            self.close()
            self.passes += 1
            label = f"pass {self.passes}: " + (
                "checking bytes" if phase == "scan" else "reading rows"
            )
            self.bar = tqdm(
                total=total or None,
                unit="B",
                unit_scale=True,
                desc=label,
                file=sys.stderr,
                leave=False,
            )
            self.phase, self.last = phase, 0
        self.bar.update(done - self.last)
        self.last = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


_Bars = ProgressBars  # the earlier private name, kept for existing callers


@click.group("datasets")
def cli() -> None:
    """Open datasets: inspect files and materialise the demo catalogue."""


@cli.command("inspect")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@click.option(
    "--schema",
    "schema_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Validate against this Table Schema (JSON) instead of the inferred one.",
)
@click.option(
    "--quasi",
    multiple=True,
    metavar="COLUMN",
    help="A quasi-identifier column for k-anonymity (repeatable).",
)
@click.option("-k", "k", default=5, show_default=True, help="k for k-anonymity.")
@click.option(
    "--max-bytes",
    type=int,
    default=DEFAULT_LIMITS.max_bytes,
    show_default=True,
    help="Refuse files larger than this.",
)
@click.option(
    "--show", default=20, show_default=True, help="Problems listed per section in text output."
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr (default: for files over 20 MB).",
)
def inspect(
    file: Path,
    as_json: bool,
    schema_path: str | None,
    quasi: tuple[str, ...],
    k: int,
    max_bytes: int,
    show: int,
    progress: bool | None,
) -> None:
    """Detect, infer the schema of, validate and screen FILE."""
    schema = json.loads(Path(schema_path).read_text()) if schema_path else None
    if progress is None:
        progress = file.stat().st_size >= PROGRESS_FROM_BYTES
    bars = ProgressBars() if progress else None
    limits = Limits(max_bytes=max_bytes)
    try:
        result = ingest(
            file, schema=schema, quasi_identifiers=list(quasi), k=k, limits=limits, progress=bars
        )
    except DatasetError as exc:
        if bars:
            bars.close()
        if as_json:
            click.echo(json.dumps({"error": exc.to_dict()}, indent=2))
        else:
            click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if bars:
        bars.close()
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(render_text(result, show=show))
    sys.exit(0 if result.publishable else 1)


def render_text(result: IngestResult, *, show: int = 20) -> str:
    d = result.dialect
    lines = [f"File: {result.filename}  ({result.size:,} bytes, sha256 {result.sha256[:16]}…)"]
    fmt = d.format
    if fmt == "csv":
        fmt += (
            f", encoding {d.to_dict().get('encoding_name')}, delimiter "
            f"{d.to_dict().get('delimiter_name')}, quote {d.quote_char!r}"
        )
    elif d.sheet:
        fmt += f", sheet {d.sheet!r}"
    lines.append(f"Format: {fmt}")
    rep = result.report
    lines.append(f"Rows: {rep.row_count:,}   Columns: {rep.column_count}")
    lines.append("")
    lines.append("Schema (data dictionary):")
    width = max((len(f["name"]) for f in result.schema["fields"]), default=4)
    for fdef, col in zip(result.schema["fields"], rep.columns, strict=False):
        extra = []
        if fdef.get("format"):
            extra.append(fdef["format"])
        if fdef.get("unit"):
            extra.append(fdef["unit"])
        stats = f"missing {col.missing:,}"
        if col.min is not None:
            stats += f", {col.min} to {col.max}"
        if col.mean is not None:
            stats += f", mean {col.mean:.4g}"
        if col.top and fdef["type"] in ("string", "boolean"):
            stats += ", top " + ", ".join(f"{v} ({n})" for v, n in col.top[:3])
        lines.append(
            f"  {fdef['name']:<{width}}  {fdef['type']:<8} "
            f"{(fdef.get('role') or ''):<14} {' '.join(extra):<10} {stats}"
        )
    if result.schema.get("primaryKey"):
        lines.append(f"  primary key: {', '.join(result.schema['primaryKey'])}")
    lines.append(f"  missing-value codes: {result.schema.get('missingValues')}")
    lines.append("")
    total = sum(rep.error_counts.values())
    lines.append(
        "Validation: "
        + (
            "valid"
            if rep.valid
            else f"{total:,} problem(s) "
            + ", ".join(f"{c}: {n:,}" for c, n in rep.error_counts.items())
        )
    )
    for issue in rep.errors[:show]:
        lines.append(f"  - {issue.message}")
    if len(rep.errors) > show:
        lines.append(f"  … {total - show:,} more")
    for w in rep.warnings[:show]:
        lines.append(f"  warning: {w.message}")
    lines.append("")
    scr = result.screening
    lines.append(
        "Screening: "
        + ("BLOCKED - direct identifiers found" if scr.blocking else "no direct identifiers found")
    )
    for f in scr.findings[:show]:
        where = f" rows {', '.join(map(str, f.rows))}" if f.rows else ""
        ex = f" e.g. {', '.join(f.examples[:3])}" if f.examples else ""
        fix = f" -> fix: {f.suggested_fix['fix']}" if f.suggested_fix else ""
        lines.append(f"  [{f.severity}] {f.kind} in {f.column!r}: {f.message}{where}{ex}{fix}")
    if scr.suggested_quasi_identifiers:
        lines.append("  suggested quasi-identifiers: " + ", ".join(scr.suggested_quasi_identifiers))
    if scr.k_anonymity:
        ka = scr.k_anonymity
        lines.append(
            f"  k-anonymity over {', '.join(ka.quasi_identifiers)}: smallest group "
            f"{ka.min_class_size}, {ka.classes_below_k} group(s) below k={ka.k} "
            f"({ka.rows_in_classes_below_k} rows)"
        )
    if scr.must_confirm:
        lines.append(
            f"  {len(scr.must_confirm)} finding(s) marked warn must be confirmed by a person"
        )
    if scr.risk and scr.risk.rows:
        risk = scr.risk
        lines.append(
            f"  re-identification risk over {', '.join(risk.quasi_identifiers)}: smallest group "
            f"{risk.min_class_size}, {risk.unique_share:.1%} of rows unique"
        )
    return "\n".join(lines)


@cli.command("demo")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--key", "keys", multiple=True, help="Only these datasets (package/item).")
def demo(directory: Path, keys: tuple[str, ...]) -> None:
    """Write the demo catalogue's datasets as CSV files into DIRECTORY."""
    directory.mkdir(parents=True, exist_ok=True)
    for ds in catalogue():
        if keys and ds.key not in keys:
            continue
        path = materialise(ds.key, directory)
        click.echo(f"{ds.key}: {path}  ({ds.metadata.licence})")


if __name__ == "__main__":  # pragma: no cover
    cli()
