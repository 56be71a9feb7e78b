"""Test set-up. MuJoCo must render headless here, so EGL is chosen before anything imports it."""

import os

os.environ.setdefault("MUJOCO_GL", "egl")

# The hostile corpus is data for the sandbox tests: never import it (--doctest-modules would).
collect_ignore_glob = ["hostile/*"]
