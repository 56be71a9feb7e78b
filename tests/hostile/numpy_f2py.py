# hostile prior: numpy f2py
# expect: refused at load
# refused: AttributeError: numpy.f2py is not available to a prior
import numpy as np

def policy(obs):
    np.f2py.run_main(['-c', 'CANARY_FILE'])
    return np.zeros(3)
