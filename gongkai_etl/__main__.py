"""``python -m gongkai_etl`` is the ``etl`` command."""

from gongkai_etl.cli import main

main()
