# hostile prior: proxy write
# expect: refused at load
import numpy as np

np.clip = None

def policy(obs):
    return np.zeros(3)
