"""The portal as a plugin: after each publish, bring what consumers read up to date."""

from __future__ import annotations
