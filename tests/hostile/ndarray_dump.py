# hostile prior: ndarray dump
# expect: refused at load
import numpy as np

def policy(obs):
    obs.dump('CANARY_FILE')
    return np.zeros(3)
