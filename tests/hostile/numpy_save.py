# hostile prior: numpy save
# expect: refused at load
# refused: AttributeError: numpy.save is not available to a prior
import numpy as np

def policy(obs):
    np.save('CANARY_FILE', obs)
    return np.zeros(3)
