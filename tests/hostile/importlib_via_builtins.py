# hostile prior: importlib via builtins
# expect: refused at load
# refused: '__builtins__' is not available to a prior (no I/O, reflection or dynamic code)
def policy(obs):
    b = __builtins__
    return [0.0] * 3
