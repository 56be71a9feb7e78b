# hostile prior: globals builtin
# expect: refused at load
def policy(obs):
    g = globals()
    return [0.0] * 3
