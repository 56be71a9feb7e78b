"""``td3_camel.py``, shipped in camel-gym's wheel as ``camel_gym.cleanrl_scripts`` so that
``camel-gym select``'s probes find it without a checkout. It is a script: run it, do not import it."""
