# hostile prior: type builtin
# expect: refused at load
def policy(obs):
    object_type = type(obs).mro()[-1]
    return [0.0] * 3
