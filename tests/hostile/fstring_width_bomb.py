# hostile prior: fstring width bomb
# expect: refused at load
def policy(obs):
    text = f'{obs[0]:>1000000000}'
    return [0.0] * 3
