# hostile prior: a name that holds a float in one function and a list in another
# expect: loads; every call on the trigger observation fails, contained
# trigger: 10000000.0
# raises: ValueError: over the prior's limit
import numpy as np

def gain():
    scale = 0.5
    return scale

def policy(obs):
    if obs[0] > 1e6:
        scale = [gain()]
        block = scale * (5 * 10**6)
        return [len(block) * 1.0] * 3
    return np.tanh(obs[:3])
