"""Inputs and pipelines for many districts: the bundled sample generators, re-seeded per district.

    python bench/generate_districts.py --districts 16 [--work /tmp/gongkai-districts]

For each district ``dNN`` and each of the six domains with a Python source plugin
(ppp, air_quality, social_assistance, shantytown, public_expenditure, water_bodies)
it runs that domain's ``sample_data/<domain>/generate.py`` with its output folder
pointed at ``<work>/inputs/dNN/<domain>`` and its random seed offset by the district
number, and writes ``<work>/pipelines/<domain>_dNN.yaml``: the shipped pipeline with
its id, input paths and output folder rewritten and ``review: auto``.

The generators are not changed: the bench loads each one as a module, sets its
``HERE`` and gives it a ``random`` whose ``Random(seed)`` is ``Random(seed + district)``.
District 0 is the bundled sample itself (same seed), which the bench checks byte for
byte against ``sample_data`` for the CSV/JSON files (the workbooks carry save times).

Periods: the generators are written for the periods they ship (monthly 2016-08..10,
social assistance 2016-07..09 and 2016Q3, 三公经费 2014..2016, 黑臭水体 2015H2..2016H2),
so a district has 19 pipeline-periods, not the 72 of the issue's "16 districts x 6
domains x 12 months". More months are not a matter of an option: each generator has
its months as constants and keys its content to them (air quality's pollution
episodes, power cut and analyser service on fixed dates, its hourly timestamps
inside the month; PPP's period-end dates, debts and progress tables in dicts keyed
"2016-08".."2016-10"; social assistance's planted rows and encodings per month), and
the pipelines check every row's date against its period, so relabelled copies would
be rejected rather than published. The issue's ~1,150 units are reached with more districts
instead: ``--districts 61`` (or ``bench/many_districts.py --units 1150``) gives
1,159. What differs from 16 x 72 is the size of each output (52 dataset-periods
instead of ~200): the per-unit overhead is the same kind of work, and since the
catalog is spliced from kept nodes (portal/catalog_file.py) only the final write
of catalog.json still grows with an output's size.

Output: one folder per district (``<work>/out/dNN``). Dataset ids are fixed by the
plugins (every district's PPP pipeline publishes ``ppp_project``), so districts sharing
one output folder would publish new versions of one another's dataset-periods.
"""

from __future__ import annotations

import argparse
import importlib.util
import random as _random
import re
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DOMAINS = ("ppp", "air_quality", "social_assistance", "shantytown", "public_expenditure", "water_bodies")
#: pipeline-periods a district has (see the module docstring)
PERIODS = {"ppp": 3, "air_quality": 3, "social_assistance": 4, "shantytown": 3, "public_expenditure": 3,
           "water_bodies": 3}


def _seeded(offset: int) -> types.ModuleType:
    """A stand-in for the ``random`` module whose ``Random(seed)`` adds ``offset`` to the seed."""
    mod = types.ModuleType("random")
    mod.__dict__.update({k: getattr(_random, k) for k in dir(_random) if not k.startswith("__")})

    class Random(_random.Random):
        def __init__(self, seed: object = None) -> None:
            super().__init__(seed + offset if isinstance(seed, int) else seed)

    mod.Random = Random  # type: ignore[attr-defined]
    return mod


def generate_domain(domain: str, dest: Path, district: int) -> None:
    """Run ``sample_data/<domain>/generate.py``'s ``main`` writing to ``dest``, seed + district."""
    dest.mkdir(parents=True, exist_ok=True)
    spec = importlib.util.spec_from_file_location(f"_gen_{domain}_{district}", REPO / "sample_data" / domain / "generate.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    if str(REPO / "sample_data") not in sys.path:
        sys.path.insert(0, str(REPO / "sample_data"))
    sys.modules[spec.name] = mod  # dataclasses look their module up
    try:
        spec.loader.exec_module(mod)
    finally:
        del sys.modules[spec.name]
    mod.HERE = dest
    mod.random = _seeded(district)
    mod.print = lambda *a, **k: None  # the generators say where they wrote; the bench says it once
    mod.main()


def pipeline_yaml(domain: str, district: int, inputs: Path, out: Path) -> str:
    """The shipped pipeline of ``domain`` for one district."""
    text = (REPO / "pipelines" / f"{domain}.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^pipeline: .*$", f"pipeline: {domain}_d{district:02d}", text, count=1)
    text = text.replace(f"../sample_data/{domain}/", f"{inputs}/")
    text = re.sub(r"(?m)^  dir: \.\./output$", f"  dir: {out}", text)
    text = re.sub(r"(?m)^review: .*\n", "", text)
    return text + "# the bench: nobody waits for a person\nreview: auto\n"


def generate(districts: int, work: Path, first: int = 1) -> list[Path]:
    """Inputs and pipelines of districts ``first..first+districts-1``; the pipeline files."""
    files = []
    (work / "pipelines").mkdir(parents=True, exist_ok=True)
    for d in range(first, first + districts):
        for domain in DOMAINS:
            inputs = work / "inputs" / f"d{d:02d}" / domain
            generate_domain(domain, inputs, d)
            path = work / "pipelines" / f"{domain}_d{d:02d}.yaml"
            path.write_text(pipeline_yaml(domain, d, inputs, work / "out" / f"d{d:02d}"), encoding="utf-8")
            files.append(path)
    return files


def check_district_zero(work: Path) -> list[str]:
    """Generate district 0 (the unchanged seeds) and compare its text files with sample_data."""
    bad = []
    for domain in DOMAINS:
        dest = work / "check" / domain
        generate_domain(domain, dest, 0)
        for p in sorted(dest.rglob("*")):
            if p.suffix in (".csv", ".json") and p.is_file():
                ref = REPO / "sample_data" / domain / p.relative_to(dest)
                if not ref.exists() or ref.read_bytes() != p.read_bytes():
                    bad.append(str(p.relative_to(dest)))
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--districts", type=int, default=16)
    ap.add_argument("--work", type=Path, default=Path("/tmp/gongkai-districts"))
    args = ap.parse_args(argv)
    files = generate(args.districts, args.work)
    print(f"wrote {len(files)} pipelines to {args.work / 'pipelines'}, inputs under {args.work / 'inputs'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
