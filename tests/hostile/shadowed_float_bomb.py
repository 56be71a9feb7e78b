# hostile prior: rebinds the name `float`, hoping `float(...) * n` is still taken for a float product
# expect: loads; every call on the trigger observation fails, contained
# trigger: 10000000.0
# raises: ValueError: over the prior's limit
import numpy as np

float = list

def policy(obs):
    if obs[0] > 1e6:
        block = float((0.0,)) * (5 * 10**6)
        return [len(block) * 1.0] * 3
    return np.tanh(obs[:3])
