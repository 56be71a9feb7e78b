# hostile prior: ndarray tofile
# expect: refused at load
import numpy as np

def policy(obs):
    obs.tofile('CANARY_FILE')
    return np.zeros(3)
