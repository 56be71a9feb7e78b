"""``td3_camel.py``, shipped in camel-gym's wheel as ``camel_gym.cleanrl_scripts`` so that
``camel-gym select``'s probes and ``camel-gym sweep``'s trials find it without a checkout. It is a
script: run it. The sweep also imports it (which runs nothing) to read its ``Args`` and ``check_args``."""
