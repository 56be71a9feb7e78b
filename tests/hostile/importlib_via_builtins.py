# hostile prior: importlib via builtins
# expect: refused at load
def policy(obs):
    b = __builtins__
    return [0.0] * 3
