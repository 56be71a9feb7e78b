# hostile prior: string doubling bomb
# expect: refused at load
# refused: over the prior's limit
def policy(obs):
    text = 'ab'
    for i in range(64):
        text = text + text
    return [0.0] * 3
