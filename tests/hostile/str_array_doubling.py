# hostile prior: a NumPy string array doubled in a loop (its width grows, not its size)
# expect: loads; every call on the trigger observation fails, contained
# trigger: 10000000.0
# raises: TypeError: a prior may use numeric arrays only
import numpy as np

def policy(obs):
    if obs[0] > 1e6:
        text = np.array(["ab"])
        for i in range(22):
            text = text + text
        return [float(text.dtype.itemsize)] * 3
    return np.tanh(obs[:3])
