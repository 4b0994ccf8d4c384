"""The plugin contract: every hook gongkai-etl calls, with its exact signature.

A plugin is any module or object with functions named like these hooks and
marked with :data:`gongkai_etl.hookimpl`. Built-in readers, writers and domain
sources are ordinary plugins registered through the entry-point group
``gongkai_etl``, exactly like a third-party package::

    [project.entry-points.gongkai_etl]
    my_source = "my_package.my_module"

Hooks collect lists and the host flattens them; an implementation may accept
fewer arguments than the spec (pluggy opt-in arguments), so hooks can grow
without breaking plugins. The classes a hook returns are defined in
:mod:`gongkai_etl.contracts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import typer

    from gongkai_etl.contracts import NamedCheck, Reader, Source, Writer
    from gongkai_etl.home import Home
    from gongkai_etl.ledger import Ledger, Publication

hookspec = pluggy.HookspecMarker("gongkai_etl")


@hookspec
def register_sources() -> list[Source]:
    """Domain sources this plugin provides.

    Return a list of :class:`gongkai_etl.contracts.Source` instances. Each source
    has a unique ``name`` (used as ``source.plugin`` in pipeline YAML), declares
    the datasets it feeds, the inputs it reads and the options it accepts.
    Return an empty list (or nothing) if the plugin provides no source.
    """


@hookspec
def register_readers() -> list[Reader]:
    """Input readers (csv, xlsx, xls, json, http, ...).

    Return a list of :class:`gongkai_etl.contracts.Reader` instances. For each
    input the host asks readers in registration order, third-party plugins
    first, and the first whose ``can_read(location, options)`` is true reads it.
    """


@hookspec
def register_writers() -> list[Writer]:
    """Output writers, one per output format (``parquet``, ``csv``, ...).

    Return a list of :class:`gongkai_etl.contracts.Writer` instances; ``format``
    is the name used in a pipeline's ``output.formats``. A later writer with the
    same format replaces an earlier one, so a third party can override a
    built-in (built-ins register with ``trylast=True``).
    """


@hookspec
def register_checks() -> list[NamedCheck]:
    """Named value checks a dataset's field may ask for (``check: uscc``).

    Return a list of :class:`gongkai_etl.contracts.NamedCheck`. The built-in
    plugin ``checks`` registers ``id18``, ``uscc`` and ``division_code``; a
    name registered twice is an error naming both plugins.
    """


@hookspec
def register_commands(app: typer.Typer) -> None:
    """Add sub-commands to the ``etl`` command line.

    ``app`` is the root :class:`typer.Typer`; call ``app.command()`` on it.
    Errors raised as :class:`gongkai_etl.errors.GongkaiError` are reported
    like the built-in commands' errors.
    """


@hookspec
def after_publish(home: Home, ledger: Ledger, publication: Publication) -> None:
    """Called after a dataset-period is published.

    By then the version's files are in place under ``home.out`` (``home`` is
    the output's :class:`gongkai_etl.home.Home`), the ledger records
    ``publication`` (a :class:`gongkai_etl.ledger.Publication`: dataset,
    period, version, files with their sha256) as current, and the dataset's
    ``datapackage.json`` is rewritten. The same call follows an approved review,
    an ``etl restore`` and the finishing of a publish a killed run left half
    done. The built-in portal plugin regenerates changelogs, ``catalog.json``
    and the site here (``trylast``, so a third party's implementation runs
    first). An exception stops the command with its error; the publication
    itself stands. Return nothing.
    """
