# hostile prior: lists inside an object array, concatenated by NumPy out of the guards' sight
# expect: loads; every call on the trigger observation fails, contained
# trigger: 10000000.0
# raises: TypeError: a prior may use numeric arrays only
import numpy as np

def policy(obs):
    if obs[0] > 1e6:
        cells = np.array([None, None])
        cells.fill([0.0] * 1000)
        for i in range(12):
            cells = cells + cells
        return [float(len(cells[0]))] * 3
    return np.tanh(obs[:3])
