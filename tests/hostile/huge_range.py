# hostile prior: huge range
# expect: refused at load
# refused: over the prior's limit
def policy(obs):
    total = 0
    for i in range(10 ** 12):
        total = total + i
    return [0.0] * 3
