"""Built-in domain sources of gongkai-etl, installed as ``gongkai_etl_plugins``.

Each module registers through the ``gongkai_etl`` entry-point group, exactly
like a third-party plugin package.
"""
