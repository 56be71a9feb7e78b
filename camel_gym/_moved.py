"""Old import paths of modules that moved, kept working with a ``DeprecationWarning``.

``import camel_gym.llm`` (and the other names in ``MOVED``) still works and returns the module
at its new home; the warning names that home. Remove an entry one minor release after the move.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

# old name -> new name (moved in 0.2.0, the layout change)
MOVED = {
    "camel_gym.llm": "camel_gym.pipeline.client",
    "camel_gym.prompts": "camel_gym.pipeline.prompts",
    "camel_gym.extract": "camel_gym.pipeline.extract",
    "camel_gym.generate": "camel_gym.pipeline.generate",
    "camel_gym.selection": "camel_gym.pipeline.select",
    "camel_gym.render": "camel_gym.pipeline.render",
    "camel_gym.cli": "camel_gym.pipeline.cli",
    "camel_gym.rundir": "camel_gym.records",
    "camel_gym.trial": "camel_gym.sandbox.trial",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        warnings.warn(
            f"{spec.name} moved to {MOVED[spec.name]}; import it from there (the old name goes in a later release)",
            DeprecationWarning,
            stacklevel=3,
        )
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module):
        pass  # the module is the new one, already executed; importlib files it under the old name too


def install() -> None:
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.append(_Alias())
