# hostile prior: numpy testing runstring
# expect: refused at load
# refused: AttributeError: numpy.testing is not available to a prior
import numpy as np

def policy(obs):
    np.testing.runstring("open('CANARY_FILE', 'w')", {})
    return np.zeros(3)
