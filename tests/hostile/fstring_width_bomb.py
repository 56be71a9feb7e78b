# hostile prior: fstring width bomb
# expect: refused at load
# refused: format specs in f-strings are not allowed in a prior
def policy(obs):
    text = f'{obs[0]:>1000000000}'
    return [0.0] * 3
