# hostile prior: globals builtin
# expect: refused at load
# refused: 'globals' is not available to a prior (no I/O, reflection or dynamic code)
def policy(obs):
    g = globals()
    return [0.0] * 3
