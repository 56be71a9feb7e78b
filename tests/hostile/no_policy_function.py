# hostile prior: no policy function
# expect: refused at load
import numpy as np

def act(obs):
    return np.zeros(3)
