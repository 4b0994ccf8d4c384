"""The ledger: embedded SQLite holding every run, publication and review.

All SQL of gongkai-etl lives in this package, one module per concern:
:mod:`.db` (connection, migrations, transactions), :mod:`.schema` (the
migration steps), :mod:`.runs`, :mod:`.publications`, :mod:`.checks`
(timeliness and input fingerprints) and :mod:`.reviews`. :class:`Ledger` is
one open database with the queries of every table.
"""

from __future__ import annotations

from gongkai_etl.ledger.checks import CheckLog, InputCheck
from gongkai_etl.ledger.db import now_iso
from gongkai_etl.ledger.publications import Publication, PublicationLog
from gongkai_etl.ledger.reviews import Review, ReviewLog
from gongkai_etl.ledger.runs import RunLog
from gongkai_etl.ledger.schema import MIGRATIONS

__all__ = ["MIGRATIONS", "InputCheck", "Ledger", "Publication", "Review", "now_iso"]


class Ledger(RunLog, PublicationLog, CheckLog, ReviewLog):
    """Open (and migrate) the ledger at ``path``: ``Ledger(home.ledger)``."""
