"""``python -m gongkai_etl`` is the ``etl`` command."""

from gongkai_etl.cli import main

# Guarded: `--executor local` starts its workers with spawn, which imports this module again.
if __name__ == "__main__":
    main()
