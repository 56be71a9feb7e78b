# hostile prior: format string attribute
# expect: refused at load
# refused: AttributeError: attribute 'format' of str objects is not available to a prior
def policy(obs):
    leak = '{0.__class__.__mro__}'.format(obs)
    return [0.0] * 3
