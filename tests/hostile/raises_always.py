# hostile prior: raises always
# expect: refused at load
def policy(obs):
    return [1.0 / 0.0] * 3
