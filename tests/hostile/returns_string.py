# hostile prior: returns string
# expect: refused at load
def policy(obs):
    return 'forward'
