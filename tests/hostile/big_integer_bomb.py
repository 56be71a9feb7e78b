# hostile prior: big integer bomb
# expect: refused at load
# refused: over the prior's limit
def policy(obs):
    n = 10 ** (10 ** 8)
    return [0.0] * 3
