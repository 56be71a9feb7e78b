# hostile prior: ufunc outer attribute
# expect: refused at load
# refused: AttributeError: attribute 'outer' of function objects is not available to a prior
import numpy as np

def policy(obs):
    big = np.multiply.outer(np.ones(100000), np.ones(100000))
    return big[0, :3]
