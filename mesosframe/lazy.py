"""`lazy_exports`: a package's module-level `__getattr__` (PEP 562) that imports a public name's module on
first use, so that importing the package stays cheap (and, for `mesosframe`, does not import pymesos)."""
from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_exports(package: str, exports: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """`__getattr__` for `package`: `exports` maps each public name to the module that defines it; the module
    is imported on the name's first use and the value kept in `namespace` (the package's globals). Any other
    name raises AttributeError."""
    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value
    return __getattr__
