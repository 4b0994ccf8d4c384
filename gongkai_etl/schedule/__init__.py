"""Scheduling: deadlines, ``etl status``, ``etl run --due``, pipeline locks,
cron/systemd lines, and version history/restore."""
