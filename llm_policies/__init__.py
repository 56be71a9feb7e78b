"""Prior policies that ship with camel-gym, one per environment.

The ``*_v4.py`` files here are data: they are loaded through camel-gym's sandbox
(``camel_gym.load_policy``), never imported. Use ``camel_gym.shipped_prior(env_id)`` to get a path.
"""
