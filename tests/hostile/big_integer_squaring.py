# hostile prior: big integer squaring
# expect: refused at load
# refused: over the prior's limit
def policy(obs):
    n = 3
    for i in range(40):
        n = n * n
    return [0.0] * 3
