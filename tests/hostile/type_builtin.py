# hostile prior: type builtin
# expect: refused at load
# refused: 'type' is not available to a prior (no I/O, reflection or dynamic code)
def policy(obs):
    object_type = type(obs).mro()[-1]
    return [0.0] * 3
