# hostile prior: raises always
# expect: refused at load
# refused: ZeroDivisionError
def policy(obs):
    return [1.0 / 0.0] * 3
