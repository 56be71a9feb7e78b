# hostile prior: numpy ctypeslib
# expect: refused at load
# refused: AttributeError: numpy.ctypeslib is not available to a prior
import numpy as np

def policy(obs):
    lib = np.ctypeslib.load_library('libc', '/lib')
    return np.zeros(3)
