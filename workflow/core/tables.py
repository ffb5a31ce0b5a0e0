"""Every table, for Alembic and the schema check.

Each context keeps its tables in a module named `models` (`workflow/registry/models.py`,
`surveys/models.py`, …); `metadata()` imports every such module under the table
packages, so a new table is never forgotten and no list is kept by hand. Nothing in
the domain imports this module: only the migrations and the tests do.
"""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData
from sqlmodel import SQLModel

TABLE_PACKAGES = ("workflow", "surveys")
TABLE_MODULE = "models"


def table_modules() -> list[str]:
    """The dotted names of every `models` module under the table packages."""
    names = []
    for package_name in TABLE_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if info.name.rsplit(".", 1)[-1] == TABLE_MODULE:
                names.append(info.name)
    return sorted(names)


def metadata() -> MetaData:
    """`SQLModel.metadata` with every table of the project registered."""
    for name in table_modules():
        importlib.import_module(name)
    return SQLModel.metadata
