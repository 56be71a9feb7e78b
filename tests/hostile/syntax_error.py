# hostile prior: syntax error
# expect: refused at load
def policy(obs)
    return [0.0] * 3
