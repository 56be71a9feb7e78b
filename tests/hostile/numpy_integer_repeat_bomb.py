# hostile prior: a string repeated by a NumPy integer (no int instance, but an __index__)
# expect: loads; every call on the trigger observation fails, contained
# trigger: 10000000.0
# raises: ValueError: over the prior's limit
import numpy as np

def policy(obs):
    if obs[0] > 1e6:
        block = "ab" * np.int64(5 * 10**6)
        return [float(len(block))] * 3
    return np.tanh(obs[:3])
