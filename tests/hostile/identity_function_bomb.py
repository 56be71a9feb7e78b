# hostile prior: a helper that returns its argument, called with a list instead of a float
# expect: loads; every call on the trigger observation fails, contained
# trigger: 10000000.0
# raises: ValueError: over the prior's limit
import numpy as np

def same(value):
    return value

def policy(obs):
    if obs[0] > 1e6:
        block = same([0.0]) * (5 * 10**6)
        return [len(block) * 1.0] * 3
    return np.tanh(obs[:3]) * same(1.0)
