# hostile prior: an object array made by astype, then its elements repeated element-wise
# expect: loads; every call on the trigger observation fails, contained
# trigger: 10000000.0
# raises: TypeError: a prior may use numeric arrays only
import numpy as np

def policy(obs):
    if obs[0] > 1e6:
        cells = np.zeros(2).astype("O")
        cells[0] = [0.0]
        grown = cells * (5 * 10**6)
        return [float(len(grown[0]))] * 3
    return np.tanh(obs[:3])
