"""The plugin manager: every plugin, built-in or not, comes from the entry-point
group ``gongkai_etl`` and is loaded once, lazily.

``GONGKAI_ETL_TRACE=1`` in the environment prints every hook call (pluggy tracing).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from gongkai_etl import hookspecs
from gongkai_etl.contracts import NamedCheck, Reader, Source, Writer
from gongkai_etl.datasets import Dataset
from gongkai_etl.declare import Declared
from gongkai_etl.errors import ConfigError, PluginError, did_you_mean, unknown_name

ENTRY_POINT_GROUP = "gongkai_etl"


@dataclass
class PluginInfo:
    """What ``etl plugins`` shows about one loaded plugin."""

    name: str
    module: str
    distribution: str
    version: str
    hooks: list[str] = field(default_factory=list)


@dataclass
class Registry:
    """Everything the plugins registered, flattened and checked."""

    manager: pluggy.PluginManager
    infos: list[PluginInfo]
    sources: dict[str, Source]
    source_plugin: dict[str, str]  # source name -> plugin name
    readers: list[Reader]
    writers: dict[str, Writer]
    checks: dict[str, NamedCheck] = field(default_factory=dict)
    #: Datasets pipelines declared (``dataset_files:``, ``define:``) in this
    #: process, by id, with the source that feeds them.
    declared: dict[str, tuple[Source, Dataset]] = field(default_factory=dict)

    def source(self, name: str) -> Source:
        try:
            return self.sources[name]
        except KeyError:
            hint = did_you_mean(name, self.sources)
            known = ", ".join(sorted(self.sources)) or "none"
            raise ConfigError(f"未知的数据源插件 {name!r} (unknown source plugin{hint} installed: {known})") from None

    def datasets(self) -> dict[str, tuple[Source, Any]]:
        out: dict[str, tuple[Source, Any]] = {}
        for source in self.sources.values():
            for ds in source.datasets:
                out[ds.id] = (source, ds)
        out.update(self.declared)
        return out

    def source_for(self, source: Source, declared: tuple[Declared, ...] = ()) -> Source:
        """``source`` feeding also the datasets a pipeline declared.

        Declared datasets join :meth:`datasets` for the rest of the process, so
        the catalog, review and status see them like registered ones. An id
        that a plugin already registers, or that another pipeline declared
        differently, is an error."""
        if not declared:
            return source
        registered = {ds.id: src.name for src in self.sources.values() for ds in src.datasets}
        for ds in (d.dataset for d in declared):
            if ds.id in registered:
                raise ConfigError(
                    f"数据集 {ds.id!r} 已由数据源 {registered[ds.id]!r} 声明 (dataset {ds.id!r} is already "
                    f"declared by source {registered[ds.id]!r}; choose another id)"
                )
            earlier = self.declared.get(ds.id)
            if earlier is not None and earlier[1] != ds:
                raise ConfigError(
                    f"数据集 {ds.id!r} 在两处声明且内容不同 (dataset {ds.id!r} is declared twice, differently)"
                )
        for d in declared:
            try:
                self._check_names(d.dataset)
            except ConfigError as exc:
                raise ConfigError(exc.message, file=d.file) from None
        extended = source.with_datasets(tuple(declared))
        for d in declared:
            self.declared[d.dataset.id] = (extended, d.dataset)
        return extended

    def _check_names(self, ds: Dataset) -> None:
        asked = [(f"fields[{i}].check", f.check) for i, f in enumerate(ds.fields) if f.check]
        asked += [(f"checks[{i}].check", r.check) for i, r in enumerate(ds.checks) if r.check]
        for where, name in asked:
            if name not in self.checks:
                raise ConfigError(f"dataset {ds.id}: {where}: {unknown_name('校验 named check', name, sorted(self.checks))}")


_registry: Registry | None = None


def _make_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("gongkai_etl")
    pm.add_hookspecs(hookspecs)
    if os.environ.get("GONGKAI_ETL_TRACE"):
        pm.trace.root.setwriter(lambda msg: print(msg, end="", file=sys.stderr))
        pm.enable_tracing()
    return pm


def load_plugins() -> Registry:
    """Load every entry point of the group, check the contract, and cache it."""
    global _registry
    if _registry is not None:
        return _registry
    pm = _make_manager()
    infos: list[PluginInfo] = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = getattr(ep, "dist", None)
        try:
            module = ep.load()
        except Exception as exc:  # any import failure must name the plugin
            raise PluginError(ep.name, f"插件加载失败 (failed to import {ep.value}): {type(exc).__name__}: {exc}") from exc
        try:
            pm.register(module, name=ep.name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(ep.name, f"违反插件约定 (breaks the hook contract): {exc}") from exc
        infos.append(
            PluginInfo(
                name=ep.name,
                module=ep.value,
                distribution=dist.metadata["Name"] if dist else "?",
                version=dist.version if dist else "?",
            )
        )
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        plugin = pm.get_name(exc.plugin) or str(exc.plugin)
        raise PluginError(plugin, f"未知的钩子 (implements an unknown hook): {exc}") from exc
    for info in infos:
        plugin = pm.get_plugin(info.name)
        info.hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
    _registry = _collect(pm, infos)
    return _registry


def reset_plugins() -> None:
    """Forget the loaded plugins (tests install plugins at run time)."""
    global _registry
    _registry = None


def _results_by_plugin(pm: pluggy.PluginManager, hook_name: str) -> list[tuple[str, Any]]:
    """Call a collecting hook once per implementation, keeping who returned what.

    Each call goes through pluggy (a hook caller limited to that one plugin), so
    opt-in arguments, tracing and hook wrappers work as for any ``pm.hook`` call,
    and an error names the plugin that raised it. Order: registration order,
    third-party plugins' ``tryfirst`` and built-ins' ``trylast`` respected."""
    out: list[tuple[str, Any]] = []
    every = list(reversed(getattr(pm.hook, hook_name).get_hookimpls()))  # pluggy calls the last first
    impls = [impl for impl in every if not (impl.wrapper or impl.hookwrapper)]  # wrappers wrap each call
    for impl in impls:
        name = impl.plugin_name
        others = [other.plugin for other in impls if other.plugin is not impl.plugin]
        call_one = pm.subset_hook_caller(hook_name, remove_plugins=others)
        try:
            returned = call_one()
        except Exception as exc:
            raise PluginError(name, f"{hook_name}() raised {type(exc).__name__}: {exc}") from exc
        for result in returned:  # [] when the implementation returned None
            if not isinstance(result, (list, tuple)):
                raise PluginError(name, f"{hook_name}() must return a list, got {type(result).__name__}")
            out.extend((name, item) for item in result)
    return out


def _collect(pm: pluggy.PluginManager, infos: list[PluginInfo]) -> Registry:
    sources: dict[str, Source] = {}
    source_plugin: dict[str, str] = {}
    dataset_owner: dict[str, str] = {}
    for plugin, src in _results_by_plugin(pm, "register_sources"):
        if not isinstance(src, Source) or not src.name:
            raise PluginError(plugin, f"register_sources() returned {src!r}, expected a named gongkai_etl.contracts.Source")
        if src.name in sources:
            raise PluginError(plugin, f"source {src.name!r} is already registered by {source_plugin[src.name]!r}")
        for ds in src.datasets:
            if ds.id in dataset_owner:
                raise PluginError(plugin, f"dataset {ds.id!r} is already declared by source {dataset_owner[ds.id]!r}")
            dataset_owner[ds.id] = src.name
        sources[src.name] = src
        source_plugin[src.name] = plugin
    readers: list[Reader] = []
    for plugin, reader in _results_by_plugin(pm, "register_readers"):
        if not isinstance(reader, Reader) or not reader.name:
            raise PluginError(plugin, f"register_readers() returned {reader!r}, expected a gongkai_etl.contracts.Reader")
        readers.append(reader)
    writers: dict[str, Writer] = {}
    for plugin, writer in _results_by_plugin(pm, "register_writers"):
        if not isinstance(writer, Writer) or not writer.format:
            raise PluginError(plugin, f"register_writers() returned {writer!r}, expected a gongkai_etl.contracts.Writer")
        writers.setdefault(writer.format, writer)
    checks: dict[str, NamedCheck] = {}
    check_plugin: dict[str, str] = {}
    for plugin, check in _results_by_plugin(pm, "register_checks"):
        if not isinstance(check, NamedCheck) or not check.name:
            raise PluginError(plugin, f"register_checks() returned {check!r}, expected a gongkai_etl.contracts.NamedCheck")
        if check.name in checks:
            raise PluginError(plugin, f"check {check.name!r} is already registered by {check_plugin[check.name]!r}")
        checks[check.name] = check
        check_plugin[check.name] = plugin
    registry = Registry(pm, infos, sources, source_plugin, readers, writers, checks)
    for src in sources.values():
        for ds in src.datasets:
            try:
                registry._check_names(ds)
            except ConfigError as exc:
                raise PluginError(source_plugin[src.name], exc.message) from None
    return registry
