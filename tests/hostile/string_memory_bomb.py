# hostile prior: string memory bomb
# expect: refused at load
# refused: over the prior's limit
def policy(obs):
    text = 'a' * (10 ** 10)
    return [0.0] * 3
