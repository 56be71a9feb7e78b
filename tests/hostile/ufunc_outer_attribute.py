# hostile prior: ufunc outer attribute
# expect: refused at load
import numpy as np

def policy(obs):
    big = np.multiply.outer(np.ones(100000), np.ones(100000))
    return big[0, :3]
