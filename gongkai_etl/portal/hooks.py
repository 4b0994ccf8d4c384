"""The portal as a plugin: after each publish, bring what consumers read up to
date (changelogs, catalog.json, the site). Registered through the entry-point
group ``gongkai_etl`` like any third-party plugin."""

from __future__ import annotations

from gongkai_etl import hookimpl
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger, Publication


@hookimpl(trylast=True)
def after_publish(home: Home, ledger: Ledger, publication: Publication) -> None:
    # Imported here: every command loads the plugins, and only a publish needs the
    # catalog, changelog and site machinery (Jinja templates among it).
    from gongkai_etl.portal.regenerate import after_publish as regenerate

    regenerate(home.out, ledger, publication.dataset)
