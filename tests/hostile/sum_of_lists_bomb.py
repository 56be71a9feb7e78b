# hostile prior: sum of lists bomb
# expect: refused at load
# refused: TypeError: sum() with a non-numeric start is not available to a prior
def policy(obs):
    rows = [[0] * 1000] * 1000
    flat = sum(rows, [])
    return [0.0] * 3
