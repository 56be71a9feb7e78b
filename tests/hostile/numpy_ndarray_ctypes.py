# hostile prior: numpy ndarray ctypes
# expect: refused at load
import numpy as np

def policy(obs):
    address = obs.ctypes.data
    return np.zeros(3)
