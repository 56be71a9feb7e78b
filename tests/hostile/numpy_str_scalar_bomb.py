# hostile prior: a NumPy str scalar (a str subclass) repeated
# expect: loads; every call on the trigger observation fails, contained
# trigger: 10000000.0
# raises: TypeError: a prior may use numeric arrays only
import numpy as np

def policy(obs):
    if obs[0] > 1e6:
        word = np.array(["ab"])[0]
        block = word * (5 * 10**6)
        return [float(len(block))] * 3
    return np.tanh(obs[:3])
