# hostile prior: format string attribute
# expect: refused at load
def policy(obs):
    leak = '{0.__class__.__mro__}'.format(obs)
    return [0.0] * 3
