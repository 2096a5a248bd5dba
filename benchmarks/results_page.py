"""Serving an analysis's results page with its two plots: drawn on every request (as
the portal did before it kept its drawings), on the first request after a finished
run (a cold process, nothing kept), and on every request after that (from the files).

    .venv/bin/python benchmarks/results_page.py [--repeat 5]

A fresh SQLite instance gets the demo accounts, datasets and analyses; each repeat
then times the three cases in turn (interleaved, so the machine's drift falls on
all three alike) for every finished demo analysis with a pooled estimate, and the
medians are printed with the ratio of each to the kept drawings.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from sqlalchemy import select

    from analysis import plots
    from portal import create_app, db, demo
    from portal.accounts.models import User
    from portal.data.demo import DEMO_DATA_OWNER, load_datasets
    from portal.migrate import upgrade
    from portal.reanalysis import figures
    from portal.reanalysis.demo import load_analyses
    from portal.reanalysis.models import AnalysisRun, RunStatus

    instance = Path(tempfile.mkdtemp(prefix="results-page-"))
    try:
        app = create_app(
            {
                "INSTANCE_PATH": str(instance),
                "DATABASE_URL": f"sqlite:///{instance / 'portal.db'}",
                "RATELIMIT_ENABLED": False,
                "PAGE_CACHE_SECONDS": 0,
            }
        )
        with app.app_context():
            upgrade(app, "head")
            session = db.session()
            demo.load(session)
            session.commit()
            owner = session.scalar(select(User).where(User.username == DEMO_DATA_OWNER))
            load_datasets(session, app, owner)
            session.commit()
            load_analyses(session, app, owner)
            session.commit()
            runs = [
                run
                for run in session.scalars(
                    select(AnalysisRun).where(AnalysisRun.status == RunStatus.FINISHED)
                )
                if run.results.get("pooled")
            ]
            ids = [run.id for run in runs]
        client = app.test_client()
        plots_dir = Path(app.config["DATA_DIR"]) / "plots"

        def page(run_id: int) -> None:
            for url in (
                f"/analyses/{run_id}",
                *(f"/analyses/{run_id}/{p}.svg" for p in figures.PLOTS),
            ):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

        def every_request(run_id: int) -> None:
            # the drawing the page paid for on every request: the run's results
            # recomputed once per process, then both plots drawn for each view
            with app.app_context():
                run = db.session().get(AnalysisRun, run_id)
                computed = figures._computed(
                    app.config["DATA_DIR"], run.id, run.finished_at.isoformat()
                )
                client.get(f"/analyses/{run_id}")
                for plot in figures.PLOTS:
                    draw = plots.forest_plot if plot == "forest" else plots.funnel_plot
                    plots.render(draw(computed.pooled, title=run.title[:80]), "svg")

        def first(run_id: int) -> None:
            shutil.rmtree(plots_dir / str(run_id), ignore_errors=True)
            figures._computed.cache_clear()
            page(run_id)

        cases = {
            "drawn on every request": every_request,
            "first request": first,
            "kept drawings": page,
        }
        for run_id in ids:  # warm the process: imports, templates, the recompute cache
            page(run_id)
            every_request(run_id)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name, case in cases.items():
                started = time.perf_counter()
                for run_id in ids:
                    case(run_id)
                times[name].append((time.perf_counter() - started) / len(ids))
        kept = statistics.median(times["kept drawings"])
        print(f"results page with its two plots, median of {args.repeat} over {len(ids)} analyses")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"  {name:<26} {median * 1000:9.1f} ms   ratio to kept {median / kept:6.1f}")
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
