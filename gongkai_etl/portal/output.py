"""An existing output folder as the portal sees it: its ledger, and what the
pipelines that published into it say about it (base URL, whether to keep a site)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import ConfigError, GongkaiError
from gongkai_etl.files import file_signature
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger
from gongkai_etl.pipeline_check import check_pipeline
from gongkai_etl.plugins import load_plugins
from gongkai_etl.spec import load_pipeline


# configuration ---------------------------------------------------------------
@dataclass
class OutputConfig:
    """What the pipelines that published into an output say about it."""

    base_url: str = ""
    site: bool = False


#: pipeline file -> (its size, time and inode, the loaded pipeline): an output is
#: regenerated after every publish, and parsing each of its pipelines' YAML every
#: time cost more than the regeneration itself
_loaded: dict[str, tuple[tuple[int, int, int], Any]] = {}


def _load(pipeline_file: str) -> Any:
    sig = file_signature(Path(pipeline_file))
    hit = _loaded.get(pipeline_file)
    if hit is not None and hit[0] == sig:
        return hit[1]
    pipeline = load_pipeline(pipeline_file)
    _loaded[pipeline_file] = (sig, pipeline)
    return pipeline


def output_pipelines(ledger: Ledger) -> list[Any]:
    """The pipelines (still loadable) whose runs made the current
    publications, most recently run first."""
    out = []
    for pipeline_file in ledger.current_pipeline_files():
        try:
            out.append(_load(pipeline_file))
        except (GongkaiError, OSError):
            continue  # moved or broken since: it no longer has a say
    return out


def output_config(ledger: Ledger) -> OutputConfig:
    """``output.base_url`` and ``output.site`` of the pipelines whose runs made
    the current publications (the most recently run one's non-empty base_url
    wins; the site is on if any of them turns it on)."""
    cfg = OutputConfig()
    for pipeline in output_pipelines(ledger):
        if pipeline.base_url and not cfg.base_url:
            cfg.base_url = pipeline.base_url
        cfg.site = cfg.site or pipeline.site
    return cfg


def registry_datasets(ledger: Ledger | None = None) -> dict[str, Dataset]:
    """Every dataset the plugins register, and (given the output's ledger) those
    that the output's pipelines declare in YAML (``dataset_files:``, ``define:``),
    so `etl catalog` and `etl site` list them without being told the pipelines."""
    registry = load_plugins()
    for pipeline in output_pipelines(ledger) if ledger is not None else []:
        if pipeline.dataset_files or pipeline.define:
            try:
                check_pipeline(pipeline, registry)
            except GongkaiError:
                continue  # broken since it published: its published datasets keep their last metadata
    return {ds_id: ds for ds_id, (_, ds) in registry.datasets().items()}


def open_output(out_dir: Path, ledger_path: Path | None = None) -> Ledger:
    """The ledger of an existing output folder (never creates one)."""
    path = Home(out_dir, ledger_path).ledger
    if not out_dir.is_dir():
        raise ConfigError("输出目录不存在 (output folder not found)", file=out_dir)
    if not path.exists():
        raise ConfigError("不是 gongkai-etl 输出目录：没有台账 (no ledger: not a gongkai-etl output folder; give --ledger if it lives elsewhere)", file=path)
    return Ledger(path)
