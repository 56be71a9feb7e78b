# hostile prior: returns wrong shape
# expect: refused at load
import numpy as np

def policy(obs):
    return np.zeros(5)
