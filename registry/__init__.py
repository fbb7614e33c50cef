"""Who owes transactions to which national system, under which clause, and when.

YAML in, immutable typed objects out. This package imports nothing else of lienthong's.
"""

from registry.calendar import is_working_day, public_holidays
from registry.loader import (
    Problem,
    RegistryError,
    bundled_names,
    load_files,
    load_registry,
    resolve,
)
from registry.model import (
    Calendar,
    Contact,
    Department,
    HttpProbe,
    Obligation,
    Owner,
    Province,
    Registry,
    Standing,
    System,
    holds,
)

__all__ = [
    "Calendar",
    "Contact",
    "Department",
    "HttpProbe",
    "Obligation",
    "Owner",
    "Problem",
    "Province",
    "Registry",
    "RegistryError",
    "Standing",
    "System",
    "bundled_names",
    "holds",
    "is_working_day",
    "load_files",
    "load_registry",
    "public_holidays",
    "resolve",
]
