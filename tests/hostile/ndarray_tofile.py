# hostile prior: ndarray tofile
# expect: refused at load
# refused: AttributeError: attribute 'tofile' of ndarray objects is not available to a prior
import numpy as np

def policy(obs):
    obs.tofile('CANARY_FILE')
    return np.zeros(3)
