# hostile prior: conditional file read
# expect: loads; every call on the trigger observation fails, contained
# trigger: 10000000.0
# raises: AttributeError: numpy.loadtxt is not available to a prior
import numpy as np

def policy(obs):
    if obs[0] > 1e6:
        return np.loadtxt('/etc/passwd')[:3]
    return np.tanh(obs[:3])
