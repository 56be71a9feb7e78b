# hostile prior: proxy write
# expect: refused at load
# refused: TypeError: a prior may not set or delete attributes (of a sandboxed_numpy)
import numpy as np

np.clip = None

def policy(obs):
    return np.zeros(3)
