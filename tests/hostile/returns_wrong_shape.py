# hostile prior: returns wrong shape
# expect: refused at load
# refused: an action of shape (5,), expected (3,)
import numpy as np

def policy(obs):
    return np.zeros(5)
