"""Reading a YAML file (pipelines, dataset files) safely and fast.

``yaml.safe_load`` with two guards: the anchors and aliases of a document may
not stand for more than :data:`MAX_YAML_NODES` nodes (a 600-byte "billion
laughs" file stands for billions; expanding it took gigabytes), counted on the
alias graph so nothing is expanded to count; and libyaml's C parser when PyYAML
was built with it. :func:`show_value` cuts a value short for an error message.
"""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Any

import yaml

from gongkai_etl.errors import ConfigError

#: The most nodes a YAML document may stand for once its aliases are expanded: a
#: pipeline or dataset file has a few thousand; a 600-byte "billion laughs" file
#: stands for billions, and expanding it took gigabytes.
MAX_YAML_NODES = 200_000
#: libyaml's parser when PyYAML was built with it (about 10x faster on the shipped
#: dataset files, which every command reads), else the pure-Python one.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Nodes ``node`` stands for with every alias expanded, computed on the graph
    (an alias is the same node object again), so nothing is expanded to count."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once here; the constructor refuses it
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        size = 1
    memo[key] = min(size, MAX_YAML_NODES + 1)
    return memo[key]


def _bounded_load(text: str, file: Path) -> Any:
    """``yaml.safe_load`` with alias expansion bounded by MAX_YAML_NODES."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_YAML_NODES:
            raise ConfigError(
                f"YAML 别名展开后过大 (the document's anchors and aliases expand to more than {MAX_YAML_NODES:,} "
                "nodes; a pipeline file needs no such thing)", file=file,
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml(file: Path) -> Any:
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("流水线文件不存在 (pipeline file not found)", file=file) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"流水线文件不是 UTF-8 (pipeline file is not UTF-8): {exc}", file=file) from None
    try:
        return _bounded_load(text, file)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"YAML 语法错误 (YAML syntax error) {where}{problem}", file=file) from None


_SHOW = reprlib.Repr()
_SHOW.maxstring, _SHOW.maxother, _SHOW.maxlist, _SHOW.maxdict, _SHOW.maxlevel = 80, 80, 6, 6, 3


def show_value(value: Any) -> str:
    """A value in an error message, cut short: a message never renders a huge value."""
    return _SHOW.repr(value)
