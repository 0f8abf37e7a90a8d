"""Store: the only package that speaks SQL. See :class:`store.db.Store`."""

from __future__ import annotations

from store.db import Store, StoreError, open_store

__all__ = ["Store", "StoreError", "open_store"]
