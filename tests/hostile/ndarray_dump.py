# hostile prior: ndarray dump
# expect: refused at load
# refused: AttributeError: attribute 'dump' of ndarray objects is not available to a prior
import numpy as np

def policy(obs):
    obs.dump('CANARY_FILE')
    return np.zeros(3)
