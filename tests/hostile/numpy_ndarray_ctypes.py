# hostile prior: numpy ndarray ctypes
# expect: refused at load
# refused: AttributeError: attribute 'ctypes' of ndarray objects is not available to a prior
import numpy as np

def policy(obs):
    address = obs.ctypes.data
    return np.zeros(3)
