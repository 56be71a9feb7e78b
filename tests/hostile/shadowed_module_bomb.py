# hostile prior: rebinds an imported module's name to a list
# expect: loads; every call on the trigger observation fails, contained
# trigger: 10000000.0
# raises: ValueError: over the prior's limit
import math
import numpy as np

def policy(obs):
    if obs[0] > 1e6:
        math = [0.0]
        block = math * (5 * 10**6)
        return [len(block) * 1.0] * 3
    return np.tanh(obs[:3])
