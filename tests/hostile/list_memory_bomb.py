# hostile prior: list memory bomb
# expect: refused at load
# refused: over the prior's limit
def policy(obs):
    block = [0] * (10 ** 10)
    return [0.0] * 3
