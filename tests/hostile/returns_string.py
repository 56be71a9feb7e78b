# hostile prior: returns string
# expect: refused at load
# refused: the prior returned str, not numbers
def policy(obs):
    return 'forward'
