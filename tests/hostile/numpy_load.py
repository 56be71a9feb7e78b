# hostile prior: numpy load
# expect: refused at load
# refused: AttributeError: numpy.load is not available to a prior
import numpy as np

def policy(obs):
    return np.load('CANARY_FILE.npy')[:3]
