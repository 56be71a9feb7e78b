# hostile prior: conditional memory bomb
# expect: loads; every call on the trigger observation fails, contained
# trigger: 10000000.0
# raises: ValueError: over the prior's limit
import numpy as np

def policy(obs):
    if obs[0] > 1e6:
        block = [0] * (10 ** 12)
    return np.tanh(obs[:3])
