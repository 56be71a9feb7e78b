# hostile prior: conditional nan
# expect: loads; every call on the trigger observation fails, contained
# trigger: 10000000.0
# raises: ValueError: the prior returned non-finite values
import numpy as np

def policy(obs):
    if obs[0] > 1e6:
        return np.full(3, np.inf)
    return np.tanh(obs[:3])
