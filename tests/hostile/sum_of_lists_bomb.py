# hostile prior: sum of lists bomb
# expect: refused at load
def policy(obs):
    rows = [[0] * 1000] * 1000
    flat = sum(rows, [])
    return [0.0] * 3
