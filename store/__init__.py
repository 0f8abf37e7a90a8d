"""Store: the only package that speaks SQL. See :class:`store.db.Store`."""

from __future__ import annotations

from store.db import Store, StoreError, describe_unreachable, is_unreachable, open_store

__all__ = ["Store", "StoreError", "describe_unreachable", "is_unreachable", "open_store"]
