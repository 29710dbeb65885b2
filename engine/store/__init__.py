"""Persistence: SQLAlchemy models, the database handle and its migrations."""
from .db import Database, connect
from . import models

__all__ = ["Database", "connect", "models"]
