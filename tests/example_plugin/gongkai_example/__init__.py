"""Example third-party plugin package for gongkai-etl."""
