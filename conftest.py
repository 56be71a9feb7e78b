"""pytest from the repository root (`pytest .`): which files it must never import.

`--doctest-modules` (pyproject's addopts) imports every module it collects. Outside `testpaths`
that would run code that must not run in this process: priors and LLM replies (untrusted, for
the sandbox only) and scripts that do their work at import (examples, benchmarks, experiment
scripts). tests/conftest.py keeps the sandbox's hostile corpus out.
"""

# this file too: as a doctest module its name would clash with tests/conftest.py
collect_ignore = ["conftest.py"]
collect_ignore_glob = [
    "llm_policies/*",  # priors: loaded through camel_gym.load_policy, never imported
    "experiments/*",  # LLM candidates and replies, and scripts that run at import
    "llm_runs/*",  # the README's run directories for `camel-gym generate`
    "examples/*",
    "benchmarks/*",
    "cleanrl_scripts/*",
    "build/*",
]
