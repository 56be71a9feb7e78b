# hostile prior: a tuple of floats indexed by a slice object, then repeated
# expect: loads; every call on the trigger observation fails, contained
# trigger: 10000000.0
# raises: ValueError: over the prior's limit
import numpy as np

GAINS = (1.0, 0.5)

def policy(obs):
    if obs[0] > 1e6:
        part = slice(0, 2)
        block = GAINS[part] * (3 * 10**6)
        return [len(block) * 1.0] * 3
    return np.tanh(obs[:3]) * GAINS[0]
